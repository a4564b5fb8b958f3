import type { Money, OrderFields } from "../events/canonical";
import { currencyExponent } from "../money";
import type { MachineEvent } from "../events/handoff-events";

/**
 * Holds derived from facts that disagree with each other: two parcels for one
 * order, two warehouses claiming it, money that does not cover what is about to
 * ship. Each is a pure function of the fact set (walked in fact order), so every
 * arrival order of the same facts opens the same hold with the same reference,
 * and a later fact that settles it (a capture that covers the total) releases it.
 * None of them is a re-decision: the planner stops at any hold, and a person decides.
 */
export const DISPUTE_KINDS = ["duplicate_fulfillment", "conflicting_fulfillment", "payment_mismatch"] as const;
export type DisputeKind = (typeof DISPUTE_KINDS)[number];

export interface DisputeHold {
  reason: DisputeKind;
  /** The fact that made the disagreement: stable for a given fact set, so the task it opens is too. */
  event_id: string;
  detail: string;
}

/**
 * What tells two shipments apart: the tracking number, else the sender's
 * fulfillment id. A report with neither cannot be told from another one, so it
 * never counts as a second parcel (Shopify's fulfillment and the carrier's scan
 * of the same parcel must not open a task).
 */
export function shipmentIdentity(e: MachineEvent): string | null {
  if (e.type !== "shipment.shipped") return null;
  if (e.data.tracking_number) return `tracking:${e.data.tracking_number}`;
  if (e.data.fulfillment_id) return `fulfillment:${e.data.fulfillment_id}`;
  return null;
}

/**
 * Two or more distinct values in fact order: the fact that introduced the
 * second one, and every value seen. The first value is whatever the first fact
 * said; the walk is over a fact set, so the answer does not depend on arrival.
 */
function secondDistinct(facts: readonly MachineEvent[], valueOf: (e: MachineEvent) => string | null): { event: MachineEvent; values: string[] } | null {
  const values: string[] = [];
  let second: MachineEvent | null = null;
  for (const e of facts) {
    const v = valueOf(e);
    if (v === null || values.includes(v)) continue;
    values.push(v);
    if (values.length === 2) second = e;
  }
  return second ? { event: second, values } : null;
}

/** Does this capture pay for the order? Same currency and at least the total; an amount-less capture cannot be judged. */
export function coversTotal(capture: Money | undefined, total: Money): boolean | null {
  if (capture === undefined) return null;
  return capture.currency === total.currency && capture.amount_minor >= total.amount_minor;
}

function money(m: Money): string {
  const exp = currencyExponent(m.currency);
  return `${(m.amount_minor / 10 ** exp).toFixed(exp)} ${m.currency}`;
}

/**
 * A capture that does not cover the order's total holds it instead of letting
 * it route. Captures are not summed: a gateway reports one payment several
 * times (Stripe's payment_intent.succeeded and charge.captured carry different
 * ids for the same money), and adding those would let a partial capture pass.
 * So one capture must cover the total by itself; split tender is held for a person.
 */
function paymentMismatch(facts: readonly MachineEvent[], total: Money | undefined): DisputeHold | null {
  if (total === undefined) return null;
  let firstShort: { event: MachineEvent; amount: Money } | null = null;
  for (const e of facts) {
    if (e.type !== "payment.captured") continue;
    const covers = coversTotal(e.data.amount, total);
    if (covers === true) return null;
    if (covers === false && e.data.amount && firstShort === null) firstShort = { event: e, amount: e.data.amount };
  }
  if (!firstShort) return null;
  const why = firstShort.amount.currency === total.currency ? "less than" : "in another currency than";
  return {
    reason: "payment_mismatch",
    event_id: firstShort.event.id,
    detail: `captured ${money(firstShort.amount)}, ${why} the order total ${money(total)}`,
  };
}

export function disputeHolds(facts: readonly MachineEvent[], fields: OrderFields): DisputeHold[] {
  const holds: DisputeHold[] = [];
  const shipments = secondDistinct(facts, shipmentIdentity);
  if (shipments) {
    holds.push({
      reason: "duplicate_fulfillment",
      event_id: shipments.event.id,
      detail: `${shipments.values.length} different shipments for one order (${shipments.values.join(", ")})`,
    });
  }
  const locations = secondDistinct(facts, (e) => (e.type === "fulfillment.accepted" ? (e.data.location ?? null) : null));
  if (locations) {
    holds.push({
      reason: "conflicting_fulfillment",
      event_id: locations.event.id,
      detail: `accepted by ${locations.values.length} locations (${locations.values.join(", ")}): which one ships it is for a person to decide`,
    });
  }
  const payment = paymentMismatch(facts, fields.total);
  if (payment) holds.push(payment);
  return holds;
}
