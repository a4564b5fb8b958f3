import { z } from "zod";
import {
  Attribution,
  LOCKED_FIELDS,
  Money,
  OrderDetails,
  OrderFields,
  type CanonicalEvent,
  type EventOf,
  type LockedField,
} from "../events/canonical";
import { DISPUTE_KINDS, disputeHolds } from "./disputes";
import { epochMs, lockedFieldKey, toFactSet, utcIso } from "./facts";
import { EXCEPTION_KINDS, GateFailure, type MachineEvent } from "../events/handoff-events";

/**
 * The order view: a pure function of the order's fact set. Nothing here may
 * look at arrival order or arrival time, or out-of-order delivery would stop
 * converging.
 */

export const ORDER_STATES = [
  "received",
  "awaiting_payment",
  "authorized",
  "paid",
  "routed",
  "accepted",
  "backordered",
  "shipped",
  "delivered",
  "on_hold",
  "cancelled",
  "refunded",
] as const;
export const OrderStateName = z.enum(ORDER_STATES);
export type OrderStateName = z.infer<typeof OrderStateName>;

/** States no further fulfillment work follows from (a later fact can still move a delivered order to refunded). */
export const TERMINAL_STATES: readonly OrderStateName[] = ["delivered", "cancelled", "refunded"];

// Not z.iso.datetime(): a sender may legally say "9999-12-31T23:00-14:00",
// whose UTC form has a six-digit year, and the view must still validate.
const Instant = z.string().describe("UTC ISO-8601 instant (Date#toISOString form)");

export const Milestones = z.object({
  created_at: Instant.optional(),
  authorized_at: Instant.optional(),
  captured_at: Instant.optional(),
  payment_failed_at: Instant.optional(),
  routed_at: Instant.optional(),
  accepted_at: Instant.optional(),
  backordered_at: Instant.optional(),
  rejected_at: Instant.optional(),
  shipped_at: Instant.optional(),
  delivered_at: Instant.optional(),
  cancelled_at: Instant.optional(),
  refunded_at: Instant.optional(),
  attribution_updated_at: Instant.optional(),
});
export type Milestones = z.infer<typeof Milestones>;

export const Conflict = z.object({
  field: z.enum(LOCKED_FIELDS),
  locked_value: z.unknown(),
  attempted_value: z.unknown(),
  event_id: z.string(),
  occurred_at: Instant,
});
export type Conflict = z.infer<typeof Conflict>;

export const HOLD_REASONS = ["locked_field_conflict", "fulfillment_rejected", ...DISPUTE_KINDS, ...EXCEPTION_KINDS] as const;
export const Hold = z.object({
  reason: z.enum(HOLD_REASONS),
  event_id: z.string(),
  detail: z.string(),
  /** An `export_blocked` hold: the QA gate's failed checks, for the person fixing them. */
  checks: z.array(GateFailure).optional(),
});
export type Hold = z.infer<typeof Hold>;

export const PaymentView = z.object({
  authorized: Money.nullable(),
  captured: Money.nullable(),
  refunded_minor: z.number().int().min(0),
  authorization_expires_at: Instant.nullable(),
  last_failure: z.string().nullable(),
});
export type PaymentView = z.infer<typeof PaymentView>;

export const FULFILLMENT_STATUSES = ["none", "requested", "accepted", "rejected"] as const;
export const FulfillmentView = z.object({
  status: z.enum(FULFILLMENT_STATUSES),
  code: z.string().nullable(),
  reason: z.string().nullable(),
  location: z.string().nullable(),
});
export type FulfillmentView = z.infer<typeof FulfillmentView>;

export const OrderView = z.object({
  order_id: z.string(),
  state: OrderStateName,
  locked: z.boolean(),
  /** = milestones.captured_at: capture is what locks fulfillment-critical fields. */
  locked_at: Instant.nullable(),
  milestones: Milestones,
  fields: OrderFields,
  details: OrderDetails,
  attribution: Attribution,
  value: Money.nullable(),
  payment: PaymentView,
  fulfillment: FulfillmentView,
  conflicts: z.array(Conflict),
  holds: z.array(Hold),
  facts_count: z.number().int().min(0),
});
export type OrderView = z.infer<typeof OrderView>;

const DETAIL_KEYS = ["customer_email", "source_name", "tags", "note"] as const satisfies readonly (keyof OrderDetails)[];

function copyKey<T extends object, K extends keyof T>(to: T, from: T, key: K): void {
  to[key] = from[key];
}

type Decision = EventOf<"fulfillment.accepted"> | EventOf<"fulfillment.rejected">;

/** Accepts any list of events: deduplicates by id and sorts before folding. */
export function derive(orderId: string, facts: readonly MachineEvent[]): OrderView {
  return deriveFromFactSet(orderId, toFactSet(facts));
}

/**
 * `facts` must already be a fact set (unique ids, sorted by compareFacts);
 * the machine keeps it that way, so it skips derive's re-sort.
 * Facts are walked oldest first, so "last writer wins" is plain overwriting
 * and "earliest" is plain `??=`.
 */
export function deriveFromFactSet(orderId: string, facts: readonly MachineEvent[]): OrderView {
  const milestones: Milestones = {};
  const first = (key: keyof Milestones, e: MachineEvent): void => {
    milestones[key] ??= utcIso(e.occurred_at);
  };
  let created: EventOf<"order.created"> | undefined;
  const details: OrderDetails = {};
  const attribution = new Map<string, string | null>();
  const mergeAttribution = (a: Attribution | undefined): void => {
    // A Map, not an object: "__proto__" is a legal attribution key.
    for (const [k, v] of Object.entries(a ?? {})) attribution.set(k, v);
  };
  let authorized: Money | null = null;
  let captured: Money | null = null;
  let expiresAt: string | null = null;
  let lastFailure: string | null = null;
  const refunds: EventOf<"payment.refunded">[] = [];
  let requested = false;
  let decision: Decision | undefined;
  let location: string | null = null;
  const exceptions: Hold[] = [];
  const cleared = new Set<string>();

  for (const e of facts) {
    switch (e.type) {
      case "order.created":
        first("created_at", e);
        created ??= e;
        for (const k of DETAIL_KEYS) if (e.data[k] !== undefined) copyKey(details, e.data, k);
        mergeAttribution(e.data.attribution);
        break;
      case "order.updated":
        for (const k of DETAIL_KEYS) if (e.data[k] !== undefined) copyKey(details, e.data, k);
        mergeAttribution(e.data.attribution);
        break;
      case "order.cancelled":
        first("cancelled_at", e);
        break;
      // Amounts and expiry come from the latest fact that carries one: a
      // re-authorization replaces the old one, an amount-less echo does not erase it.
      case "payment.authorized":
        first("authorized_at", e);
        if (e.data.amount) authorized = e.data.amount;
        if (e.data.expires_at) expiresAt = utcIso(e.data.expires_at);
        break;
      case "payment.captured":
        first("captured_at", e);
        if (e.data.amount) captured = e.data.amount;
        break;
      case "payment.failed":
        first("payment_failed_at", e);
        lastFailure = e.data.reason ?? "unspecified";
        break;
      case "payment.refunded":
        refunds.push(e);
        break;
      case "fulfillment.requested":
        first("routed_at", e);
        requested = true;
        // Routed after the engine's own "no stock to reserve" (stock arrived): no longer backordered. Only the
        // engine's fact, on the engine's clock: a sender's rejection answers a request and a skewed clock must not undo it.
        if (decision?.type === "fulfillment.rejected" && decision.source === "handoff" && decision.data.code === "out_of_stock") decision = undefined;
        location = e.data.location ?? location;
        break;
      case "fulfillment.accepted":
        first("accepted_at", e);
        decision = e;
        location = e.data.location ?? location;
        break;
      case "fulfillment.rejected":
        first(e.data.code === "out_of_stock" ? "backordered_at" : "rejected_at", e);
        decision = e;
        location = e.data.location ?? location;
        break;
      case "shipment.shipped":
        first("shipped_at", e);
        break;
      case "shipment.delivered":
        first("delivered_at", e);
        break;
      case "attribution.updated":
        first("attribution_updated_at", e);
        mergeAttribution(e.data.attribution);
        break;
      case "handoff.exception":
        exceptions.push({ reason: e.data.kind, event_id: e.id, detail: e.data.detail, ...(e.data.checks ? { checks: e.data.checks } : {}) });
        break;
      case "handoff.exception_cleared":
        cleared.add(e.data.event_id);
        break;
    }
  }

  // Refunds need the captured amount, known only after the whole walk.
  const refundedMinor = tallyRefunds(refunds, captured, (r) => first("refunded_at", r));

  const lockedAt = milestones.captured_at ?? null;
  const { fields, conflicts, holds: lockHolds } = lockFields(facts, created, lockedAt);
  const holds = [...lockHolds, ...disputeHolds(facts, fields), ...exceptions];

  const fulfillment: FulfillmentView = {
    status: decision ? (decision.type === "fulfillment.accepted" ? "accepted" : "rejected") : requested ? "requested" : "none",
    code: decision?.type === "fulfillment.rejected" ? decision.data.code : null,
    reason: decision?.type === "fulfillment.rejected" ? (decision.data.reason ?? null) : null,
    location,
  };
  if (decision?.type === "fulfillment.rejected" && decision.data.code !== "out_of_stock") {
    const why = decision.data.reason ? `: ${decision.data.reason}` : "";
    holds.push({ reason: "fulfillment_rejected", event_id: decision.id, detail: `fulfillment rejected (${decision.data.code})${why}` });
  }
  // A person's clearance ends a hold whatever opened it; the conflict itself stays on record.
  const openHolds = holds.filter((h) => !cleared.has(h.event_id));

  return {
    order_id: orderId,
    state: stateOf(milestones, fulfillment, openHolds, created !== undefined),
    locked: lockedAt !== null,
    locked_at: lockedAt,
    milestones,
    fields,
    details,
    attribution: Object.fromEntries([...attribution].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    value: fields.total ?? null,
    payment: {
      authorized,
      captured,
      refunded_minor: refundedMinor,
      authorization_expires_at: expiresAt,
      last_failure: lastFailure,
    },
    fulfillment,
    conflicts,
    holds: openHolds,
    facts_count: facts.length,
  };
}

/**
 * How much has been refunded, and the first refund (in fact order) that ends
 * the order. Senders report refunds two ways: per refund (Shopify: each fact
 * is new money, so they add up, once per refund id) and as a running total
 * per payment (Stripe's amount_refunded: the largest report is the truth, so
 * reports never add up). Both may describe the same money, so the two tallies
 * are alternatives, not parts: the larger wins. Every step is a max or a sum
 * over the facts walked so far, so the result depends on the set, not arrival.
 */
function tallyRefunds(
  refunds: readonly EventOf<"payment.refunded">[],
  captured: Money | null,
  onEnding: (r: EventOf<"payment.refunded">) => void,
): number {
  // Saturate: the view's integers must stay exact, whatever senders claim.
  const add = (a: number, b: number): number => Math.min(Number.MAX_SAFE_INTEGER, a + b);
  const counted = new Set<string>();
  let perRefund = 0;
  const runningByPayment = new Map<string, number>();
  let running = 0;
  let refunded = 0;
  for (const r of refunds) {
    const amount = r.data.amount?.amount_minor ?? 0;
    // `=== true`: facts stored before the field existed lack it and were per-refund.
    if (r.data.cumulative === true) {
      const payment = r.data.payment_id ?? "";
      const before = runningByPayment.get(payment) ?? 0;
      if (amount > before) {
        runningByPayment.set(payment, amount);
        running = add(running, amount - before);
      }
    } else {
      const key = r.data.refund_id === undefined ? `fact\u0000${r.id}` : `refund\u0000${r.data.refund_id}`;
      if (!counted.has(key)) {
        counted.add(key);
        perRefund = add(perRefund, amount);
      }
    }
    refunded = Math.max(perRefund, running);
    const coversCapture = captured !== null && captured.amount_minor > 0 && refunded >= captured.amount_minor;
    if (r.data.full || coversCapture) onEnding(r);
  }
  return refunded;
}

/**
 * Effective fulfillment-critical fields. The earliest order.created is the
 * baseline whenever it occurred (payment-first flows capture before the order
 * arrives). Every other order.created/updated applies field by field if it
 * occurred at or before the lock; after it, a different value for a field we
 * already know is a conflict and a hold, never a rewrite. A field still
 * unknown at lock time has nothing to protect, so a late value fills it.
 */
function lockFields(
  facts: readonly MachineEvent[],
  created: EventOf<"order.created"> | undefined,
  lockedAt: string | null,
): { fields: OrderFields; conflicts: Conflict[]; holds: Hold[] } {
  const fields: OrderFields = {};
  const conflicts: Conflict[] = [];
  const holds: Hold[] = [];
  if (created) for (const f of LOCKED_FIELDS) if (created.data[f] !== undefined) copyKey(fields, created.data, f);
  const lockMs = lockedAt === null ? null : epochMs(lockedAt);

  for (const e of facts) {
    if (e.type !== "order.created" && e.type !== "order.updated") continue;
    if (e.id === created?.id) continue;
    const afterLock = lockMs !== null && epochMs(e.occurred_at) > lockMs;
    const clashed: LockedField[] = [];
    for (const f of LOCKED_FIELDS) {
      const attempted = e.data[f];
      if (attempted === undefined) continue;
      const current = fields[f];
      // null is "not known" too: a digital order's missing address, later filled in for the gate (domain/handoff/gate.ts).
      if (!afterLock || current === undefined || current === null) {
        copyKey(fields, e.data, f);
      } else if (lockedFieldKey(f, current) !== lockedFieldKey(f, attempted)) {
        conflicts.push({ field: f, locked_value: current, attempted_value: attempted, event_id: e.id, occurred_at: utcIso(e.occurred_at) });
        clashed.push(f);
      }
    }
    if (clashed.length > 0) {
      holds.push({
        reason: "locked_field_conflict",
        event_id: e.id,
        detail: `${e.type} tried to change locked ${clashed.join(", ")} after capture at ${lockedAt ?? "?"}`,
      });
    }
  }
  return { fields, conflicts, holds };
}

/** First match wins: the ending facts outrank progress, and an open hold outranks everything short of delivery. */
function stateOf(m: Milestones, f: FulfillmentView, holds: readonly Hold[], hasOrder: boolean): OrderStateName {
  if (m.refunded_at !== undefined) return "refunded";
  if (m.cancelled_at !== undefined) return "cancelled";
  if (m.delivered_at !== undefined) return "delivered";
  if (holds.length > 0) return "on_hold";
  if (m.shipped_at !== undefined) return "shipped";
  if (f.status === "accepted") return "accepted";
  if (f.status === "rejected" && f.code === "out_of_stock") return "backordered";
  if (f.status !== "none") return "routed";
  if (m.captured_at !== undefined) return "paid";
  if (m.authorized_at !== undefined) return "authorized";
  if (hasOrder) return "awaiting_payment";
  return "received";
}
