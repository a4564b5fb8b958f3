import { sha256Hex } from "../sha256";
import { iso } from "../time";
import { z } from "zod";
import { Money } from "../events/canonical";
import type { ClockStep, OwnershipRules, Step } from "../ownership/schema";
import { clockRule, stepSlaMs } from "../ownership/schema";
import type { Hold, OrderView } from "../order/view";
import { ownerLadder } from "./owner";

/**
 * The manual queue's unit of work: one business-rule failure, one owner, an
 * escalation ladder, a due time, and the evidence a person needs to act
 * without opening another system.
 */
export const TASK_TYPES = [
  "consumer_rejected",
  "delivery_failed",
  "ack_missing",
  "sla_breach",
  "payment_not_captured",
  "locked_field_conflict",
  "fulfillment_rejected",
  "schema_rejection",
  "duplicate_fulfillment",
  "conflicting_fulfillment",
  "payment_mismatch",
  "cancellation_refused",
  "cancellation_failed",
  "cancelled_export_acted_on",
  "export_blocked",
  "notification_failed",
  "inventory_drift",
  "stuck_order",
  "source_silent",
  "volume_below_expected",
  "reconciliation_mismatch",
] as const;
export const TaskType = z.enum(TASK_TYPES);
export type TaskType = z.infer<typeof TaskType>;

/**
 * Opened by the watchers (worker/watchers/) from D1's cross-order views, not by
 * an order's object: they live in D1 only, like a rejected delivery's task, and
 * the queue claims and resolves them there.
 */
export const WATCHER_TASK_TYPES: readonly TaskType[] = ["stuck_order", "source_silent", "volume_below_expected", "reconciliation_mismatch"];

export const TASK_STATUSES = ["open", "claimed", "resolved", "cancelled"] as const;
export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const RESOLVE_ACTIONS = ["replay", "override", "close"] as const;
export const ResolveAction = z.enum(RESOLVE_ACTIONS);
export type ResolveAction = z.infer<typeof ResolveAction>;

export const Task = z
  .object({
    task_id: z.string(),
    tenant: z.string(),
    order_id: z.string().nullable(),
    rejection_id: z.string().nullable(),
    type: TaskType,
    status: TaskStatus,
    title: z.string(),
    step: z.string(),
    owner: z.string().describe("Who holds it now: escalation[level]"),
    owning_party: z.string(),
    escalation: z.array(z.string()).describe("owner, backup, on-call"),
    level: z.number().int().min(0).max(2),
    sla_due: z.string(),
    opened_at: z.string(),
    /** What opened it: the hold's fact id, the breached step, or the rejection. */
    ref: z.string(),
    claimed_at: z.string().nullable(),
    claimed_by: z.string().nullable(),
    resolved_at: z.string().nullable(),
    resolved_by: z.string().nullable(),
    resolution: z.string().nullable(),
    justification: z.string().nullable(),
    action: ResolveAction.nullable(),
    value: Money.nullable(),
    time_to_first_response_ms: z.number().int().nullable(),
    time_to_resolve_ms: z.number().int().nullable(),
    evidence: z.record(z.string(), z.unknown()),
  })
  .meta({ title: "Manual task" });
export type Task = z.infer<typeof Task>;

/**
 * Ids hashed lately. Every decision re-syncs each hold's task and looks its id up
 * before opening it, so more than half the calls repeat an id just computed, and
 * a sha256 (even in JavaScript, ~3 µs in workerd) costs far more than a lookup.
 * Bounded, cleared when full.
 */
const IDS = new Map<string, string>();
const IDS_MAX = 1024;

/**
 * The last order's ids by type and ref, in front of IDS: a decision (and a replay's next one) asks for
 * the same order's few ids over and over, and two lookups by strings already hashed cost less than
 * building the text to look it up. Only the last order's, so it holds a handful.
 */
let lastOrder: { tenant: string; order: string; ids: Map<TaskType, Map<string, string>> } | null = null;

export function taskId(tenant: string, orderOrRejection: string, type: TaskType, ref: string): string {
  if (lastOrder === null || lastOrder.tenant !== tenant || lastOrder.order !== orderOrRejection) lastOrder = { tenant, order: orderOrRejection, ids: new Map() };
  let byRef = lastOrder.ids.get(type);
  if (byRef === undefined) {
    byRef = new Map();
    lastOrder.ids.set(type, byRef);
  }
  let id = byRef.get(ref);
  if (id === undefined) {
    id = hashedTaskId(`${tenant}\n${orderOrRejection}\n${type}\n${ref}`);
    byRef.set(ref, id);
  }
  return id;
}

function hashedTaskId(text: string): string {
  let id = IDS.get(text);
  if (id === undefined) {
    id = `tk_${sha256Hex(text).slice(0, 20)}`;
    if (IDS.size >= IDS_MAX) IDS.clear();
    IDS.set(text, id);
  }
  return id;
}

const HOLD_TASK: Record<Hold["reason"], { type: TaskType; step: Step; title: string }> = {
  consumer_rejected: { type: "consumer_rejected", step: "routing", title: "Downstream system rejected the handoff" },
  delivery_failed: { type: "delivery_failed", step: "routing", title: "Handoff could not be delivered (retries exhausted)" },
  ack_missing: { type: "ack_missing", step: "routing", title: "Handoff never acknowledged" },
  locked_field_conflict: { type: "locked_field_conflict", step: "customer", title: "Change to a locked field after capture" },
  fulfillment_rejected: { type: "fulfillment_rejected", step: "fulfillment", title: "Warehouse rejected the order" },
  duplicate_fulfillment: { type: "duplicate_fulfillment", step: "shipping", title: "Order shipped more than once" },
  conflicting_fulfillment: { type: "conflicting_fulfillment", step: "fulfillment", title: "Two locations accepted the order" },
  payment_mismatch: { type: "payment_mismatch", step: "payment", title: "Capture does not cover the order total" },
  cancellation_refused: { type: "cancellation_refused", step: "routing", title: "Consumer refused to cancel a superseded handoff" },
  cancellation_failed: { type: "cancellation_failed", step: "routing", title: "Cancellation of a superseded handoff never acknowledged" },
  cancelled_export_acted_on: { type: "cancelled_export_acted_on", step: "routing", title: "Consumer acted on a cancelled handoff" },
  export_blocked: { type: "export_blocked", step: "routing", title: "Handoff blocked by the QA gate" },
};

export interface TaskSeed {
  type: TaskType;
  step: ClockStep;
  ref: string;
  title: string;
}

/** What a hold asks of a person. Delivery holds belong to the step of the export that failed. */
export function seedForHold(hold: Hold, exportStep: (exportId: string) => Step | null): TaskSeed {
  const base = HOLD_TASK[hold.reason];
  const m = /^handoff:[a-z_]+:(exp_.+)$/.exec(hold.event_id);
  const step = (m?.[1] ? exportStep(m[1]) : null) ?? base.step;
  return { type: base.type, step, ref: hold.event_id, title: `${base.title}: ${hold.detail}`.slice(0, 300) };
}

/**
 * A breach task's ref, which its id is derived from: one task per run of the step's clock, so a step
 * that restarts and breaches again gets a task of its own (the first run's is closed). The first run
 * keeps `sla:<step>`, the ref of every breach task opened before runs existed.
 */
export function slaRef(step: string, run: number): string {
  return run === 0 ? `sla:${step}` : `sla:${step}#${run}`;
}

/** Whether a task is a breach task of this step, of any run. */
export function isSlaRefOf(ref: string, step: string): boolean {
  return ref === `sla:${step}` || ref.startsWith(`sla:${step}#`);
}

export function seedForBreach(step: ClockStep, view: OrderView, run: number): TaskSeed {
  const uncaptured = step === "payment" && view.milestones.authorized_at !== undefined && view.milestones.captured_at === undefined;
  const ref = slaRef(step, run);
  return uncaptured
    ? { type: "payment_not_captured", step, ref, title: "Payment authorized but never captured" }
    : { type: "sla_breach", step, ref, title: `SLA breached: ${step}` };
}

export function newTask(
  seed: TaskSeed,
  ctx: { tenant: string; orderId: string; view: OrderView; rules: OwnershipRules | null; defaultOwner?: string | null; now: number; evidence: Record<string, unknown> },
): Task {
  const { ladder, owningParty } = ownerLadder(ctx.rules ? clockRule(ctx.rules, seed.step) : undefined, ctx.defaultOwner ?? null);
  const slaMs = ctx.rules ? stepSlaMs(ctx.rules, seed.step) : 3_600_000;
  return {
    task_id: taskId(ctx.tenant, ctx.orderId, seed.type, seed.ref),
    tenant: ctx.tenant,
    order_id: ctx.orderId,
    rejection_id: null,
    type: seed.type,
    status: "open",
    title: seed.title,
    step: seed.step,
    owner: ladder[0],
    owning_party: owningParty,
    escalation: ladder,
    level: 0,
    sla_due: iso(ctx.now + slaMs),
    opened_at: iso(ctx.now),
    ref: seed.ref,
    claimed_at: null,
    claimed_by: null,
    resolved_at: null,
    resolved_by: null,
    resolution: null,
    justification: null,
    action: null,
    value: ctx.view.value,
    time_to_first_response_ms: null,
    time_to_resolve_ms: null,
    evidence: ctx.evidence,
  };
}

/** Why the object refused a claim or resolve; the route maps `code` to the error envelope. */
export type QueueError = { ok: false; code: "not_found" | "conflict" | "validation_failed"; message: string };

/** A person's decision on a task: what they did and why. */
export interface Resolution {
  resolution: string;
  justification: string;
  action: ResolveAction;
  by: string;
}

export function isOpen(t: Pick<Task, "status">): boolean {
  return t.status === "open" || t.status === "claimed";
}
