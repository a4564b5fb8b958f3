import { Step } from "../../domain/ownership/schema";
import { stepSlaMs } from "../../domain/ownership/schema";
import { HandoffExport } from "../../domain/handoff/document";
import type { CommitContext } from "./commit";
import type { MachineEvent } from "../../domain/events/handoff-events";
import type { MachineState } from "../../domain/order/machine";
import { iso } from "./store";
import { isOpen, newTask, seedForBreach, seedForHold, type QueueError, type Resolution, type Task, type TaskSeed } from "../../domain/tasks/task";
import type { OrderView } from "../../domain/order/view";

/**
 * The order's side of the manual queue. Everything here runs inside the
 * object's write transaction, so a task opens in the same commit as the hold
 * or breach that needs it: nothing can be stuck without an owner in between.
 */

function audit(c: CommitContext, type: string, data: Record<string, unknown>): void {
  c.store.appendAudit(c.tenant, c.orderId, type, data, c.now);
}

function exportStep(c: CommitContext) {
  return (exportId: string): Step | null => {
    const row = c.store.exportById(exportId);
    if (!row) return null;
    const step = Step.safeParse(HandoffExport.parse(JSON.parse(row.body)).step);
    return step.success ? step.data : null;
  };
}

/** Enough that nobody has to open another system: the order, what happened, what was sent and how it went. */
function evidence(c: CommitContext, view: OrderView, seed: TaskSeed): Record<string, unknown> {
  const attempts = c.store.attempts();
  return {
    order: { state: view.state, value: view.value, milestones: view.milestones, fields: view.fields, fulfillment: view.fulfillment },
    holds: view.holds,
    conflicts: seed.type === "locked_field_conflict" ? view.conflicts.filter((x) => x.event_id === seed.ref) : [],
    receipts: c.store.receipts().map((r) => ({ id: r.id, source: r.source, events: r.events, received_at: r.received_at, raw_sha256: r.raw_sha256 })),
    exports: c.store.exports().map((r) => ({
      export_id: r.export_id,
      status: r.status,
      consumer_url: r.consumer_url,
      attempts: attempts.filter((a) => a.export_id === r.export_id).map((a) => ({ n: a.n, at: iso(a.at), status: a.status, error_class: a.error_class, outcome: a.outcome })),
    })),
    breaches: c.store.breaches().map((b) => ({ step: b.step, level: b.level, contact: b.contact, due_at: iso(b.due_at), resolved: b.resolved_at !== null })),
    audit: c.store.audit().slice(-40).map((e) => ({ seq: e.seq, at: e.at, type: e.type, data: e.data })),
  };
}

function open(c: CommitContext, view: OrderView, seed: TaskSeed): void {
  const t = newTask(seed, { tenant: c.tenant, orderId: c.orderId, view, rules: c.rules?.rules ?? null, now: c.now, evidence: evidence(c, view, seed) });
  if (c.store.task(t.task_id)) return;
  c.store.putTask(t);
  c.store.schedule("task", t.task_id, Date.parse(t.sla_due), true);
  audit(c, "task.opened", { task_id: t.task_id, type: t.type, kind: t.type, step: t.step, owner: t.owner, owning_party: t.owning_party, sla_due: t.sla_due, ref: t.ref });
}

function close(c: CommitContext, t: Task, status: "resolved" | "cancelled", fields: Partial<Task>): Task {
  const done: Task = {
    ...t,
    ...fields,
    status,
    resolved_at: iso(c.now),
    time_to_resolve_ms: c.now - Date.parse(t.opened_at),
  };
  c.store.putTask(done);
  c.store.cancel("task", t.task_id);
  return done;
}

/** One task per open hold; a hold the facts released (an acceptance superseding a rejection) cancels its task. */
export function syncTasks(c: CommitContext, view: OrderView): void {
  const holdRefs = new Set(view.holds.map((h) => h.event_id));
  for (const h of view.holds) open(c, view, seedForHold(h, exportStep(c)));
  for (const t of c.store.tasks()) {
    if (!isOpen(t) || t.ref.startsWith("sla:") || holdRefs.has(t.ref)) continue;
    close(c, t, "cancelled", { resolution: "the hold was released by later events", resolved_by: "handoff" });
    audit(c, "task.cancelled", { task_id: t.task_id, type: t.type, reason: "hold released" });
  }
}

export function openBreachTask(c: CommitContext, view: OrderView, step: Step): void {
  open(c, view, seedForBreach(step, view));
}

/** The clock stopped (its milestone arrived): the breach task has nothing left to do. */
export function cancelBreachTasks(c: CommitContext, step: string): void {
  for (const t of c.store.tasks()) {
    if (!isOpen(t) || t.ref !== `sla:${step}`) continue;
    close(c, t, "cancelled", { resolution: `the ${step} milestone arrived`, resolved_by: "handoff" });
    audit(c, "task.cancelled", { task_id: t.task_id, type: t.type, reason: "sla recovered" });
  }
}

/** A task past its due time moves up the ladder: owner → backup → on-call, one level per step SLA. */
export function escalateTask(c: CommitContext, id: string): void {
  const t = c.store.task(id);
  c.store.cancel("task", id);
  if (!t || !isOpen(t)) return;
  if (c.now < Date.parse(t.sla_due)) {
    c.store.schedule("task", id, Date.parse(t.sla_due), true);
    return;
  }
  if (t.level >= 2) return;
  const level = t.level + 1;
  const step = Step.safeParse(t.step);
  const interval = c.rules && step.success ? stepSlaMs(c.rules.rules, step.data) : 3_600_000;
  const next: Task = { ...t, level, owner: t.escalation[level] ?? t.owner, sla_due: iso(c.now + interval) };
  c.store.putTask(next);
  if (level < 2) c.store.schedule("task", id, c.now + interval, true);
  audit(c, "task.escalated", { task_id: id, type: t.type, step: t.step, level, owner: next.owner, contact: next.owner, role: ["owner", "backup", "on_call"][level] });
}

export function claim(c: CommitContext, id: string, by: string): { ok: true; task: Task } | QueueError {
  const t = c.store.task(id);
  if (!t) return { ok: false, code: "not_found", message: `No task '${id}'` };
  if (t.status === "claimed" && t.claimed_by === by) return { ok: true, task: t };
  if (t.status !== "open") return { ok: false, code: "conflict", message: `Task is ${t.status}${t.claimed_by ? ` by ${t.claimed_by}` : ""}` };
  const next: Task = { ...t, status: "claimed", claimed_at: iso(c.now), claimed_by: by, time_to_first_response_ms: c.now - Date.parse(t.opened_at) };
  c.store.putTask(next);
  audit(c, "task.claimed", { task_id: id, type: t.type, by, time_to_first_response_ms: next.time_to_first_response_ms });
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
  c: CommitContext,
  state: MachineState,
  id: string,
  r: Resolution,
  apply: (c: CommitContext, s: MachineState, events: MachineEvent[], justification: string | null) => MachineState,
): { ok: true; task: Task; state: MachineState } | QueueError {
  const t = c.store.task(id);
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
    time_to_first_response_ms: t.time_to_first_response_ms ?? c.now - Date.parse(t.opened_at),
  });
  audit(c, "task.resolved", { task_id: id, type: t.type, action: r.action, by: r.by, resolution: r.resolution, justification: r.justification });
  if (r.action !== "close") {
    for (const e of c.store.exports()) {
      // Also a handoff the consumer acked with a refusal (a warehouse rejection): replaying means asking again.
      const refused = e.status === "acked" && e.ack !== null && (JSON.parse(e.ack) as { status?: string }).status === "rejected";
      if (e.status !== "rejected" && e.status !== "failed" && !refused) continue;
      c.store.updateExport(e.export_id, { status: "superseded" });
      audit(c, "export.withdrawn", { export_id: e.export_id, reason: `${r.action} by ${r.by}` });
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
