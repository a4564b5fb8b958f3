import { and, asc, eq, gt, inArray, lt, or, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { InventoryReceipt } from "../domain/inventory/object";
import { Task, TASK_STATUSES, TaskType, taskId, WATCHER_TASK_TYPES, type Resolution, type TaskStatus } from "../domain/tasks/task";
import { ownerLadder } from "../domain/tasks/owner";
import { defaultOwnerOf } from "./tenant-owner";
import type { Receipt } from "../domain/order/object";
import { commitStock } from "./inventory";
import { db } from "./db/client";
import { rejections, tasks, type RejectionRow, type TaskRow } from "./db/schema";
import type { Env } from "./env";
import { ApiError } from "./errors";
import { fromBase64 } from "../domain/crypto";
import { commitToOrder, orderObject } from "./orders";
import { currentRules } from "./ownership/store";
import { notifierFor } from "./notify/notifier";
import { taskNotices } from "../domain/notify/notice";
import { adapters } from "./sources";
import { deliveriesOf } from "./sources/types";
import { requestIdFrom, type TraceCarrier } from "./telemetry/context";
import { sourceConfig } from "./tenancy";

/**
 * The manual queue as the Worker sees it: listing reads D1 (the cross-order
 * view), while every change to an order's task goes through that order's
 * object, the single writer. Tasks about rejected deliveries have no order
 * yet and live in D1 only.
 */

export const TaskSummary = Task.omit({ evidence: true }).meta({ title: "Manual task (summary)" });
export type TaskSummary = z.infer<typeof TaskSummary>;

export const TaskQuery = z.object({
  status: z.enum(TASK_STATUSES).optional(),
  owner: z.string().max(200).optional(),
  type: TaskType.optional(),
  order_id: z.string().max(128).optional(),
  overdue: z.enum(["true", "false"]).optional().describe("true: only tasks past sla_due; false: only tasks not yet due"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional().describe("next_cursor from the previous page"),
});
export type TaskQuery = z.infer<typeof TaskQuery>;

function toTask(r: TaskRow): Task {
  const ms = (a: string | null, b: string | null) => (a && b ? Date.parse(b) - Date.parse(a) : null);
  return {
    task_id: r.taskId,
    tenant: r.tenantId,
    order_id: r.orderId,
    rejection_id: r.rejectionId,
    type: TaskType.parse(r.type),
    status: r.status as TaskStatus,
    title: r.title,
    step: r.step,
    owner: r.owner,
    owning_party: r.owningParty,
    escalation: r.escalation,
    level: r.level,
    sla_due: r.slaDue,
    opened_at: r.openedAt,
    ref: r.ref,
    claimed_at: r.claimedAt,
    claimed_by: r.claimedBy,
    resolved_at: r.resolvedAt,
    resolved_by: r.resolvedBy,
    resolution: r.resolution,
    justification: r.justification,
    action: r.action === "replay" || r.action === "override" || r.action === "close" ? r.action : null,
    value: r.valueMinor !== null && r.currency !== null ? { amount_minor: r.valueMinor, currency: r.currency } : null,
    time_to_first_response_ms: ms(r.openedAt, r.claimedAt),
    time_to_resolve_ms: ms(r.openedAt, r.resolvedAt),
    evidence: (r.evidence ?? {}) as Record<string, unknown>,
  };
}

/** Oldest due first (the queue's order), keyset-paginated on (sla_due, task_id). */
export async function listTasks(env: Env, tenant: string, q: TaskQuery, now = Date.now()): Promise<{ tasks: TaskSummary[]; next_cursor: string | null }> {
  const where: SQL[] = [eq(tasks.tenantId, tenant)];
  if (q.status) where.push(eq(tasks.status, q.status));
  if (q.owner) where.push(eq(tasks.owner, q.owner));
  if (q.type) where.push(eq(tasks.type, q.type));
  if (q.order_id) where.push(eq(tasks.orderId, q.order_id));
  const nowIso = new Date(now).toISOString();
  if (q.overdue === "true") where.push(lt(tasks.slaDue, nowIso), inArray(tasks.status, ["open", "claimed"]));
  if (q.overdue === "false") where.push(gt(tasks.slaDue, nowIso));
  if (q.cursor) {
    const [due, id] = q.cursor.split("|");
    if (!due || !id) throw new ApiError("validation_failed", "Malformed cursor");
    const after = or(gt(tasks.slaDue, due), and(eq(tasks.slaDue, due), gt(tasks.taskId, id)));
    if (after) where.push(after);
  }
  const rows = await db(env.DB)
    .select()
    .from(tasks)
    .where(and(...where))
    .orderBy(asc(tasks.slaDue), asc(tasks.taskId))
    .limit(q.limit + 1)
    .all();
  const page = rows.slice(0, q.limit).map((r) => {
    const { evidence: _e, ...rest } = toTask(r);
    return rest;
  });
  const last = rows.length > q.limit ? page.at(-1) : undefined;
  return { tasks: page, next_cursor: last ? `${last.sla_due}|${last.task_id}` : null };
}

/** Tasks whose single writer is an order's object; the rest (rejections, watchers) are written in D1 only. */
function ownedByOrder(r: TaskRow): r is TaskRow & { orderId: string } {
  return r.orderId !== null && !WATCHER_TASK_TYPES.some((t) => t === r.type);
}

async function d1Task(env: Env, tenant: string, id: string): Promise<TaskRow | undefined> {
  return db(env.DB).select().from(tasks).where(and(eq(tasks.tenantId, tenant), eq(tasks.taskId, id))).get();
}

/** An order's task comes from its object (authoritative, with evidence); others from D1. */
export async function getTask(env: Env, tenant: string, id: string): Promise<Task | null> {
  const row = await d1Task(env, tenant, id);
  if (!row) return null;
  if (!ownedByOrder(row)) return toTask(row);
  return (await orderObject(env, tenant, row.orderId).getTasks()).find((t) => t.task_id === id) ?? toTask(row);
}

function fail(r: { code: "not_found" | "conflict" | "validation_failed"; message: string }): never {
  throw new ApiError(r.code, r.message);
}

export async function claimTask(env: Env, tenant: string, id: string, by: string, now = Date.now()): Promise<Task> {
  const row = await d1Task(env, tenant, id);
  if (!row) throw new ApiError("not_found", `No task '${id}'`);
  if (ownedByOrder(row)) {
    const r = await orderObject(env, tenant, row.orderId).claimTask(id, by);
    return r.ok ? r.task : fail(r);
  }
  if (row.status === "claimed" && row.claimedBy === by) return toTask(row);
  if (row.status !== "open") throw new ApiError("conflict", `Task is ${row.status}${row.claimedBy ? ` by ${row.claimedBy}` : ""}`);
  const at = new Date(now).toISOString();
  const updated = await db(env.DB)
    .update(tasks)
    .set({ status: "claimed", claimedAt: at, claimedBy: by, updatedAt: at })
    .where(and(eq(tasks.tenantId, tenant), eq(tasks.taskId, id), eq(tasks.status, "open")))
    .returning();
  const u = updated[0];
  if (!u) throw new ApiError("conflict", "Task was claimed by someone else");
  return toTask(u);
}

export async function resolveTask(env: Env, tenant: string, id: string, r: Resolution, now = Date.now()): Promise<Task> {
  const row = await d1Task(env, tenant, id);
  if (!row) throw new ApiError("not_found", `No task '${id}'`);
  if (ownedByOrder(row)) {
    const out = await orderObject(env, tenant, row.orderId).resolveTask(id, r);
    return out.ok ? out.task : fail(out);
  }
  if (row.status === "resolved" || row.status === "cancelled") throw new ApiError("conflict", `Task is already ${row.status}`);
  if (WATCHER_TASK_TYPES.some((t) => t === row.type) && r.action !== "close") throw new ApiError("validation_failed", "A watcher's task has nothing to replay or override: fix the cause, then close it");
  if (r.action === "override") throw new ApiError("validation_failed", "A rejected delivery has no decision to override: replay it once the cause is fixed, or close it");
  if (r.action === "replay" && row.rejectionId) await replayRejection(env, tenant, row.rejectionId, r.by, r.justification, false);
  return finishD1Task(env, tenant, row, r, now);
}

async function finishD1Task(env: Env, tenant: string, row: TaskRow, r: Resolution, now: number): Promise<Task> {
  const at = new Date(now).toISOString();
  const updated = await db(env.DB)
    .update(tasks)
    .set({
      status: "resolved",
      resolvedAt: at,
      resolvedBy: r.by,
      resolution: r.resolution,
      justification: r.justification,
      action: r.action,
      claimedAt: row.claimedAt ?? at,
      claimedBy: row.claimedBy ?? r.by,
      updatedAt: at,
    })
    .where(and(eq(tasks.tenantId, tenant), eq(tasks.taskId, row.taskId), inArray(tasks.status, ["open", "claimed"])))
    .returning();
  const u = updated[0];
  if (!u) throw new ApiError("conflict", "Task was resolved by someone else");
  await notifyD1Task(env, u);
  return toTask(u);
}

/**
 * Tasks that live only in D1 (refused deliveries) are told to people like an
 * order's: the notifier deduplicates by key. Enqueuing is a write to the
 * tenant's notifier, never a send; if even that fails the task stands in the
 * queue, and the failure is logged rather than failing the caller's request.
 * A notification_failed task is not notified (see worker/notify/fallback.ts).
 */
async function notifyD1Task(env: Env, row: TaskRow): Promise<void> {
  if (row.type === "notification_failed") return;
  try {
    await notifierFor(env, row.tenantId).enqueue(row.tenantId, taskNotices(toTask(row), Date.now()));
  } catch (err) {
    console.error(`could not hand task ${row.taskId} to the notifier`, err);
  }
}

/** Refusals a person can act on: the body was genuine but did not map. */
const TASK_CODES = new Set(["schema_mismatch", "unsupported_event", "order_id_missing", "order_too_large"]);

export async function openRejectionTask(env: Env, rej: RejectionRow): Promise<void> {
  if (!rej.signatureVerified || !TASK_CODES.has(rej.code)) return;
  const snapshot = await currentRules(env, rej.tenantId).catch(() => null);
  const rule = snapshot?.rules.steps.routing;
  const { ladder, owningParty } = ownerLadder(rule, rule ? null : await defaultOwnerOf(env, rej.tenantId).catch(() => null));
  const opened = new Date(rej.receivedAt);
  const inserted = await db(env.DB)
    .insert(tasks)
    .values({
      tenantId: rej.tenantId,
      taskId: taskId(rej.tenantId, rej.id, "schema_rejection", rej.id),
      orderId: null,
      rejectionId: rej.id,
      type: "schema_rejection",
      status: "open",
      step: "routing",
      ref: rej.id,
      owner: ladder[0],
      owningParty,
      escalation: ladder,
      level: 0,
      slaDue: new Date(opened.getTime() + 4 * 3600_000).toISOString(),
      title: `Inbound ${rej.source} delivery refused (${rej.code}): ${rej.reason}`.slice(0, 300),
      evidence: { rejection: { id: rej.id, source: rej.source, code: rej.code, reason: rej.reason, details: rej.details, headers: rej.headers, body_sha256: rej.bodySha256, body_bytes: rej.bodyBytes, received_at: rej.receivedAt } },
      valueMinor: null,
      currency: null,
      openedAt: rej.receivedAt,
      updatedAt: rej.receivedAt,
    })
    .onConflictDoNothing()
    .returning();
  for (const row of inserted) await notifyD1Task(env, row);
}

/**
 * Replays a refused delivery once its cause is fixed (a mapping bug deployed
 * away, a source registered). Only bodies whose signature verified when they
 * arrived are replayed: we keep no signatures (a stored one could be replayed
 * by anyone who can read rejections, and Shopify's carry no timestamp), so the
 * record of that verification is the evidence, and replay is a server-side
 * action that needs the tenant's key.
 */
export async function replayRejection(
  env: Env,
  tenant: string,
  id: string,
  by: string,
  justification: string,
  closeTask = true,
  // A replay started from a task resolution has no request of its own at hand: it gets a fresh id.
  trace: TraceCarrier = { requestId: requestIdFrom(null), traceparent: null },
): Promise<{ receipt: Receipt | InventoryReceipt; rejection: RejectionRow }> {
  const d = db(env.DB);
  const rej = await d.select().from(rejections).where(and(eq(rejections.tenantId, tenant), eq(rejections.id, id))).get();
  if (!rej) throw new ApiError("not_found", `No rejection '${id}'`);
  if (!rej.signatureVerified) throw new ApiError("conflict", "This delivery's signature never verified; it cannot be replayed. Ask the sender to redeliver it.");
  if (rej.bodyTruncated) throw new ApiError("conflict", "Only part of this body was kept; it cannot be replayed.");
  const config = await sourceConfig(env, tenant, rej.source);
  if (!config) throw new ApiError("source_not_found", `Source '${rej.source}' no longer exists`);
  const raw = fromBase64(rej.bodyBase64) ?? new Uint8Array();
  const headers = new Map(Object.entries(rej.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const input = { raw, headers: (n: string) => headers.get(n.toLowerCase()) ?? null, source: rej.source, settings: config.settings };
  const adapter = adapters[config.kind];
  // A stock message (no order) is committed by its SKU's object, e.g. once its Shopify item has a mapping.
  const stock = adapter.parseStock?.(input) ?? null;
  const parsed = stock ?? adapter.parse(input);
  if (!parsed.ok) throw new ApiError(parsed.code, `Still refused: ${parsed.message}`, parsed.details);
  if ("ignored" in parsed) throw new ApiError("conflict", `Nothing to replay: ${parsed.ignored}`);
  let result: { receipt: Receipt | InventoryReceipt };
  if ("sku" in parsed) {
    const committed = await commitStock(env, tenant, rej.source, parsed, rej.bodySha256);
    if (!committed.ok) throw new ApiError(committed.code, `Still refused: ${committed.message}`);
    result = committed;
  } else {
    // A batch (Adyen) replays every item; the rejection records the first item's receipt.
    const receipts: Receipt[] = [];
    for (const delivery of deliveriesOf(parsed)) {
      const one = await commitToOrder(env, tenant, rej.source, delivery, rej.bodySha256, trace);
      if (!one.ok) throw new ApiError(one.code, `Still refused: ${one.message}`);
      receipts.push(one.receipt);
    }
    const [first] = receipts;
    if (first === undefined) throw new ApiError("conflict", "The delivery holds nothing to replay");
    result = { receipt: first };
  }
  const at = new Date().toISOString();
  await d.update(rejections).set({ replayedAt: at, replayReceiptId: result.receipt.id }).where(and(eq(rejections.tenantId, tenant), eq(rejections.id, id)));
  if (closeTask) {
    const row = await d1Task(env, tenant, taskId(tenant, id, "schema_rejection", id));
    if (row && (row.status === "open" || row.status === "claimed")) {
      await finishD1Task(env, tenant, row, { action: "replay", by, justification, resolution: `replayed as ${result.receipt.id}` }, Date.now());
    }
  }
  return { receipt: result.receipt, rejection: { ...rej, replayedAt: at, replayReceiptId: result.receipt.id } };
}
