import { standardHeaders } from "../../cli/sign";
import { autocannon, type RequestParams, type Result } from "./autocannon";
import { paced } from "./paced";
import type { CaseResult } from "./result";

export type { CaseResult } from "./result";

/**
 * The throughput cases, each one autocannon run against the engine:
 *   (a) empty route — GET /healthz: the runtime's ceiling
 *   (b) raw Durable Object write — one DO per request, one transactionSync insert
 *   (c) full ingest — signed Standard Webhooks order.created for distinct orders:
 *       signature check, mapping, the order's DO commit, outbox — the real path
 * Requests for (c) are signed before the run, so the client's HMAC cost is not
 * in the measurement.
 */

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  overallRate?: number;
}

export function caseResult(r: Result, targetRps: number | null): CaseResult {
  const ok = r["2xx"];
  // autocannon reports 0 ms percentiles when nothing completed; that is no measurement, not a fast one.
  const p = (v: number) => (ok > 0 ? v : Number.NaN);
  return { rps: ok / Math.max(r.duration, 1e-9), p50: p(r.latency.p50), p99: p(r.latency.p99), ok, non2xx: r.non2xx, errors: r.errors + r.timeouts, seconds: r.duration, targetRps };
}

/**
 * Requests a previous case left in flight (autocannon stops sending, the engine
 * keeps working) would be billed to the next case: wait until the engine answers
 * an empty route promptly again.
 */
export async function quiesce(url: string, maxMs = 10_000): Promise<void> {
  const until = Date.now() + maxMs;
  await new Promise((r) => setTimeout(r, 500));
  while (Date.now() < until) {
    const started = performance.now();
    const res = await fetch(`${url}/healthz`).catch(() => null);
    await res?.text();
    if (res?.ok && performance.now() - started < 50) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function load(o: LoadOptions, spec: { method: string; path: string; setup?: (req: RequestParams) => RequestParams }): Promise<Result> {
  await quiesce(o.url);
  return autocannon({
    url: o.url,
    // autocannon splits overallRate into whole requests per second per connection: never more connections than that.
    connections: o.overallRate === undefined ? o.connections : Math.max(1, Math.min(o.connections, Math.floor(o.overallRate))),
    duration: o.seconds,
    timeout: 30,
    ...(o.overallRate === undefined ? {} : { overallRate: o.overallRate }),
    requests: [{ method: spec.method, path: spec.path, ...(spec.setup ? { setupRequest: spec.setup } : {}) }],
  });
}

export async function emptyRoute(o: LoadOptions): Promise<CaseResult> {
  return caseResult(await load(o, { method: "GET", path: "/healthz" }), o.overallRate ?? null);
}

let writeCounter = 0;

export async function doWrite(o: LoadOptions): Promise<CaseResult> {
  const run = `${Date.now().toString(36)}`;
  const body = JSON.stringify({ type: "bench", data: "x".repeat(512) });
  const r = await load(o, {
    method: "POST",
    path: "/__bench/do-write",
    // A new object per request, like (c), whose orders are all distinct.
    setup: (req) => ({ ...req, path: `/__bench/do-write?k=${run}-${writeCounter++}`, headers: { "content-type": "application/json" }, body }),
  });
  return caseResult(r, o.overallRate ?? null);
}

export interface SignedPool {
  requests: RequestParams[];
  used: number;
  /** How often the pool ran dry and a request was re-sent (then it is a duplicate, answered 200). */
  wrapped: number;
}

/** What a real OMS sends for a new order: locked fields, details, attribution. */
export function orderCreatedBody(orderId: string, now: number): string {
  return JSON.stringify({
    type: "order.created",
    order_id: orderId,
    occurred_at: new Date(now).toISOString(),
    data: {
      total: { amount_minor: 19900, currency: "USD" },
      line_items: [
        { sku: "SKU2006-001", quantity: 1, unit_price_minor: 9900 },
        { sku: "CASE-LEATHER-PREM", quantity: 2, unit_price_minor: 4500 },
      ],
      shipping_address: { name: "Steve Shipper", address1: "123 Shipping Street", city: "Shippington", province: "Kentucky", zip: "40003", country_code: "US" },
      customer_email: "jon@example.com",
      source_name: "web",
      tags: ["vip", "bf-2026"],
      attribution: { utm_source: "newsletter", utm_medium: "email", utm_campaign: "bf-2026" },
    },
  });
}

/** Signs `n` deliveries for distinct orders now (timestamps stay within the 5-minute tolerance for the run). */
export async function signPool(tenant: string, source: string, secret: string, n: number, prefix: string): Promise<SignedPool> {
  const now = Date.now();
  const path = `/v1/tenants/${tenant}/webhooks/${source}`;
  const requests: RequestParams[] = [];
  for (let i = 0; i < n; i++) {
    const body = orderCreatedBody(`${prefix}-${i}`, now);
    const headers = await standardHeaders({ body, secret, id: `msg_${prefix}_${i}`, timestampSec: Math.floor(now / 1000) });
    requests.push({ method: "POST", path, headers, body });
  }
  return { requests, used: 0, wrapped: 0 };
}

export async function ingest(o: LoadOptions, pool: SignedPool): Promise<CaseResult> {
  const first = pool.requests[0];
  if (!first) throw new Error("empty request pool");
  const r = await load(o, {
    method: "POST",
    path: first.path ?? "/",
    setup: (req) => {
      const i = pool.used++;
      if (i >= pool.requests.length) pool.wrapped++;
      // Spread over autocannon's defaults: they carry the host and port.
      return { ...req, ...(pool.requests[i % pool.requests.length] ?? first) };
    },
  });
  return caseResult(r, o.overallRate ?? null);
}

/** (c½): the ingest case at a constant rate (see paced.ts for why not autocannon's overallRate). */
export async function ingestAtRate(url: string, rate: number, seconds: number, pool: SignedPool): Promise<CaseResult> {
  await quiesce(url);
  const first = pool.requests[0];
  if (!first) throw new Error("empty request pool");
  return paced({
    url,
    rate,
    seconds,
    next: () => {
      const i = pool.used++;
      if (i >= pool.requests.length) pool.wrapped++;
      return pool.requests[i % pool.requests.length] ?? first;
    },
  });
}
