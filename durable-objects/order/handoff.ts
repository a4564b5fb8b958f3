import { createHash } from "node:crypto";
import { retryPolicyMs, stepSlaMs, type Step } from "../../domain/ownership/schema";
import { ACTION_STEP, HandoffExport, IntendedAction, type ExportStatus } from "../../domain/handoff/document";
import type { MachineEvent } from "../../domain/events/handoff-events";
import { transition, type MachineState } from "../../domain/order/machine";
import { planExports, slaDeadlines, type ExistingExport, type RulesInput } from "../../domain/handoff/plan";
import type { ExportDbRow } from "./storage";
import { iso, type OrderStore } from "./store";
import { TERMINAL_STATES, type OrderView } from "../../domain/order/view";
import type { Outcome } from "../../domain/handoff/delivery";
import { cancelBreachTasks, openBreachTask, syncTasks } from "./manual-tasks";
import type { CommitContext } from "./commit";

export type { CommitContext } from "./commit";

/** A short coalescing window so a burst of events on one order drains in one D1 batch. */
export const DRAIN_DELAY_MS = 50;

export function existingExports(store: OrderStore): ExistingExport[] {
  return store.exports().map((r) => ({ export: HandoffExport.parse(JSON.parse(r.body)), status: r.status as ExportStatus }));
}

function audit(c: CommitContext, type: string, data: Record<string, unknown>): void {
  c.store.appendAudit(c.tenant, c.orderId, type, data, c.now);
}

/**
 * Folds events into the order and carries out what follows inside the same
 * transaction: new handoff decisions, acknowledgement by inbound events, and
 * the SLA clocks. Returns the new state for the caller to cache after commit.
 */
export function applyEvents(c: CommitContext, state: MachineState, events: readonly MachineEvent[], justification: string | null = null): MachineState {
  let s = state;
  const fold = (e: MachineEvent): void => {
    const step = transition(s, e, c.now);
    if (step.state !== s) c.store.addFact(e);
    s = step.state;
    for (const eff of step.effects) audit(c, eff.entry.type, eff.entry.data);
  };
  for (const e of events) fold(e);

  if (c.rules) {
    // Issuing a routing decision adds a fact, which can enable the next decision; a few rounds settle it.
    for (let round = 0; round < 3; round++) {
      const plan = planExports(c.tenant, s.view, s.facts, c.rules, existingExports(c.store), c.now, justification);
      if (plan.issue.length === 0) break;
      for (const id of plan.supersede) withdraw(c, id, "superseded by a new decision version");
      for (const ex of plan.issue) issue(c, ex);
      for (const f of plan.facts) fold(f);
    }
  }
  acknowledgeByEvents(c, s.view);
  if (TERMINAL_STATES.includes(s.view.state)) {
    for (const r of c.store.exports()) if (r.status === "pending") withdraw(c, r.export_id, `order is ${s.view.state}`);
  }
  syncSla(c, s.view);
  syncTasks(c, s.view);
  c.store.enqueue("index", "order", c.now);
  c.store.schedule("drain", "outbox", c.now + DRAIN_DELAY_MS);
  return s;
}

function issue(c: CommitContext, ex: HandoffExport): void {
  const rule = c.rules?.rules.steps[ex.step as Step];
  const consumer = rule?.consumer;
  c.store.insertExport({
    export_id: ex.export_id,
    action: ex.intended_action,
    version: ex.version,
    body: JSON.stringify(ex),
    status: "pending",
    consumer_url: consumer?.url ?? null,
    // Still sealed: unsealed only for the moment of signing.
    consumer_secret: consumer?.secret ?? null,
    requires_ack: consumer?.requires_ack === false ? 0 : 1,
  });
  audit(c, "export.issued", {
    export_id: ex.export_id,
    intended_action: ex.intended_action,
    step: ex.step,
    owning_party: ex.owning_party,
    owner: ex.owner,
    decision_version: ex.decision_version,
    version: ex.version,
    supersedes: ex.supersedes,
    consumer_url: consumer?.url ?? null,
    sla: ex.sla,
  });
  // Delivery happens from the alarm, never inside the inbound request.
  c.store.schedule("deliver", ex.export_id, c.now);
}

function withdraw(c: CommitContext, exportId: string, reason: string): void {
  c.store.updateExport(exportId, { status: "superseded" });
  c.store.cancel("deliver", exportId);
  c.store.cancel("ack", exportId);
  audit(c, "export.withdrawn", { export_id: exportId, reason });
}

/** Inbound events from the consumer (WMS acceptance, carrier shipment) count as its acknowledgement. */
function acknowledgeByEvents(c: CommitContext, view: OrderView): void {
  for (const r of c.store.exports()) {
    if (r.status !== "pending" && r.status !== "delivered") continue;
    let status: "accepted" | "rejected" | null = null;
    if (r.action === "fulfil_order") {
      if (view.fulfillment.status === "accepted" || view.milestones.shipped_at !== undefined) status = "accepted";
      else if (view.fulfillment.status === "rejected") status = "rejected";
    } else if (r.action === "request_shipment" && view.milestones.shipped_at !== undefined) {
      status = "accepted";
    }
    if (status === null) continue;
    markAcked(c, r, { status, reason: null, via: "event" });
  }
}

export function markAcked(c: CommitContext, r: ExportDbRow, ack: { status: "accepted" | "rejected"; reason: string | null; via: "ack" | "event" }): void {
  c.store.updateExport(r.export_id, { status: "acked", acked_at: c.now, ack: JSON.stringify(ack) });
  c.store.cancel("deliver", r.export_id);
  c.store.cancel("ack", r.export_id);
  audit(c, "export.acked", { export_id: r.export_id, ...ack });
}

function stepOf(r: ExportDbRow): Step {
  const action = IntendedAction.parse(r.action);
  return ACTION_STEP[action];
}

/**
 * Keeps one `sla:<step>` timer per running clock. A clock that stopped (its
 * milestone arrived) resolves its breaches; an escalating clock keeps its timer.
 */
export function syncSla(c: CommitContext, view: OrderView): void {
  if (!c.rules) return;
  const deadlines = slaDeadlines(view, c.rules, existingExports(c.store));
  const running = new Set<string>(deadlines.map((d) => d.step));
  for (const t of c.store.timers("sla")) {
    if (!running.has(t.key)) c.store.cancel("sla", t.key);
  }
  const open = new Set(c.store.breaches().filter((b) => b.resolved_at === null).map((b) => b.step));
  for (const step of open) {
    if (running.has(step)) continue;
    const n = c.store.resolveBreaches(step, c.now);
    if (n > 0) audit(c, "sla.recovered", { step });
    cancelBreachTasks(c, step);
  }
  for (const d of deadlines) if (!open.has(d.step)) c.store.schedule("sla", d.step, d.due_at, true);
}

/**
 * An SLA timer fired: if the clock still runs, record the breach and every
 * escalation level the clock has passed (owner → backup → on-call), each once,
 * so a late alarm or a jump past several deadlines lands at the right level.
 */
export function checkSla(c: CommitContext, view: OrderView, step: string): void {
  if (!c.rules) {
    c.store.cancel("sla", step);
    return;
  }
  const d = slaDeadlines(view, c.rules, existingExports(c.store)).find((x) => x.step === step);
  if (!d) {
    c.store.cancel("sla", step);
    return;
  }
  if (c.now < d.due_at) {
    c.store.schedule("sla", step, d.due_at, true);
    return;
  }
  const level = Math.min(2, Math.floor((c.now - d.due_at) / d.interval_ms));
  for (let l = 0; l <= level; l++) {
    const contact = d.ladder[l] ?? d.ladder[2];
    const due = d.due_at + l * d.interval_ms;
    if (c.store.insertBreach({ step, level: l, due_at: due, breached_at: c.now, contact, owning_party: d.owning_party })) {
      audit(c, l === 0 ? "sla.breached" : "sla.escalated", {
        step,
        level: l,
        role: ["owner", "backup", "on_call"][l],
        contact,
        owner: d.ladder[0],
        owning_party: d.owning_party,
        due_at: iso(due),
        since: d.since,
        since_at: d.since_at,
      });
      if (l === 0) openBreachTask(c, view, d.step);
    }
  }
  if (level < 2) c.store.schedule("sla", step, d.due_at + (level + 1) * d.interval_ms, true);
  else c.store.cancel("sla", step);
  c.store.enqueue("index", "order", c.now);
  c.store.schedule("drain", "outbox", c.now + DRAIN_DELAY_MS);
}

/**
 * Jitter that is random across exports but reproducible for one export and
 * attempt: spreads a recovering consumer's load like Math.random would, and
 * lets tests assert the exact schedule.
 */
export function jitter(exportId: string, attempt: number): () => number {
  const h = createHash("sha256").update(`${exportId}#${attempt}`).digest();
  return () => h.readUInt32BE(0) / 0x1_0000_0000;
}

/** Records the result of one delivery attempt and moves the export on. */
export function recordAttempt(
  c: CommitContext,
  state: MachineState,
  r: ExportDbRow,
  n: number,
  result: { status: number | null; latency_ms: number; error_class: string | null; error: string | null },
  outcome: Outcome,
): MachineState {
  const next = outcome.kind === "retry" ? outcome.at : null;
  c.store.insertAttempt({
    export_id: r.export_id,
    n,
    at: c.now,
    status: result.status,
    latency_ms: result.latency_ms,
    error_class: result.error_class,
    outcome: outcome.kind,
    next_attempt_at: next,
  });
  audit(c, "export.attempt", {
    export_id: r.export_id,
    attempt: n,
    status: result.status,
    latency_ms: result.latency_ms,
    error_class: result.error_class,
    error: result.error,
    outcome: outcome.kind,
    next_attempt_at: next === null ? null : iso(next),
  });
  if (r.first_attempt_at === null) c.store.updateExport(r.export_id, { first_attempt_at: c.now });
  const step = stepOf(r);
  switch (outcome.kind) {
    case "delivered":
      c.store.cancel("deliver", r.export_id);
      // A contract without acks is complete on 2xx: that moment is its acknowledgement.
      c.store.updateExport(r.export_id, r.requires_ack ? { status: "delivered", delivered_at: c.now } : { status: "acked", delivered_at: c.now, acked_at: c.now });
      if (r.requires_ack && c.rules) c.store.schedule("ack", r.export_id, c.now + stepSlaMs(c.rules.rules, step), true);
      return applyEvents(c, state, []);
    case "retry":
      c.store.schedule("deliver", r.export_id, outcome.at, true);
      return state;
    case "rejected":
      return fail(c, state, r, "rejected", "consumer_rejected", `consumer answered ${result.status ?? "?"}: ${outcome.reason}`);
    case "exhausted":
      return fail(c, state, r, "failed", "delivery_failed", `gave up after ${n} attempts (${outcome.reason}): ${outcome.detail}`);
  }
}

/** A consumer that refuses, or cannot be reached in time, puts the order on hold with the evidence. */
export function fail(
  c: CommitContext,
  state: MachineState,
  r: ExportDbRow,
  status: "rejected" | "failed",
  kind: "consumer_rejected" | "delivery_failed" | "ack_missing",
  detail: string,
): MachineState {
  c.store.cancel("deliver", r.export_id);
  c.store.cancel("ack", r.export_id);
  c.store.updateExport(r.export_id, { status });
  const step = stepOf(r);
  const rule = c.rules?.rules.steps[step];
  audit(c, "export.escalated", {
    export_id: r.export_id,
    kind,
    detail,
    owner: rule?.owner ?? null,
    escalate_to: rule?.on_call ?? null,
    exception_path: rule?.exception_path ?? null,
  });
  return applyEvents(c, state, [
    {
      id: `handoff:${kind}:${r.export_id}`,
      type: "handoff.exception",
      order_id: c.orderId,
      occurred_at: iso(c.now),
      source: "handoff",
      data: { kind, export_id: r.export_id, step, detail },
    },
  ]);
}

export function retryPolicy(rules: RulesInput | null) {
  return rules ? retryPolicyMs(rules.rules) : { initial: 1000, max_interval: 300_000, max_attempts: 8, max_age: 86_400_000 };
}
