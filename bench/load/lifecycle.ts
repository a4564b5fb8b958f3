import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { loadTemplates, shopifyOrderBody } from "../../cli/simulate/payloads";
import { shopifyHeaders } from "../../cli/sign";

/**
 * (d) end-to-end lifecycle latency and (e) outbox drain rate, plus the bench
 * tenant both they and the ingest case use.
 *
 * (d): a paid Shopify order (orders/create, financial_status "paid") is posted;
 * the clock stops when the engine's routing export reaches a consumer on
 * 127.0.0.1 — signature checked, committed, decided, alarm fired, delivered.
 */

export interface BenchTenant {
  tenant: string;
  apiKey: string;
  standardSource: { name: string; secret: string };
  shopSource: { name: string; secret: string };
  consumer: LifecycleConsumer;
}

export interface LifecycleConsumer {
  url: string;
  /** Resolves with Date.now() when the routing export for this order arrives. */
  waitFor(orderId: string, timeoutMs: number): Promise<number>;
  received: number;
  close(): Promise<void>;
}

async function startConsumer(): Promise<LifecycleConsumer> {
  const arrived = new Map<string, number>();
  const waiters = new Map<string, (at: number) => void>();
  let received = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const at = Date.now();
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      received++;
      let orderId: unknown;
      try {
        orderId = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { order_id?: unknown }).order_id;
      } catch {
        return;
      }
      if (typeof orderId !== "string" || arrived.has(orderId)) return;
      arrived.set(orderId, at);
      waiters.get(orderId)?.(at);
      waiters.delete(orderId);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    get received() {
      return received;
    },
    waitFor(orderId, timeoutMs) {
      const seen = arrived.get(orderId);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(orderId);
          reject(new Error(`no export for order ${orderId} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.set(orderId, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function whsec(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

function step(owner: string, consumer?: { url: string; secret: string }) {
  // Hour-long SLAs: no breach or escalation fires while the benchmark runs and skews it.
  return {
    owning_party: "merchant",
    owner,
    backup: `backup-${owner}`,
    on_call: "pagerduty:bench",
    sla: "PT1H",
    exception_path: { type: "manual_queue", contact_id: owner },
    ...(consumer ? { consumer: { ...consumer, requires_ack: false } } : {}),
  };
}

async function admin(url: string, token: string, method: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

export async function setupTenant(url: string, adminToken: string): Promise<BenchTenant> {
  const tenant = "bench";
  const created = await admin(url, adminToken, "POST", "/v1/tenants", { id: tenant, name: "Load benchmark", default_owner: "ops@bench.example" });
  const apiKey = (created as { api_key?: unknown }).api_key;
  if (typeof apiKey !== "string") throw new Error("tenant creation returned no api_key");
  const standardSource = { name: "oms", secret: whsec() };
  const shopSource = { name: "shop", secret: `shpss_${randomBytes(16).toString("hex")}` };
  await admin(url, adminToken, "PUT", `/v1/tenants/${tenant}/sources/${standardSource.name}`, { kind: "standard", secret: standardSource.secret });
  await admin(url, adminToken, "PUT", `/v1/tenants/${tenant}/sources/${shopSource.name}`, { kind: "shopify", secret: shopSource.secret });
  const consumer = await startConsumer();
  await admin(url, adminToken, "PUT", `/v1/tenants/${tenant}/ownership`, {
    steps: {
      payment: step("finance@bench.example"),
      routing: step("ops@bench.example", { url: `${consumer.url}/wms`, secret: whsec() }),
      fulfillment: step("wh@bench.example"),
      shipping: step("ship@bench.example", { url: `${consumer.url}/carrier`, secret: whsec() }),
      delivery: step("carrier@bench.example"),
      customer: step("cx@bench.example"),
    },
    policy: { fulfil_on: "captured" },
  });
  return { tenant, apiKey, standardSource, shopSource, consumer };
}

export interface LifecycleResult {
  orders: number;
  p50: number;
  p99: number;
  max: number;
  /** The webhook POST's own ack latency over the same orders. */
  ackP50: number;
  failures: number;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** N paid orders, `concurrency` at a time; each timed from POST to the export's arrival. */
export async function lifecycle(url: string, t: BenchTenant, orders: number, concurrency: number, runTag: string): Promise<LifecycleResult> {
  const template = loadTemplates().shopifyCreate;
  const latencies: number[] = [];
  const acks: number[] = [];
  let failures = 0;
  let next = 0;
  const one = async (i: number): Promise<void> => {
    // 19 digits like a Shopify id; distinct per run and order.
    const id = `8${runTag.padStart(9, "0").slice(-9)}${String(i).padStart(9, "0")}`;
    const body = shopifyOrderBody(template, { id, number: 1001 + i, flow: "paid_at_checkout" }, { created: new Date().toISOString() }, "paid");
    const headers = await shopifyHeaders({ topic: "orders/create", body, secret: t.shopSource.secret });
    const started = Date.now();
    const res = await fetch(`${url}/v1/tenants/${t.tenant}/webhooks/${t.shopSource.name}`, { method: "POST", headers, body });
    acks.push(Date.now() - started);
    await res.text();
    if (res.status !== 202) {
      failures++;
      return;
    }
    try {
      latencies.push((await t.consumer.waitFor(id, 30_000)) - started);
    } catch {
      failures++;
    }
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < orders) await one(next++);
    }),
  );
  latencies.sort((a, b) => a - b);
  acks.sort((a, b) => a - b);
  return { orders, p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies.at(-1) ?? Number.NaN, ackP50: pct(acks, 50), failures };
}

export interface DrainResult {
  batch: number;
  rows: number;
  ms: number;
  rowsPerSecond: number;
}

/** (e): `rows` audit rows through the engine's writeDrain(), `batch` rows per D1 batch, inside the Worker. */
export async function drainRate(url: string, batch: number, rows: number): Promise<DrainResult> {
  const res = await fetch(`${url}/__bench/drain?batch=${batch}&rows=${rows}`, { method: "POST" });
  const body = (await res.json()) as { ms?: unknown; stored?: unknown; error?: unknown };
  if (!res.ok || typeof body.ms !== "number") throw new Error(`drain bench failed: ${res.status} ${JSON.stringify(body)}`);
  if (body.stored !== rows) throw new Error(`drain bench stored ${String(body.stored)} of ${rows} rows`);
  const ms = Math.max(body.ms, 1);
  return { batch, rows, ms, rowsPerSecond: (rows / ms) * 1000 };
}
