import { OrderDO as EngineOrderDO } from "../../durable-objects/order/OrderDO";
import { InventoryDO as EngineInventoryDO } from "../../durable-objects/inventory/InventoryDO";
import { Notifier as EngineNotifier } from "../../durable-objects/notifier/NotifierDO";
import type { InventoryIngestInput, ReserveInput } from "../../domain/inventory/object";
import type { Notice } from "../../domain/notify/notice";
import type { AckInput, AckResult, IngestInput, IngestResult } from "../../domain/order/object";
import type { Resolution } from "../../domain/tasks/task";
import type { Env } from "../../worker/env";
import engine from "../../worker/index";
import { alarmFired, countWorkerRequest, doRequest, meteredD1, meterState, meterReport, resetMeter, withCause, type Bucket } from "./meter";

export { RefusalBudget } from "../../worker/index";

/**
 * The cost benchmark's Worker (bench/cost/wrangler.toml): the production
 * engine and OrderDO, unchanged, seen through meters (bench/cost/meter.ts).
 * The object's storage and D1 binding are wrapped, not patched, so what is
 * measured is exactly the code that ships. Never deployed.
 *
 *   GET  /__bench/meter?due_within_ms=N   the counts so far (not itself counted)
 *   POST /__bench/meter/reset             zero the counts (after setup, before the run)
 */

/** Which cause a Worker request is charged to. */
function bucketOf(request: Request, path: string): Bucket {
  if (request.method === "GET" || request.method === "HEAD") return "read";
  if (/^\/v1\/tenants\/[^/]+\/webhooks\//.test(path)) return "webhook";
  if (/^\/v1\/tenants\/[^/]+\/exports\/[^/]+\/ack$/.test(path)) return "ack";
  return "admin";
}

/** The cause of each of the object's requests (the caller's cause does not cross the RPC boundary). */
const METHOD_BUCKET: Record<string, Bucket> = {
  ingest: "webhook",
  ack: "ack",
  alarm: "alarm",
  getOrder: "read",
  getTasks: "read",
  getAudit: "read",
  flush: "read",
  claimTask: "admin",
  resolveTask: "admin",
  poke: "admin",
};

/**
 * What every metered object shares: its storage and D1 binding wrapped before
 * the engine's constructor runs (`meteredEnv`, passed to `super`), and each
 * request charged to a cause by object id (`ObjectMeter`).
 */
function meteredEnv(ctx: DurableObjectState, env: Env): Env {
  meterState(ctx);
  return { ...env, DB: meteredD1(env.DB) };
}

class ObjectMeter {
  private readonly objectId: string;
  private readonly rawSql: () => SqlStorage;

  constructor(ctx: DurableObjectState, private readonly prefix: string) {
    this.objectId = ctx.id.toString();
    this.rawSql = () => ctx.storage.sql;
  }

  request<T>(method: string, bucket: Bucket, fn: () => Promise<T>): Promise<T> {
    return doRequest(this.objectId, `${this.prefix}${method}`, bucket, this.rawSql, fn);
  }

  alarm(fn: () => Promise<void>): Promise<void> {
    alarmFired(this.objectId);
    return this.request("alarm", "alarm", fn);
  }
}

export class OrderDO extends EngineOrderDO {
  private readonly meter: ObjectMeter;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, meteredEnv(ctx, env));
    this.meter = new ObjectMeter(ctx, "");
  }

  private metered<T>(method: string, fn: () => Promise<T>): Promise<T> {
    return this.meter.request(method, METHOD_BUCKET[method] ?? "other", fn);
  }

  override ingest(input: IngestInput): Promise<IngestResult> {
    return this.metered("ingest", () => super.ingest(input));
  }
  override ack(input: AckInput): Promise<AckResult> {
    return this.metered("ack", () => super.ack(input));
  }
  override getTasks() {
    return this.metered("getTasks", () => super.getTasks());
  }
  override claimTask(taskId: string, by: string) {
    return this.metered("claimTask", () => super.claimTask(taskId, by));
  }
  override resolveTask(taskId: string, r: Resolution) {
    return this.metered("resolveTask", () => super.resolveTask(taskId, r));
  }
  override getOrder() {
    return this.metered("getOrder", () => super.getOrder());
  }
  override getAudit() {
    return this.metered("getAudit", () => super.getAudit());
  }
  override poke() {
    return this.metered("poke", () => super.poke());
  }
  override flush() {
    return this.metered("flush", () => super.flush());
  }
  override alarm(): Promise<void> {
    return this.meter.alarm(() => super.alarm());
  }
}

/**
 * The objects an order calls (its SKUs' stock, its tenant's notifier) are billed
 * like the order's own: metered the same way, each call charged to the part of
 * the lifecycle that makes it (reserving runs inside the webhook's commit; the
 * rest runs from the order's alarm: the stock timer, the drain's notices).
 */
export class InventoryDO extends EngineInventoryDO {
  private readonly meter: ObjectMeter;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, meteredEnv(ctx, env));
    this.meter = new ObjectMeter(ctx, "inventory.");
  }

  override reserve(input: ReserveInput) {
    return this.meter.request("reserve", "webhook", () => super.reserve(input));
  }
  override commit(orderId: string) {
    return this.meter.request("commit", "alarm", () => super.commit(orderId));
  }
  override release(orderId: string, reason: string) {
    return this.meter.request("release", "alarm", () => super.release(orderId, reason));
  }
  override consume(orderId: string, shippedAt: string) {
    return this.meter.request("consume", "alarm", () => super.consume(orderId, shippedAt));
  }
  override ingest(input: InventoryIngestInput) {
    return this.meter.request("ingest", "webhook", () => super.ingest(input));
  }
  override getLevel(sku: string) {
    return this.meter.request("getLevel", "read", () => super.getLevel(sku));
  }
  override alarm(): Promise<void> {
    return this.meter.alarm(() => super.alarm());
  }
}

export class Notifier extends EngineNotifier {
  private readonly meter: ObjectMeter;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, meteredEnv(ctx, env));
    this.meter = new ObjectMeter(ctx, "notifier.");
  }

  override enqueue(tenant: string, notices: Notice[]) {
    return this.meter.request("enqueue", "alarm", () => super.enqueue(tenant, notices));
  }
  override alarm(): Promise<void> {
    return this.meter.alarm(() => super.alarm());
  }
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/meter" && request.method === "GET") {
      const within = Number(url.searchParams.get("due_within_ms") ?? "0");
      // Read on the real binding: the meter's own queries are not the engine's cost.
      // D1 refuses pragma functions; every result's meta carries the database size.
      const d1 = await env.DB.prepare("SELECT 1").all();
      const d1Tables: Record<string, number> = {};
      for (const t of ["audit_log", "audit_blocks", "orders", "handoffs", "tasks", "sla_breaches", "rejections"]) {
        d1Tables[t] = (await env.DB.prepare(`SELECT count(*) AS n FROM ${t}`).first<{ n: number }>())?.n ?? 0;
      }
      return Response.json({ ...meterReport(Date.now(), Number.isFinite(within) ? within : 0), d1Bytes: d1.meta.size_after ?? null, d1Tables });
    }
    if (url.pathname === "/__bench/meter/reset" && request.method === "POST") {
      resetMeter();
      return Response.json({ ok: true });
    }
    const bucket = bucketOf(request, url.pathname);
    return withCause(bucket, () => {
      countWorkerRequest();
      return engine.fetch(request, { ...env, DB: meteredD1(env.DB) }, ctx);
    });
  },
} satisfies ExportedHandler<Env>;
