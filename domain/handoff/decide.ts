import type { MachineEvent } from "../events/handoff-events";
import type { OrderCommit } from "../order/commit";
import type { ExportRecord } from "../order/effects";
import { transition, type MachineState } from "../order/machine";
import type { IngestInput, Receipt } from "../order/object";
import { TERMINAL_STATES, type OrderView } from "../order/view";
import { retryPolicyMs, stepSlaMs, type Step } from "../ownership/schema";
import { syncTasks } from "../tasks/decide";
import { sha256Hex } from "../sha256";
import { iso, parseInstant } from "../time";
import { decideOutcome, type AttemptResult, type Outcome } from "./delivery";
import { ACTION_STEP, IntendedAction, parseExportId, type AckVia, type HandoffExport } from "./document";
import { describeFailures, gatePlan, unblockedByDirectory, type GateResult } from "./gate";
import { actionRule, existingExports, exportBody, planExports, type RulesInput } from "./plan";
import { STOCK_TIMER, stockFollowUp } from "../inventory/allocate";
import { syncSla } from "./sla";
import { actedOnCancelledExports, retract, waitsForCancellation } from "./cancel";
import { escalation, logAttempt } from "./records";

/**
 * The handoff decisions, pure: what follows an event (new exports, acks by
 * inbound events, SLA clocks, tasks), a delivery attempt's result, a
 * consumer's ack, a missing ack. Each reads the commit's working copy and
 * emits effects; the order object applies them in one transaction.
 */

/**
 * A delivery the object has not seen (its idempotency key is new): record the
 * receipt and its audit entry, then fold its events and everything that follows.
 */
export function receive(c: OrderCommit, state: MachineState, input: IngestInput, receiptId: string): { receipt: Receipt; state: MachineState } {
  const receipt: Receipt = { id: receiptId, order_id: input.orderId, events: input.events.map((e) => e.type), duplicate: false, received_at: iso(c.now) };
  c.emit({ type: "record_receipt", receipt: { ...receipt, source: input.source, idempotency_key: input.idempotencyKey, raw_sha256: input.rawSha256 } });
  c.audit("receipt.recorded", {
    receipt_id: receipt.id,
    source: input.source,
    idempotency_key: input.idempotencyKey,
    raw_sha256: input.rawSha256,
    events: input.events.map((e) => ({ id: e.id, type: e.type, occurred_at: e.occurred_at })),
    request_id: input.trace.requestId,
    // The facts whole and the rules they met: a what-if replays an order from its trail alone (domain/whatif/).
    facts: input.events,
    rules_version: c.rules?.version ?? null,
  });
  return { receipt, state: applyEvents(c, state, input.events) };
}

/**
 * Folds events into the order and carries out what follows inside the same
 * transaction: new handoff decisions, acknowledgement by inbound events, and
 * the SLA clocks. Returns the new state for the caller to cache after commit.
 */
export function applyEvents(c: OrderCommit, state: MachineState, events: readonly MachineEvent[], justification: string | null = null): MachineState {
  let s = state;
  const fold = (e: MachineEvent): void => {
    const step = transition(s, e, c.now);
    if (step.state !== s) c.emit({ type: "add_fact", event: e });
    s = step.state;
    for (const eff of step.effects) c.emit(eff);
  };
  for (const e of events) fold(e);
  // A consumer reporting work on a version it was asked to drop is a conflict, before anything new is decided.
  for (const e of actedOnCancelledExports(c, s.facts)) fold(e);

  if (c.rules) {
    // Issuing a routing decision adds a fact, which can enable the next decision; a few rounds settle it.
    const by = events.find((e) => e.type === "handoff.exception_cleared")?.data.by ?? null;
    for (let round = 0; round < 3; round++) {
      const existing = existingExports(c.exports());
      const reopened = unblockedByDirectory(s.view.holds, existing, c.rules.rules, c.directory);
      const planned = planExports(c.tenant, s.view, s.facts, c.rules, existing, c.now, justification, c.allocation(), reopened);
      for (const id of planned.retire) {
        const row = c.exportById(id);
        if (row) retract(c, row, "every backordered unit was filled from arriving stock", null);
      }
      if (planned.issue.length === 0) break;
      // Nothing leaves without passing the QA gate (names against the directory the object holds); an override waives what a person can vouch for.
      const { plan, blocked, waived } = gatePlan(planned, { rules: c.rules.rules, existing, now: c.now, directory: c.directory, override: justification !== null });
      for (const b of blocked) {
        const hold = block(c, s.facts, b);
        if (hold) for (const f of [...releaseBlocked(s.view, b.doc, hold.id), hold]) fold(f);
      }
      for (const id of plan.supersede) {
        const row = c.exportById(id);
        const next = plan.issue.find((ex) => ex.intended_action === row?.action);
        if (row) retract(c, row, "superseded by a new decision version", next?.export_id ?? null);
      }
      for (const ex of plan.issue) {
        const w = waived.find((x) => x.doc.export_id === ex.export_id);
        if (w) c.audit("export.gate_waived", { export_id: ex.export_id, by, justification, checks: w.failures });
        issue(c, ex);
        for (const f of releaseBlocked(s.view, ex, null)) fold(f);
      }
      for (const f of plan.facts) fold(f);
    }
  }
  acknowledgeByEvents(c, s.view);
  // Cancelled, refunded or shipped: the inventory objects are told from the alarm (an RPC), once.
  if (stockFollowUp(s.view, c.allocation()) !== null) c.schedule(STOCK_TIMER, "follow_up", c.now);
  if (TERMINAL_STATES.includes(s.view.state)) {
    for (const r of c.exports()) if (r.status === "pending" || r.status === "awaiting_cancellation") retract(c, r, `order is ${s.view.state}`, null);
  }
  syncSla(c, s.view);
  syncTasks(c, s.view);
  c.refreshIndex();
  return s;
}

function issue(c: OrderCommit, ex: HandoffExport): void {
  const consumer = c.rules ? actionRule(c.rules.rules, IntendedAction.parse(ex.intended_action)).rule.consumer : undefined;
  const waits = waitsForCancellation(c, ex);
  c.emit({
    type: "issue_export",
    row: {
      export_id: ex.export_id,
      action: ex.intended_action,
      version: ex.version,
      body: exportBody(ex),
      status: waits ? "awaiting_cancellation" : "pending",
      consumer_url: consumer?.url ?? null,
      // Still sealed: unsealed only for the moment of signing.
      consumer_secret: consumer?.secret ?? null,
      requires_ack: consumer?.requires_ack === false ? 0 : 1,
    },
  });
  c.audit("export.issued", {
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
    awaiting_cancellation: waits,
  });
  // Delivery happens from the alarm, never inside the inbound request; a replacement only once its predecessor is cancelled.
  if (!waits) c.schedule("deliver", ex.export_id, c.now);
  // Its TTL: if nobody has acknowledged it by then it is decided again (plan.ts isStale), never delivered stale.
  if (ex.valid_until !== null) c.schedule("ttl", ex.export_id, parseInstant(ex.valid_until), true);
}

/**
 * A decision the gate refused: kept as a `blocked` row (so the fix is a new
 * version) and on the trail with every failed check, plus the fact that holds
 * the order, whose task lists the checks. A document that fails its own schema
 * cannot be stored (every reader parses bodies), so only the trail and the hold
 * carry it. Null when that hold is already among the facts.
 */
function block(c: OrderCommit, facts: readonly MachineEvent[], b: GateResult): MachineEvent | null {
  const { doc: ex, failures } = b;
  const id = `handoff:export_blocked:${ex.export_id}`;
  if (facts.some((f) => f.id === id)) return null;
  const storable = !failures.some((f) => f.code === "schema_invalid");
  if (storable) {
    c.emit({
      type: "issue_export",
      row: { export_id: ex.export_id, action: ex.intended_action, version: ex.version, body: exportBody(ex), status: "blocked", consumer_url: null, consumer_secret: null, requires_ack: 1 },
    });
  }
  c.audit("export.blocked", {
    export_id: ex.export_id,
    intended_action: ex.intended_action,
    step: ex.step,
    owner: ex.owner,
    decision_version: ex.decision_version,
    version: ex.version,
    supersedes: ex.supersedes,
    stored: storable,
    checks: failures,
  });
  return {
    id,
    type: "handoff.exception",
    order_id: c.orderId,
    occurred_at: iso(c.now),
    source: "handoff",
    data: { kind: "export_blocked", export_id: ex.export_id, step: ex.step, detail: describeFailures(failures).slice(0, 2000), checks: failures },
  };
}

const BLOCKED_PREFIX = "handoff:export_blocked:";

/** Earlier blocked versions of the same action stop holding the order once a newer decision replaces them (issued, or blocked anew). */
function releaseBlocked(view: OrderView, ex: HandoffExport, keep: string | null): MachineEvent[] {
  return view.holds
    .filter((h) => h.reason === "export_blocked" && h.event_id !== keep && parseExportId(h.event_id.slice(BLOCKED_PREFIX.length))?.action === ex.intended_action)
    .map((h) => ({
      id: `handoff:cleared:${h.event_id}:${ex.export_id}`,
      type: "handoff.exception_cleared" as const,
      order_id: ex.order_id,
      occurred_at: ex.issued_at,
      source: "handoff" as const,
      data: { event_id: h.event_id, by: "handoff", justification: `replaced by ${ex.export_id}` },
    }));
}


/** Inbound events from the consumer (WMS acceptance, carrier shipment) count as its acknowledgement. */
function acknowledgeByEvents(c: OrderCommit, view: OrderView): void {
  for (const r of c.exports()) {
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

/**
 * The one place an export becomes acknowledged, whichever way: a signed ack
 * (`ack`), the consumer's own inbound event (`event`), or a 2xx under a
 * contract that asks for no ack (`delivery`). It sets `acked_at`, and writes
 * the `export.acked` entry the analytics exports and notebooks count.
 */
export function markAcked(c: OrderCommit, r: ExportRecord, ack: { status: "accepted" | "rejected"; reason: string | null; via: AckVia }): void {
  c.updateExport(r.export_id, { status: "acked", acked_at: c.now, ack: JSON.stringify(ack) });
  c.cancel("deliver", r.export_id);
  c.cancel("ack", r.export_id);
  c.cancel("ttl", r.export_id);
  c.audit("export.acked", { export_id: r.export_id, ...ack });
}

function stepOf(r: ExportRecord): Step {
  const action = IntendedAction.parse(r.action);
  return ACTION_STEP[action];
}

/**
 * Jitter that is random across exports but reproducible for one export and
 * attempt: spreads a recovering consumer's load like Math.random would, and
 * lets tests assert the exact schedule.
 */
export function jitter(exportId: string, attempt: number): () => number {
  // Hashed when first asked for: only a retry draws it, and most attempts deliver.
  let drawn: number | null = null;
  // The digest's first four bytes as a big-endian integer: its first eight hex digits (sha256Hex, not node:crypto's slower Buffer layer in workerd).
  return () => (drawn ??= Number.parseInt(sha256Hex(`${exportId}#${attempt}`).slice(0, 8), 16) / 0x1_0000_0000);
}

/** Records the result of one delivery attempt and moves the export on. */
export function recordAttempt(
  c: OrderCommit,
  state: MachineState,
  r: ExportRecord,
  n: number,
  result: { status: number | null; latency_ms: number; error_class: string | null; error: string | null },
  outcome: Outcome,
): MachineState {
  // When sending began decides max_age and whether a retraction must ask the consumer: on the trail for a replay.
  logAttempt(c, r.export_id, n, result, outcome, "export.attempt", { first_attempt_at: r.first_attempt_at === null ? null : iso(r.first_attempt_at) });
  if (r.first_attempt_at === null) c.updateExport(r.export_id, { first_attempt_at: c.now });
  const step = stepOf(r);
  switch (outcome.kind) {
    case "delivered":
      c.cancel("deliver", r.export_id);
      if (r.requires_ack) {
        c.updateExport(r.export_id, { status: "delivered", delivered_at: c.now });
        if (c.rules) c.schedule("ack", r.export_id, c.now + stepSlaMs(c.rules.rules, step), true);
      } else {
        // A contract without acks is complete on 2xx: that moment is its acknowledgement,
        // recorded like every other one so the trail (and the notebooks reading it) agree with the order.
        c.updateExport(r.export_id, { delivered_at: c.now });
        markAcked(c, r, { status: "accepted", reason: null, via: "delivery" });
      }
      return applyEvents(c, state, []);
    case "retry":
      c.schedule("deliver", r.export_id, outcome.at, true);
      return state;
    case "rejected":
      return fail(c, state, r, "rejected", "consumer_rejected", `consumer answered ${outcome.reason}`);
    case "exhausted":
      return fail(c, state, r, "failed", "delivery_failed", `gave up after ${n} attempts (${outcome.reason}): ${outcome.detail}`);
  }
}

/** A consumer that refuses, or cannot be reached in time, puts the order on hold with the evidence. */
export function fail(
  c: OrderCommit,
  state: MachineState,
  r: ExportRecord,
  status: "rejected" | "failed",
  kind: "consumer_rejected" | "delivery_failed" | "ack_missing",
  detail: string,
): MachineState {
  c.cancel("deliver", r.export_id);
  c.cancel("ack", r.export_id);
  c.updateExport(r.export_id, { status });
  return applyEvents(c, state, [escalation(c, r.export_id, stepOf(r), kind, detail)]);
}

export function retryPolicy(rules: RulesInput | null) {
  return rules ? retryPolicyMs(rules.rules) : { initial: 1000, max_interval: 300_000, max_attempts: 8, max_age: 86_400_000 };
}

/** A consumer's verified ack of an export that is still live: record it; a refusal puts the order on hold. */
export function acknowledge(c: OrderCommit, state: MachineState, r: ExportRecord, ack: { status: "accepted" | "rejected"; reason: string | null }): MachineState {
  markAcked(c, r, { status: ack.status, reason: ack.reason, via: "ack" });
  if (ack.status === "rejected") {
    return fail(c, state, { ...r, status: "acked" }, "rejected", "consumer_rejected", `consumer rejected: ${ack.reason ?? "no reason given"}`);
  }
  return applyEvents(c, state, []);
}

/** One attempt came back: decide retry, done or escalation under the order's retry policy. */
export function attemptFinished(c: OrderCommit, state: MachineState, r: ExportRecord, n: number, result: AttemptResult, sentAt: number): MachineState {
  const outcome = decideOutcome(result, n, r.first_attempt_at ?? sentAt, c.now, retryPolicy(c.rules), jitter(r.export_id, n));
  return recordAttempt(c, state, r, n, result, outcome);
}

/** No ack within the step's SLA: redeliver once (same webhook-id), then escalate. */
export function ackMissing(c: OrderCommit, state: MachineState, r: ExportRecord): MachineState | null {
  if (r.ack_redeliveries === 0) {
    c.updateExport(r.export_id, { ack_redeliveries: 1 });
    c.audit("export.ack_missing", { export_id: r.export_id, action: "redeliver" });
    c.schedule("deliver", r.export_id, c.now, true);
    return null;
  }
  return fail(c, state, r, "failed", "ack_missing", "no acknowledgement after a redelivery");
}

/**
 * The `ttl` timer: an export reached its `valid_until` unacknowledged. It is
 * decided again now, from the facts and rules of this moment: the planner
 * replaces it with a new version (changed, or the same decision re-issued),
 * and the stale one is withdrawn or cancelled with its consumer.
 */
export function decisionExpired(c: OrderCommit, state: MachineState, exportId: string): MachineState | null {
  c.cancel("ttl", exportId);
  const row = c.exportById(exportId);
  if (!row || (row.status !== "pending" && row.status !== "delivered" && row.status !== "awaiting_cancellation")) return null;
  const body = existingExports([row])[0];
  c.audit("export.expired", { export_id: exportId, status: row.status, valid_until: body?.export.valid_until ?? null });
  return applyEvents(c, state, []);
}
