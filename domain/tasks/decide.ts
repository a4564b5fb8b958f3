import { parsedExport } from "../handoff/plan";
import type { MachineEvent } from "../events/handoff-events";
import type { OrderCommit } from "../order/commit";
import type { MachineState } from "../order/machine";
import type { OrderView } from "../order/view";
import { Step, stepSlaMs, type ClockStep } from "../ownership/schema";
import { iso, parseInstant } from "../time";
import { isOpen, isSlaRefOf, newTask, seedForBreach, seedForHold, taskId, type QueueError, type Resolution, type Task, type TaskSeed } from "./task";
import { retract } from "../handoff/cancel";
import { consumerMayHold } from "../handoff/cancellation";

/**
 * The order's side of the manual queue, decided purely: each function reads
 * the commit's working copy and emits effects. The object applies them in the
 * same transaction as the hold or breach that needs the task, so nothing can
 * be stuck without an owner in between.
 */

function exportStep(c: OrderCommit) {
  return (exportId: string): Step | null => {
    const row = c.exportById(exportId);
    if (!row) return null;
    const step = Step.safeParse(parsedExport(row.body).step);
    return step.success ? step.data : null;
  };
}

/** Enough that nobody has to open another system: the order, what happened, what was sent and how it went. */
function evidence(c: OrderCommit, view: OrderView, seed: TaskSeed): Record<string, unknown> {
  const attempts = c.attempts();
  return {
    order: { state: view.state, value: view.value, milestones: view.milestones, fields: view.fields, fulfillment: view.fulfillment },
    holds: view.holds,
    conflicts: seed.type === "locked_field_conflict" ? view.conflicts.filter((x) => x.event_id === seed.ref) : [],
    cancellations: c.cancellations().map((x) => ({ export_id: x.export_id, cancellation_id: x.cancellation_id, status: x.status, reason: x.reason, superseded_by: x.superseded_by })),
    receipts: c.receipts().map((r) => ({ id: r.id, source: r.source, events: r.events, received_at: r.received_at, raw_sha256: r.raw_sha256 })),
    exports: c.exports().map((r) => ({
      export_id: r.export_id,
      status: r.status,
      consumer_url: r.consumer_url,
      attempts: attempts.filter((a) => a.export_id === r.export_id).map((a) => ({ n: a.n, at: iso(a.at), status: a.status, error_class: a.error_class, outcome: a.outcome })),
    })),
    breaches: c.breaches().map((b) => ({ step: b.step, level: b.level, contact: b.contact, due_at: iso(b.due_at), resolved: b.resolved_at !== null })),
    audit: c.recentAudit().map((e) => ({ seq: e.seq, at: e.at, type: e.type, data: e.data })),
  };
}

function open(c: OrderCommit, view: OrderView, seed: TaskSeed): void {
  // Every decision re-syncs every hold's task: look before gathering evidence, which reads most of the order's tables.
  if (c.task(taskId(c.tenant, c.orderId, seed.type, seed.ref))) return;
  const t = newTask(seed, { tenant: c.tenant, orderId: c.orderId, view, rules: c.rules?.rules ?? null, defaultOwner: c.defaultOwner, now: c.now, evidence: c.gathersEvidence ? evidence(c, view, seed) : {} });
  c.emit({ type: "open_task", task: t });
  c.schedule("task", t.task_id, parseInstant(t.sla_due), true);
  c.audit("task.opened", { task_id: t.task_id, type: t.type, kind: t.type, step: t.step, owner: t.owner, owning_party: t.owning_party, sla_due: t.sla_due, ref: t.ref });
}

function close(c: OrderCommit, t: Task, status: "resolved" | "cancelled", fields: Partial<Task>): Task {
  const done: Task = {
    ...t,
    ...fields,
    status,
    resolved_at: iso(c.now),
    time_to_resolve_ms: c.now - parseInstant(t.opened_at),
  };
  c.emit({ type: "update_task", task: done });
  c.cancel("task", t.task_id);
  return done;
}

/** One task per open hold; a hold the facts released (an acceptance superseding a rejection) cancels its task. */
export function syncTasks(c: OrderCommit, view: OrderView): void {
  const holdRefs = new Set(view.holds.map((h) => h.event_id));
  for (const h of view.holds) open(c, view, seedForHold(h, exportStep(c)));
  for (const t of c.tasks()) {
    if (!isOpen(t) || t.ref.startsWith("sla:") || holdRefs.has(t.ref)) continue;
    close(c, t, "cancelled", { resolution: "the hold was released by later events", resolved_by: "handoff" });
    c.audit("task.cancelled", { task_id: t.task_id, type: t.type, reason: "hold released" });
  }
}

export function openBreachTask(c: OrderCommit, view: OrderView, step: ClockStep, run: number): void {
  open(c, view, seedForBreach(step, view, run));
}

/**
 * The clock's run ended: its milestone arrived, or the step started over (a new deadline replaced
 * the one breached). Either way the breach task has nothing left to do; a new run opens its own.
 */
export function cancelBreachTasks(c: OrderCommit, step: string, restarted = false): void {
  for (const t of c.tasks()) {
    if (!isOpen(t) || !isSlaRefOf(t.ref, step)) continue;
    const resolution = restarted ? `the ${step} step started over with a new deadline` : `the ${step} milestone arrived`;
    close(c, t, "cancelled", { resolution, resolved_by: "handoff" });
    c.audit("task.cancelled", { task_id: t.task_id, type: t.type, reason: "sla recovered" });
  }
}

/** A task past its due time moves up the ladder: owner → backup → on-call, one level per step SLA. */
export function escalateTask(c: OrderCommit, id: string): void {
  const t = c.task(id);
  c.cancel("task", id);
  if (!t || !isOpen(t)) return;
  if (c.now < parseInstant(t.sla_due)) {
    c.schedule("task", id, parseInstant(t.sla_due), true);
    return;
  }
  if (t.level >= 2) return;
  const level = t.level + 1;
  const step = Step.safeParse(t.step);
  const interval = c.rules && step.success ? stepSlaMs(c.rules.rules, step.data) : 3_600_000;
  const next: Task = { ...t, level, owner: t.escalation[level] ?? t.owner, sla_due: iso(c.now + interval) };
  c.emit({ type: "update_task", task: next });
  if (level < 2) c.schedule("task", id, c.now + interval, true);
  c.audit("task.escalated", { task_id: id, type: t.type, step: t.step, level, owner: next.owner, contact: next.owner, role: ["owner", "backup", "on_call"][level] });
}

export function claim(c: OrderCommit, id: string, by: string): { ok: true; task: Task } | QueueError {
  const t = c.task(id);
  if (!t) return { ok: false, code: "not_found", message: `No task '${id}'` };
  if (t.status === "claimed" && t.claimed_by === by) return { ok: true, task: t };
  if (t.status !== "open") return { ok: false, code: "conflict", message: `Task is ${t.status}${t.claimed_by ? ` by ${t.claimed_by}` : ""}` };
  const next: Task = { ...t, status: "claimed", claimed_at: iso(c.now), claimed_by: by, time_to_first_response_ms: c.now - parseInstant(t.opened_at) };
  c.emit({ type: "update_task", task: next });
  c.audit("task.claimed", { task_id: id, type: t.type, by, time_to_first_response_ms: next.time_to_first_response_ms });
  return { ok: true, task: next };
}

/**
 * Resolving records who and why, then acts:
 * - close: release the hold; nothing is re-sent (the person fixed it elsewhere);
 * - replay: release the hold and re-run the order's facts through the current
 *   rules: failed or rejected handoffs are withdrawn, so the decision is issued again;
 * - override: like replay, and the new export version carries the justification.
 */
export function resolve(
  c: OrderCommit,
  state: MachineState,
  id: string,
  r: Resolution,
  apply: (c: OrderCommit, s: MachineState, events: MachineEvent[], justification: string | null) => MachineState,
): { ok: true; task: Task; state: MachineState } | QueueError {
  const t = c.task(id);
  if (!t) return { ok: false, code: "not_found", message: `No task '${id}'` };
  if (!isOpen(t)) return { ok: false, code: "conflict", message: `Task is already ${t.status}` };
  if (r.justification.trim() === "") return { ok: false, code: "validation_failed", message: "A justification is required" };
  const done = close(c, t, "resolved", {
    resolved_by: r.by,
    resolution: r.resolution,
    justification: r.justification,
    action: r.action,
    claimed_at: t.claimed_at ?? iso(c.now),
    claimed_by: t.claimed_by ?? r.by,
    time_to_first_response_ms: t.time_to_first_response_ms ?? c.now - parseInstant(t.opened_at),
  });
  c.audit("task.resolved", { task_id: id, type: t.type, action: r.action, by: r.by, resolution: r.resolution, justification: r.justification });
  if (r.action !== "close") {
    for (const e of c.exports()) {
      if (e.status === "not_cancelled") {
        // The consumer still holds it: asking again means a new cancellation when the decision is re-issued, never a silent withdrawal.
        c.updateExport(e.export_id, { status: "delivered" });
        continue;
      }
      if (e.status === "failed" && consumerMayHold(c.attempts(e.export_id))) {
        // It may have landed (2xx without an ack, a timeout): the re-issued version waits for the consumer to drop this one.
        retract(c, { ...e, status: "delivered" }, `${r.action} by ${r.by}`, null);
        continue;
      }
      // Also a handoff the consumer acked with a refusal (a warehouse rejection): replaying means asking again.
      const refused = e.status === "acked" && e.ack !== null && (JSON.parse(e.ack) as { status?: string }).status === "rejected";
      // And a decision the QA gate refused: replaying (or overriding) means deciding it again, as a new version.
      if (e.status !== "rejected" && e.status !== "failed" && e.status !== "blocked" && !refused) continue;
      c.updateExport(e.export_id, { status: "superseded" });
      c.audit("export.withdrawn", { export_id: e.export_id, reason: `${r.action} by ${r.by}` });
    }
  }
  // A hold is released by a fact, so the view stays a function of the facts.
  const events: MachineEvent[] = t.ref.startsWith("sla:")
    ? []
    : [
        {
          id: `handoff:cleared:${t.ref}`,
          type: "handoff.exception_cleared",
          order_id: c.orderId,
          occurred_at: iso(c.now),
          source: "handoff",
          data: { event_id: t.ref, by: r.by, justification: r.justification },
        },
      ];
  const next = apply(c, state, events, r.action === "override" ? r.justification : null);
  return { ok: true, task: done, state: next };
}
