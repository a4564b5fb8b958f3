import type { MachineEvent } from "../events/handoff-events";
import type { OrderCommit } from "../order/commit";
import type { AttemptRecord, CancellationRecord, ExportRecord } from "../order/effects";
import { stepSlaMs } from "../ownership/schema";
import { iso, parseInstant } from "../time";
import { parsedExport } from "./plan";
import { actedOnCancelled, cancellationMessage, CancellationState, retraction, type CancellationStatus } from "./cancellation";
import type { AttemptResult, Outcome } from "./delivery";
import { ACTION_STEP, INTENDED_ACTIONS, IntendedAction, type ExportStatus, type HandoffExport } from "./document";
import { escalation, logAttempt } from "./records";

/**
 * Taking back a decision, as effects (the protocol is in cancellation.ts).
 * Functions that put the order on hold return the fact that does it; the
 * caller folds it.
 */

type EndKind = "cancellation_refused" | "cancellation_failed" | "cancelled_export_acted_on";

function stepOf(row: ExportRecord) {
  return ACTION_STEP[IntendedAction.parse(row.action)];
}

/** Nothing was sent (or nothing can be): the export just stops. */
export function withdraw(c: OrderCommit, exportId: string, reason: string): void {
  c.updateExport(exportId, { status: "superseded" });
  c.cancel("deliver", exportId);
  c.cancel("ack", exportId);
  c.cancel("ttl", exportId);
  c.audit("export.withdrawn", { export_id: exportId, reason });
}

/** Takes an export back: silently if it was never sent, else by a cancellation the consumer must acknowledge. */
export function retract(c: OrderCommit, row: ExportRecord, reason: string, supersededBy: string | null): void {
  const how = retraction(row.status as ExportStatus, row.first_attempt_at !== null);
  if (how === "none") return;
  if (how === "withdraw" || !row.consumer_url || !row.consumer_secret) {
    withdraw(c, row.export_id, reason);
    return;
  }
  const msg = cancellationMessage(parsedExport(row.body), supersededBy, reason, c.now);
  c.updateExport(row.export_id, { status: "cancelling" });
  // The old version is never delivered again, whatever its retries had planned.
  c.cancel("deliver", row.export_id);
  c.cancel("ack", row.export_id);
  c.cancel("ttl", row.export_id);
  c.emit({
    type: "put_cancellation",
    row: { export_id: row.export_id, cancellation_id: msg.cancellation_id, body: JSON.stringify(msg), reason, superseded_by: supersededBy, requested_at: c.now },
  });
  c.schedule("cancel", row.export_id, c.now, true);
  c.audit("export.cancellation_requested", {
    export_id: row.export_id,
    cancellation_id: msg.cancellation_id,
    superseded_by: supersededBy,
    reason,
    status_was: row.status,
  });
}

/**
 * The actions whose cancellation a new decision of `action` waits for: its
 * own older versions, and for routing also the backorder. A restock moves
 * units from the backorder to routing; until the backorder's consumer has
 * confirmed it dropped them, routing them too could source and ship them twice.
 */
function waitsOn(action: string): string[] {
  return action === "fulfil_order" ? ["fulfil_order", "backorder_order"] : [action];
}

/** A new version waits while an older one of its action (or a backorder, for routing) is being cancelled; its own action's cancellation then names it. */
export function waitsForCancellation(c: OrderCommit, ex: HandoffExport): boolean {
  const blockers = waitsOn(ex.intended_action);
  const cancelling = c.exports().filter((r) => blockers.includes(r.action) && r.status === "cancelling");
  for (const r of cancelling) if (r.action === ex.intended_action) c.updateCancellation(r.export_id, { superseded_by: ex.export_id });
  return cancelling.length > 0;
}

/** Decisions that wait on a cancellation of `action` go out once nothing they wait on is still being cancelled. */
function release(c: OrderCommit, action: string): void {
  for (const waiting of INTENDED_ACTIONS) {
    const blockers = waitsOn(waiting);
    if (!blockers.includes(action) || c.exports().some((r) => blockers.includes(r.action) && r.status === "cancelling")) continue;
    for (const r of c.exports()) {
      if (r.action !== waiting || r.status !== "awaiting_cancellation") continue;
      c.updateExport(r.export_id, { status: "pending" });
      c.schedule("deliver", r.export_id, c.now);
      c.audit("export.released", { export_id: r.export_id });
    }
  }
}

function cancelled(c: OrderCommit, row: ExportRecord, ack: { status: "accepted"; reason: string | null }): void {
  c.updateCancellation(row.export_id, { status: "acked", acked_at: c.now, ack: JSON.stringify(ack) });
  c.cancel("cancel", row.export_id);
  c.cancel("cancel_ack", row.export_id);
  c.updateExport(row.export_id, { status: "cancelled" });
  c.audit("export.cancelled", { export_id: row.export_id, superseded_by: c.cancellation(row.export_id)?.superseded_by ?? null });
  release(c, row.action);
}

/**
 * The consumer kept the old version (refused, never answered, or acted on
 * it): it stands, the unsent replacement is withdrawn so nothing ships twice,
 * and the order goes on hold with a task for the step's owner.
 */
function ended(c: OrderCommit, row: ExportRecord, kind: EndKind, status: CancellationStatus | null, detail: string): MachineEvent[] {
  if (status !== null) c.updateCancellation(row.export_id, { status });
  c.cancel("cancel", row.export_id);
  c.cancel("cancel_ack", row.export_id);
  if (row.status === "cancelling") c.updateExport(row.export_id, { status: "not_cancelled" });
  // Its unsent replacements, and routing that waited on it (the consumer kept the units it was to drop).
  for (const r of c.exports()) {
    const waited = r.action !== row.action && waitsOn(r.action).includes(row.action) && r.status === "awaiting_cancellation";
    if (!waited && (r.action !== row.action || retraction(r.status as ExportStatus, r.first_attempt_at !== null) !== "withdraw")) continue;
    withdraw(c, r.export_id, `${row.export_id} was not cancelled (${kind})`);
  }
  return [escalation(c, row.export_id, stepOf(row), kind, detail)];
}

/** The consumer's answer to a cancellation, on the export ack route. */
export function ackCancellation(
  c: OrderCommit,
  exportId: string,
  ack: { status: "accepted" | "rejected"; reason: string | null },
): { duplicate: boolean; status: ExportStatus; events: MachineEvent[] } {
  const row = c.exportById(exportId);
  const cx = c.cancellation(exportId);
  if (!row || !cx || (cx.status !== "pending" && cx.status !== "delivered")) {
    return { duplicate: true, status: (row?.status ?? "cancelled") as ExportStatus, events: [] };
  }
  // The consumer's answer itself, so the trail alone can replay it (domain/whatif/).
  c.audit("cancellation.acked", { export_id: exportId, cancellation_id: cx.cancellation_id, status: ack.status, reason: ack.reason });
  if (ack.status === "accepted") {
    cancelled(c, row, { status: "accepted", reason: ack.reason });
    return { duplicate: false, status: "cancelled", events: [] };
  }
  c.updateCancellation(exportId, { acked_at: c.now, ack: JSON.stringify(ack) });
  const events = ended(c, row, "cancellation_refused", "refused", `consumer refused to cancel ${exportId}: ${ack.reason ?? "no reason given"}`);
  return { duplicate: false, status: "not_cancelled", events };
}

/** Records one delivery attempt of a cancellation and moves it on; a 2xx starts the ack clock (a cancellation always needs one). */
export function recordCancelAttempt(c: OrderCommit, exportId: string, n: number, result: AttemptResult, outcome: Outcome): MachineEvent[] {
  const row = c.exportById(exportId);
  const cx = c.cancellation(exportId);
  if (!row || !cx) return [];
  logAttempt(c, cx.cancellation_id, n, result, outcome, "cancellation.attempt", { cancels: exportId, first_attempt_at: cx.first_attempt_at === null ? null : iso(cx.first_attempt_at) });
  switch (outcome.kind) {
    case "delivered":
      c.cancel("cancel", exportId);
      c.updateCancellation(exportId, { status: "delivered", delivered_at: c.now });
      if (c.rules) c.schedule("cancel_ack", exportId, c.now + stepSlaMs(c.rules.rules, stepOf(row)), true);
      return [];
    case "retry":
      c.schedule("cancel", exportId, outcome.at, true);
      return [];
    case "rejected":
      return ended(c, row, "cancellation_refused", "refused", `consumer answered ${result.status ?? "?"} to the cancellation: ${outcome.reason}`);
    case "exhausted":
      return ended(c, row, "cancellation_failed", "failed", `gave up on the cancellation after ${n} attempts (${outcome.reason}): ${outcome.detail}`);
  }
}

/** No ack of a delivered cancellation within the step's SLA: send it once more, then hold the order. */
export function checkCancelAck(c: OrderCommit, exportId: string): MachineEvent[] {
  c.cancel("cancel_ack", exportId);
  const row = c.exportById(exportId);
  const cx = c.cancellation(exportId);
  if (!row || cx?.status !== "delivered") return [];
  if (cx.redeliveries === 0) {
    c.updateCancellation(exportId, { redeliveries: 1 });
    c.audit("cancellation.ack_missing", { export_id: exportId, cancellation_id: cx.cancellation_id, action: "redeliver" });
    c.schedule("cancel", exportId, c.now, true);
    return [];
  }
  return ended(c, row, "cancellation_failed", "failed", `no acknowledgement of the cancellation of ${exportId} after a redelivery`);
}

/** Reports of work on a version being (or already) cancelled, not yet on record: each holds the order once. */
export function actedOnCancelledExports(c: OrderCommit, facts: readonly MachineEvent[]): MachineEvent[] {
  const rows = c.exports();
  if (!rows.some((r) => r.status === "cancelling" || r.status === "cancelled")) return [];
  const known = new Set(facts.map((f) => f.id));
  const refs = rows.map((r) => ({ export_id: r.export_id, action: IntendedAction.parse(r.action), status: r.status as ExportStatus }));
  const out: MachineEvent[] = [];
  for (const hit of actedOnCancelled(facts, refs)) {
    if (known.has(`handoff:cancelled_export_acted_on:${hit.export_id}`)) continue;
    const row = rows.find((r) => r.export_id === hit.export_id);
    if (!row) continue;
    const when = row.status === "cancelling" ? "while it was being cancelled" : "after acknowledging its cancellation";
    out.push(...ended(c, row, "cancelled_export_acted_on", row.status === "cancelling" ? "moot" : null, `${hit.event_id} reports acting on ${hit.export_id} ${when}`));
  }
  return out;
}

export interface Sendable {
  /** The webhook-id: the export id, or the cancellation id. */
  id: string;
  body: string;
  url: string;
  /** Still sealed. */
  secret: string;
  first_attempt_at: number | null;
}

/** What the alarm may still send for this timer, or null when it is settled (acked, cancelled, withdrawn…). */
interface Rows {
  exports(): readonly ExportRecord[];
  cancellations(): readonly CancellationRecord[];
}

export function sendable(store: Rows, kind: "deliver" | "cancel", exportId: string, now: number): Sendable | null {
  const row = store.exports().find((r) => r.export_id === exportId);
  if (!row?.consumer_url || !row.consumer_secret) return null;
  const target = { url: row.consumer_url, secret: row.consumer_secret };
  if (kind === "deliver") {
    if (row.status !== "pending" && row.status !== "delivered") return null;
    // Past its TTL a decision is never sent: its `ttl` timer decides it again (decide.ts decisionExpired).
    const until = parsedExport(row.body).valid_until;
    if (until !== null && parseInstant(until) <= now) return null;
    return { ...target, id: row.export_id, body: row.body, first_attempt_at: row.first_attempt_at };
  }
  const cx = store.cancellations().find((r) => r.export_id === exportId);
  return cx && (cx.status === "pending" || cx.status === "delivered") ? { ...target, id: cx.cancellation_id, body: cx.body, first_attempt_at: cx.first_attempt_at } : null;
}

/** From the first byte sent the consumer may hold it: recorded before sending, so a decision changed mid-flight cancels instead of withdrawing. */
export function markSending(c: OrderCommit, kind: "deliver" | "cancel", exportId: string): void {
  if (kind === "deliver") c.updateExport(exportId, { first_attempt_at: c.now });
  else c.updateCancellation(exportId, { first_attempt_at: c.now });
}

export function cancellationState(cx: CancellationRecord | undefined, attempts: readonly AttemptRecord[]): CancellationState | null {
  if (!cx) return null;
  return CancellationState.parse({
    cancellation_id: cx.cancellation_id,
    status: cx.status,
    reason: cx.reason,
    superseded_by: cx.superseded_by,
    requested_at: iso(cx.requested_at),
    delivered_at: cx.delivered_at === null ? null : iso(cx.delivered_at),
    acked_at: cx.acked_at === null ? null : iso(cx.acked_at),
    ack: cx.ack === null ? null : (JSON.parse(cx.ack) as unknown),
    attempts: attempts.filter((a) => a.export_id === cx.cancellation_id).map((a) => ({
      n: a.n,
      at: iso(a.at),
      status: a.status,
      latency_ms: a.latency_ms,
      error_class: a.error_class,
      outcome: a.outcome,
      next_attempt_at: a.next_attempt_at === null ? null : iso(a.next_attempt_at),
    })),
  });
}
