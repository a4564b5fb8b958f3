import { LOCKED_FIELDS, type LockedField } from "../events/canonical";
import type { MachineEvent } from "../events/handoff-events";
import { canonicalJson, epochMs, insertFact, lockedFieldKey } from "./facts";
import type { AuditEffect } from "./effects";
import { deriveFromFactSet, type Conflict, type Hold, type OrderView } from "./view";

export { ORDER_STATES, OrderStateName, OrderView, TERMINAL_STATES, derive } from "./view";

/**
 * The pure order state machine. The state is the SET of facts (canonical
 * events by id) and the view is derived from that set alone, so duplicates
 * are no-ops and any arrival order of the same events ends in the same view.
 * `transition` adds one fact and reports the difference as effects; the
 * Durable Object persists both in one transaction.
 */

export interface MachineState {
  order_id: string;
  /** Unique by id, sorted by (occurred_at epoch ms, id). */
  facts: MachineEvent[];
  view: OrderView;
}

/** The machine only ever reports audit entries; the handoff, SLA and task decisions add the other effects. */
export type { AuditEffect, Effect } from "./effects";

export function initialState(orderId: string): MachineState {
  return { order_id: orderId, facts: [], view: deriveFromFactSet(orderId, []) };
}

function audit(type: string, data: Record<string, unknown>): AuditEffect {
  return { type: "audit", entry: { type, data } };
}

/**
 * Locked fields whose value differs between two views. A field unknown before
 * (payment-first flows lock an empty order) had nothing to protect, so filling it is no change.
 */
function lateFieldChanges(before: OrderView, after: OrderView): { field: LockedField; from: unknown; to: unknown }[] {
  const changes: { field: LockedField; from: unknown; to: unknown }[] = [];
  for (const field of LOCKED_FIELDS) {
    const from = before.fields[field];
    const to = after.fields[field];
    if (from === undefined) continue;
    // The same value object (most folds leave a field to the fact that set it) is the same value: no need to spell it out.
    if (to === undefined || (from !== to && lockedFieldKey(field, from) !== lockedFieldKey(field, to))) changes.push({ field, from, to });
  }
  return changes;
}

/**
 * `now` is the arrival clock (epoch ms). It may appear in effects, never in
 * the view: a view that depended on it would differ between replays.
 */
export function transition(state: MachineState, event: MachineEvent, now: number): { state: MachineState; effects: AuditEffect[] } {
  const ref = { event_id: event.id, event_type: event.type, source: event.source, occurred_at: event.occurred_at };

  // The object is named after one order; folding another order's event in
  // would corrupt both. Refuse it visibly instead.
  if (event.order_id !== state.order_id) {
    return { state, effects: [audit("event.rejected", { ...ref, reason: "order_id_mismatch", order_id: event.order_id })] };
  }

  const known = state.facts.find((f) => f.id === event.id);
  if (known) {
    // Same id with a different body is a sender bug; first arrival stays the
    // fact, and the audit keeps the evidence.
    const payload_matches = canonicalJson(known) === canonicalJson(event);
    return { state, effects: [audit("event.duplicate", { ...ref, payload_matches })] };
  }

  const facts = insertFact(state.facts, event);
  const view = deriveFromFactSet(state.order_id, facts);
  const before = state.view;
  const effects: AuditEffect[] = [
    audit("event.applied", { ...ref, state_from: before.state, state_to: view.state, lag_ms: now - epochMs(event.occurred_at) }),
  ];

  if (!before.locked && view.locked) effects.push(audit("order.locked", { locked_at: view.locked_at }));

  // Lock is judged by occurred_at, so a fact that arrives after the lock but
  // claims an earlier time may legitimately rewrite locked fields; that keeps
  // the view convergent, but whoever already acted on the old values must hear of it.
  if (before.locked) {
    const changes = lateFieldChanges(before, view);
    if (changes.length > 0) {
      effects.push(
        audit("field.changed_late", {
          event_id: event.id,
          occurred_at: event.occurred_at,
          locked_at: view.locked_at,
          fields: changes.map((c) => c.field),
          changes,
          arrived_after_lock: true,
        }),
      );
    }
  }

  // Diffs by identity, not position: a late fact can add or withdraw
  // conflicts and holds anywhere in the lists.
  const conflictKey = (c: Conflict): string => `${c.event_id}\u0000${c.field}`;
  const oldConflicts = new Set(before.conflicts.map(conflictKey));
  for (const c of view.conflicts) {
    if (oldConflicts.has(conflictKey(c))) continue;
    effects.push(
      audit("field.conflict", { field: c.field, locked_value: c.locked_value, attempted_value: c.attempted_value, event_id: c.event_id }),
    );
  }

  const holdKey = (h: Hold): string => `${h.reason}\u0000${h.event_id}`;
  const oldHolds = new Set(before.holds.map(holdKey));
  const newHolds = new Set(view.holds.map(holdKey));
  for (const h of view.holds) if (!oldHolds.has(holdKey(h))) effects.push(audit("hold.opened", { ...h }));
  // A hold can end without a person: an acceptance supersedes a rejection, or
  // a late pre-capture update makes a post-capture one agree with the lock.
  for (const h of before.holds) if (!newHolds.has(holdKey(h))) effects.push(audit("hold.released", { ...h, by_event_id: event.id }));

  return { state: { order_id: state.order_id, facts, view }, effects };
}
