import { DurableObject } from "cloudflare:workers";
import { writeDrain, type DrainBatch } from "../../durable-objects/order/drain";
import type { AuditRun } from "../../domain/order/audit-runs";
import type { Env } from "../../worker/env";
import engine from "../../worker/index";
import { inventoryObject } from "../../worker/inventory";

export { OrderDO } from "../../durable-objects/order/OrderDO";
export { InventoryDO } from "../../durable-objects/inventory/InventoryDO";
export { Notifier } from "../../durable-objects/notifier/NotifierDO";

/**
 * The benchmark's Worker (bench/load/wrangler.toml): every request the engine
 * serves goes to the production handler untouched; only /__bench/* is extra,
 * and this script is never deployed.
 *
 *   POST /__bench/do-write?k=KEY   one Durable Object (named KEY) does one
 *                                  transactionSync insert — the storage ceiling
 *   POST /__bench/drain?batch=B&rows=R
 *                                  writes R synthetic audit rows to D1 with the
 *                                  engine's own writeDrain(), B rows per call
 *                                  (B=1 is row-at-a-time), sequentially, and
 *                                  reports the elapsed time
 *   POST /__bench/reserve?tenant=T&sku=S&order=O&units=N
 *                                  one reservation straight on the SKU's
 *                                  inventory object (the RPC an order makes),
 *                                  without the order around it — the object's
 *                                  own ceiling (bench/inventory)
 */

interface BenchEnv extends Env {
  BENCH: DurableObjectNamespace<BenchDO>;
}

export class BenchDO extends DurableObject<BenchEnv> {
  constructor(ctx: DurableObjectState, env: BenchEnv) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS writes (k TEXT PRIMARY KEY, body TEXT NOT NULL, at INTEGER NOT NULL)");
  }

  /** The minimum the engine's ingest must do: one RPC, one committed transaction. */
  write(k: string, body: string): number {
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("INSERT INTO writes (k, body, at) VALUES (?, ?, ?) ON CONFLICT(k) DO UPDATE SET body = excluded.body, at = excluded.at", k, body, Date.now());
    });
    return 1;
  }
}

const MAX_DRAIN_ROWS = 100_000;
/** What one audit row of a real order weighs: an event.applied entry's JSON and two SHA-256 hex links. */
const SAMPLE_DATA = JSON.stringify({ event_id: "shop:orders/create:00000000-0000-0000-0000-000000000000#0", event_type: "order.created", source: "shop", occurred_at: "2026-11-21T10:00:00.000Z", state_from: "received", state_to: "awaiting_payment", lag_ms: 12 });
const HASH = "0".repeat(64);

/** One audit_blocks row per commit of one entry: what "a row" is since the trail is stored per commit. */
function auditRows(n: number): AuditRun[] {
  const at = new Date().toISOString();
  return Array.from({ length: n }, (_, i) => ({ seq: i + 1, at, entries: [[i + 1, "event.applied", SAMPLE_DATA, HASH, HASH]] }));
}

async function drain(env: BenchEnv, url: URL): Promise<Response> {
  const batchSize = Number(url.searchParams.get("batch") ?? "1");
  const rows = Number(url.searchParams.get("rows") ?? "100");
  if (!Number.isInteger(batchSize) || batchSize < 1 || !Number.isInteger(rows) || rows < 1 || rows > MAX_DRAIN_ROWS) {
    return Response.json({ error: "batch and rows must be positive integers (rows ≤ 100000)" }, { status: 400 });
  }
  // A fresh order per call, so every insert is new (writeDrain ignores rows it already has).
  const orderId = `bench-drain-${crypto.randomUUID()}`;
  const all = auditRows(rows);
  const started = Date.now();
  for (let i = 0; i < all.length; i += batchSize) {
    const batch: DrainBatch = { tenant: "bench", orderId, audit: all.slice(i, i + batchSize), index: null, handoffs: [], breaches: [], tasks: [], counts: [] };
    await writeDrain(env.DB, batch);
  }
  // Date.now() advances across awaited I/O in workerd, so this spans the D1 work.
  const ms = Date.now() - started;
  const stored = await env.DB.prepare("SELECT count(*) AS n FROM audit_entries WHERE tenant_id = 'bench' AND order_id = ?").bind(orderId).first<{ n: number }>();
  return Response.json({ rows, batch: batchSize, calls: Math.ceil(rows / batchSize), ms, stored: stored?.n ?? 0 });
}

async function reserve(env: BenchEnv, url: URL): Promise<Response> {
  const tenant = url.searchParams.get("tenant") ?? "";
  const sku = url.searchParams.get("sku") ?? "";
  const orderId = url.searchParams.get("order") ?? "";
  const units = Number(url.searchParams.get("units") ?? "1");
  if (tenant === "" || sku === "" || orderId === "" || !Number.isInteger(units) || units < 1) {
    return Response.json({ error: "tenant, sku, order and units (a positive integer) are required" }, { status: 400 });
  }
  const r = await inventoryObject(env, tenant, sku).reserve({ tenant, sku, orderId, lines: [{ line: "0", quantity: units }] });
  return Response.json({ outcome: r.outcome, tracked: r.tracked, available: r.available });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/do-write" && request.method === "POST") {
      const k = url.searchParams.get("k") ?? crypto.randomUUID();
      const body = await request.text();
      await env.BENCH.get(env.BENCH.idFromName(k)).write(k, body);
      return Response.json({ ok: true }, { status: 202 });
    }
    if (url.pathname === "/__bench/drain" && request.method === "POST") return drain(env, url);
    if (url.pathname === "/__bench/reserve" && request.method === "POST") return reserve(env, url);
    return engine.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<BenchEnv>;
