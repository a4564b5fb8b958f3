import { env } from "cloudflare:workers";
import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { OrderDO } from "../../durable-objects/order/OrderDO";
import type { Task } from "../../domain/tasks/task";
import type { OrderSnapshot } from "../../domain/order/object";
import { TERMINAL_STATES } from "../../domain/order/view";
import { ERROR_CODES, type ErrorCode } from "../../worker/errors";
import { orderObject } from "../../worker/orders";
import { requests } from "./consumer";
import { setClock } from "./handoff";
import { orderNamespace } from "./order-namespace";
import { Ledger, workerCall, type Sent } from "../chaos/transport";

/**
 * The promises a chaos scenario must leave intact, checked from the outside
 * (HTTP, the consumer's own log, D1) after the dust settles:
 *   no_silent_drop           every order is terminal or has an open task with an owner
 *   no_delivery_after_ack    nothing reaches a consumer for an export after its acknowledgement
 *   one_record_per_delivery  every inbound delivery got exactly one receipt or one rejection record
 *   audit_chain              every order's audit chain verifies and is fully drained
 *   index_agrees             D1's orders, handoffs, tasks and breaches match the objects
 */

export type InvariantName = "no_silent_drop" | "no_delivery_after_ack" | "one_record_per_delivery" | "audit_chain" | "index_agrees";
export interface Violation {
  invariant: InvariantName;
  order_id: string | null;
  detail: string;
}

export interface InvariantReport {
  tenant: string;
  orders: number;
  terminal: number;
  /** Non-terminal orders that someone owns (an open or claimed task with a named owner). */
  owned: number;
  receipts: number;
  rejections: number;
  exports: number;
  consumer_requests: number;
  violations: Violation[];
}

export { Ledger, type Sent };

export interface InvariantOptions {
  ledger?: Ledger;
  /** Consumer scenarios (test/helpers/consumer.ts) the tenant's exports go to. */
  consumers?: string[];
  /** Orders the scenario created: each must exist (an order nobody can find is the worst kind of drop). */
  expectOrders?: string[];
  /** Step every order's clock past its SLA deadlines and run all that falls due (default true). */
  jump?: boolean;
  skip?: InvariantName[];
}

// ---------------------------------------------------------------------------
// Settling

const POOL = 6;
const MAX_ROUNDS = 80;
/** Past the last SLA deadline, follow timers this far (escalations, ack waits, retries) before calling it stuck. */
const FOLLOW_MS = 45 * 24 * 3600_000;

export async function mapPool<T, R>(items: readonly T[], size: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const item = items[i];
      if (item !== undefined) out[i] = await fn(item, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return out;
}

interface ObjectState {
  next: number | null;
  alarm: number | null;
  clock: number;
  tenant: string | null;
  orderId: string | null;
}

async function inspect(stub: DurableObjectStub<OrderDO>): Promise<ObjectState> {
  return runInDurableObject(stub, async (instance, state) => {
    // An object that was only ever read has no tables: it holds no order.
    if (state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'meta'").toArray().length === 0) {
      return { next: null, alarm: await state.storage.getAlarm(), clock: Date.now(), tenant: null, orderId: null };
    }
    // The earliest timer, stored or derived (an SLA clock has no row: durable-objects/order/clocks.ts).
    const next = instance instanceof OrderDO ? instance.clocks.next() : state.storage.sql.exec<{ next: number | null }>("SELECT MIN(due_at) AS next FROM timers").one().next;
    // Who the order is: the `order` row (durable-objects/order/meta.ts), or rows of their own in an object from before.
    const rows = new Map(state.storage.sql.exec<{ k: string; v: string }>("SELECT k, v FROM meta WHERE k IN ('order', 'tenant', 'order_id')").toArray().map((r) => [r.k, r.v]));
    const meta = new Map([...rows, ...Object.entries(JSON.parse(rows.get("order") ?? "{}") as Record<string, string>)]);
    return { next, alarm: await state.storage.getAlarm(), clock: instance instanceof OrderDO ? instance.clock() : Date.now(), tenant: meta.get("tenant") ?? null, orderId: meta.get("order_id") ?? null };
  });
}

/** Every order object the tenant has, found from the objects themselves (not from the index under test). */
export async function tenantOrders(tenant: string): Promise<{ orderId: string; stub: DurableObjectStub<OrderDO> }[]> {
  const all = await mapPool(await listDurableObjectIds(orderNamespace), POOL, async (id) => {
    const stub = orderNamespace.get(id);
    return { stub, state: await inspect(stub) };
  });
  return all.flatMap(({ stub, state }) => (state.tenant === tenant && state.orderId !== null ? [{ orderId: state.orderId, stub }] : []));
}

/**
 * Runs the object's alarm until no timer is left. With `deadlines`, the clock
 * first jumps past the last of them and then follows each timer as it comes due,
 * as if the platform had fired every alarm on time. Returns a problem, or null.
 */
export async function settle(stub: DurableObjectStub<OrderDO>, deadlines: number[] | null): Promise<string | null> {
  let s = await inspect(stub);
  let t = deadlines === null ? null : Math.max(s.clock, ...deadlines.map((d) => d + 1));
  const limit = (t ?? s.clock) + FOLLOW_MS;
  if (t !== null) await setClock(stub, t);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (s.next === null) return null;
    // Without a jump, what is not due yet is simply not due; with one, a timer this far out means it never settles.
    if (t === null && s.next > s.clock) return null;
    if (t !== null && s.next > limit) return `a timer is still pending ${Math.round((s.next - t) / 86_400_000)} days past the last deadline`;
    if (t !== null && s.next > t) {
      t = s.next;
      await setClock(stub, t);
    }
    const ran = await runDurableObjectAlarm(stub);
    s = await inspect(stub);
    // An alarm that fired on its own in between is fine; due timers with no alarm at all are stranded.
    if (!ran && s.next !== null && s.alarm === null) return `timer due at ${new Date(s.next).toISOString()} but no alarm is armed`;
  }
  return `timers still firing after ${MAX_ROUNDS} alarm runs`;
}

// ---------------------------------------------------------------------------
// Reading the world

interface AuditBody {
  entries: { seq: number; hash: string }[];
  chain_valid: boolean;
  chain: { broken_at: number | null; reason: string | null };
  pending: number;
}

interface Observed {
  id: string;
  order: OrderSnapshot | null;
  audit: AuditBody | null;
  tasks: Task[];
}

async function observe(tenant: string, key: string, orderId: string): Promise<Observed> {
  const path = `/v1/tenants/${tenant}/orders/${encodeURIComponent(orderId)}`;
  const o = await workerCall("GET", path, { token: key });
  const a = await workerCall("GET", `${path}/audit`, { token: key });
  return {
    id: orderId,
    order: o.status === 200 ? ((await o.json()) as { order: OrderSnapshot }).order : (await o.body?.cancel(), null),
    audit: a.status === 200 ? ((await a.json()) as AuditBody) : (await a.body?.cancel(), null),
    tasks: await orderObject(env, tenant, orderId).getTasks(),
  };
}

async function consumerLog(scenarios: string[]): Promise<{ id: string; ts: number }[]> {
  const logs = await Promise.all(scenarios.map((s) => requests(s)));
  return logs.flat().map((r) => ({ id: r.headers["webhook-id"] ?? "", ts: Number(r.headers["webhook-timestamp"] ?? "NaN") }));
}

async function allRejections(tenant: string, key: string): Promise<{ id: string; code: string; status: number }[]> {
  const out: { id: string; code: string; status: number }[] = [];
  let cursor: string | null = null;
  do {
    const q: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
    const res = await workerCall("GET", `/v1/tenants/${tenant}/rejections?limit=500${q}`, { token: key });
    const page = (await res.json()) as { rejections: { id: string; code: string; status: number }[]; next_cursor: string | null };
    out.push(...page.rejections);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return out;
}

// ---------------------------------------------------------------------------
// The check

const open = (t: Task): boolean => (t.status === "open" || t.status === "claimed") && t.owner.trim() !== "" && t.owner !== "unassigned";
const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** Settles the tenant's orders, then checks every invariant; assert on `violations`. */
export async function checkInvariants(tenant: string, key: string, opts: InvariantOptions = {}): Promise<InvariantReport> {
  const violations: Violation[] = [];
  const skip = new Set(opts.skip ?? []);
  const flag = (invariant: InvariantName, order_id: string | null, detail: string): void => {
    if (!skip.has(invariant)) violations.push({ invariant, order_id, detail });
  };
  const objects = await tenantOrders(tenant);
  const known = new Set(objects.map((o) => o.orderId));
  for (const id of opts.expectOrders ?? []) if (!known.has(id)) flag("no_silent_drop", id, "the scenario created this order but no object holds it");

  // Before settling: what was acknowledged already, and how often each export had been delivered.
  const before = await mapPool(objects, POOL, (o) => orderObject(env, tenant, o.orderId).getOrder());
  const preAcked = new Set(before.flatMap((s) => (s?.exports ?? []).filter((e) => e.acked_at !== null).map((e) => e.export.export_id)));
  const countIds = (log: { id: string }[]) => log.reduce((m, r) => m.set(r.id, (m.get(r.id) ?? 0) + 1), new Map<string, number>());
  const sentBefore = countIds(await consumerLog(opts.consumers ?? []));

  await mapPool(objects, POOL, async (o, i) => {
    const deadlines = opts.jump === false ? null : (before[i]?.sla ?? []).map((c) => Date.parse(c.due_at));
    const problem = await settle(o.stub, deadlines);
    if (problem !== null) flag("no_silent_drop", o.orderId, problem);
    const drained = await orderObject(env, tenant, o.orderId).flush();
    if (drained.error !== null) flag("index_agrees", o.orderId, `drain failed: ${drained.error}`);
  });
  const seen = await mapPool(objects, POOL, (o) => observe(tenant, key, o.orderId));
  const log = await consumerLog(opts.consumers ?? []);
  const sentAfter = countIds(log);

  let terminal = 0;
  let owned = 0;
  for (const { id, order, audit, tasks } of seen) {
    if (order === null) {
      flag("no_silent_drop", id, "GET order does not find an order its object holds");
      continue;
    }
    // (i) terminal, or someone owns it.
    if (TERMINAL_STATES.includes(order.state)) terminal++;
    else if (tasks.some(open)) owned++;
    else flag("no_silent_drop", id, `state ${order.state} with no open task that has an owner (tasks: ${tasks.map((t) => `${t.type}/${t.status}`).join(", ") || "none"})`);
    // (ii) nothing delivered after the acknowledgement.
    for (const e of order.exports) {
      const ackedAt = ms(e.acked_at);
      if (ackedAt === null) continue;
      const late = log.filter((r) => r.id === e.export.export_id && r.ts * 1000 > ackedAt);
      if (late.length > 0) flag("no_delivery_after_ack", id, `${e.export.export_id}: ${late.length} request(s) signed after its ack at ${e.acked_at}`);
      const lateAttempts = e.attempts.filter((a) => Date.parse(a.at) > ackedAt);
      if (lateAttempts.length > 0) flag("no_delivery_after_ack", id, `${e.export.export_id}: attempt(s) ${lateAttempts.map((a) => a.n).join(",")} after its ack`);
      const grew = (sentAfter.get(e.export.export_id) ?? 0) - (sentBefore.get(e.export.export_id) ?? 0);
      if (preAcked.has(e.export.export_id) && grew > 0) flag("no_delivery_after_ack", id, `${e.export.export_id}: delivered ${grew} more time(s) while settling, after its ack`);
    }
    // (iv) the audit chain.
    if (audit === null) flag("audit_chain", id, "GET audit does not find the order");
    else {
      if (!audit.chain_valid) flag("audit_chain", id, `chain broken at ${audit.chain.broken_at}: ${audit.chain.reason}`);
      if (audit.pending !== 0) flag("audit_chain", id, `${audit.pending} entries never drained to D1`);
      if (audit.entries.at(-1)?.hash !== order.audit_head?.hash) flag("audit_chain", id, "D1's last entry is not the object's audit head");
    }
  }

  // (iii) one receipt per accepted delivery, one rejection record per refused one.
  const receipts = new Map<string, string[]>();
  for (const { id, order } of seen) for (const r of order?.receipts ?? []) receipts.set(r.id, [...(receipts.get(r.id) ?? []), id]);
  const rejections = opts.ledger ? await allRejections(tenant, key) : [];
  if (opts.ledger) reconcile(opts.ledger.sent, receipts, rejections, (d) => flag("one_record_per_delivery", null, d));

  // (v) the D1 index.
  await compareIndex(tenant, seen, (id, d) => flag("index_agrees", id, d));

  return {
    tenant,
    orders: objects.length,
    terminal,
    owned,
    receipts: receipts.size,
    rejections: rejections.length,
    exports: seen.reduce((n, s) => n + (s.order?.exports.length ?? 0), 0),
    consumer_requests: log.length,
    violations,
  };
}

function reconcile(sent: Sent[], receipts: Map<string, string[]>, rejections: { id: string; code: string; status: number }[], flag: (detail: string) => void): void {
  const groups = new Map<string, Sent[]>();
  for (const s of sent) {
    const what = `${s.label} (${s.status} ${s.code ?? ""})`;
    if (s.status >= 500) flag(`${what}: answered 5xx`);
    if (s.expect === "accepted" && s.status !== 200 && s.status !== 202) flag(`${what}: expected a receipt`);
    if (s.expect !== "accepted" && s.expect !== "any" && s.code !== s.expect) flag(`${what}: expected ${s.expect}`);
    if (s.code !== null && (!(s.code in ERROR_CODES) || ERROR_CODES[s.code as ErrorCode] !== s.status)) flag(`${what}: undocumented code or status`);
    if (s.status === 200 || s.status === 202) {
      if (s.receiptId === null) flag(`${what}: no receipt in a 2xx`);
      else groups.set(s.key ?? s.receiptId, [...(groups.get(s.key ?? s.receiptId) ?? []), s]);
    }
  }
  for (const [k, g] of groups) {
    const ids = new Set(g.map((s) => s.receiptId));
    if (ids.size !== 1) flag(`${k}: ${ids.size} different receipts for one delivery`);
    const firsts = g.filter((s) => s.status === 202 && !s.duplicate).length;
    if (firsts !== 1) flag(`${k}: ${firsts} first-time receipts (202) among ${g.length} sends; want exactly 1`);
    for (const s of g) {
      const holders = receipts.get(s.receiptId ?? "") ?? [];
      if (holders.length !== 1) flag(`${k}: receipt ${s.receiptId} held by ${holders.length} orders`);
      else if (s.orderId !== null && holders[0] !== s.orderId) flag(`${k}: receipt landed on order ${holders[0]}, not ${s.orderId}`);
    }
  }
  const given = new Set(sent.map((s) => s.receiptId));
  for (const id of receipts.keys()) if (!given.has(id)) flag(`receipt ${id} stored but no delivery the scenario sent got it`);

  const refused = sent.filter((s) => s.status >= 400 && s.status < 500 && s.code !== "tenant_not_found");
  const byId = new Map(rejections.map((r) => [r.id, r]));
  for (const s of refused) {
    const rec = s.rejectionId === null ? undefined : byId.get(s.rejectionId);
    if (rec === undefined) flag(`${s.label} (${s.code}): refused but no rejection record ${s.rejectionId ?? "(no id in the answer)"}`);
    else if (rec.code !== s.code || rec.status !== s.status) flag(`${s.label}: answered ${s.status} ${s.code}, recorded ${rec.status} ${rec.code}`);
  }
  if (rejections.length !== refused.length) flag(`${rejections.length} rejection records for ${refused.length} refused deliveries`);
}

async function compareIndex(tenant: string, seen: Observed[], flag: (orderId: string | null, detail: string) => void): Promise<void> {
  const q = <T>(sql: string) => env.DB.prepare(sql).bind(tenant).all<T>().then((r) => r.results);
  const rows = await q<{ order_id: string; state: string; locked: number; holds: number; conflicts: number; breaches: number; open_exports: number; version: number }>(
    "SELECT order_id, state, locked, holds, conflicts, breaches, open_exports, version FROM orders WHERE tenant_id = ?",
  );
  const handoffs = await q<{ export_id: string; order_id: string; status: string; attempts: number; acked_at: string | null }>("SELECT export_id, order_id, status, attempts, acked_at FROM handoffs WHERE tenant_id = ?");
  const tasks = await q<{ task_id: string; order_id: string; status: string; owner: string; level: number }>("SELECT task_id, order_id, status, owner, level FROM tasks WHERE tenant_id = ? AND order_id IS NOT NULL");
  const breaches = await q<{ order_id: string; step: string; run: number; level: number; resolved_at: string | null }>("SELECT order_id, step, run, level, resolved_at FROM sla_breaches WHERE tenant_id = ?");
  const ids = new Set(seen.map((s) => s.id));
  for (const r of rows) if (!ids.has(r.order_id)) flag(r.order_id, "D1 indexes an order no object holds");
  const same = (id: string, what: string, d1: unknown, obj: unknown): void => {
    if (JSON.stringify(d1) !== JSON.stringify(obj)) flag(id, `${what}: D1 ${JSON.stringify(d1)}, object ${JSON.stringify(obj)}`);
  };
  for (const { id, order, tasks: objTasks } of seen) {
    if (order === null) continue;
    const row = rows.find((r) => r.order_id === id);
    if (row === undefined) {
      flag(id, "no row in the D1 orders index");
      continue;
    }
    same(id, "orders row", [row.state, row.locked === 1, row.holds, row.conflicts, row.breaches, row.open_exports, row.version], [
      order.state,
      order.locked,
      order.holds.length,
      order.conflicts.length,
      order.breaches.filter((b) => b.resolved_at === null).length,
      order.exports.filter((e) => e.status === "pending" || e.status === "delivered").length,
      order.audit_head?.seq ?? 0,
    ]);
    const sort = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
    same(id, "handoffs", sort(handoffs.filter((h) => h.order_id === id).map((h) => [h.export_id, h.status, h.attempts, ms(h.acked_at)])), sort(order.exports.map((e) => [e.export.export_id, e.status, e.attempts.length, ms(e.acked_at)])));
    same(id, "tasks", sort(tasks.filter((t) => t.order_id === id).map((t) => [t.task_id, t.status, t.owner, t.level])), sort(objTasks.map((t) => [t.task_id, t.status, t.owner, t.level])));
    same(id, "breaches", sort(breaches.filter((b) => b.order_id === id).map((b) => [b.step, b.run, b.level, b.resolved_at !== null])), sort(order.breaches.map((b) => [b.step, b.run, b.level, b.resolved_at !== null])));
  }
}
