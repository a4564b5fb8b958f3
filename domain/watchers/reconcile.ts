/**
 * Receipts from different senders that do not add up, judged from an order's
 * milestones once the missing side has had time to arrive. Disagreements the
 * facts settle at once (two parcels, two warehouses, a short capture) are
 * holds the order object opens (domain/order/disputes.ts); these are the ones
 * where one side *never came*, which only time can tell — so they belong to
 * the watchers, and they are not also holds: one mechanism for each.
 */
export type MismatchKind = "capture_without_order" | "accepted_never_captured" | "shipped_after_cancel";

export interface Mismatch {
  kind: MismatchKind;
  /** The event types on each side: the receipts carrying them are the evidence. */
  have: string[];
  missing_or_conflicting: string[];
  detail: string;
}

/** How long the other side may lag (out-of-order delivery is normal) before the gap is a mismatch. */
export const RECONCILE_GRACE_MS = 3_600_000;

export function mismatches(state: string, m: Readonly<Record<string, string>>): Mismatch[] {
  const out: Mismatch[] = [];
  if (m.captured_at !== undefined && m.created_at === undefined) {
    out.push({ kind: "capture_without_order", have: ["payment.captured"], missing_or_conflicting: ["order.created"], detail: "a capture arrived for an order the shop never sent" });
  }
  const ended = state === "cancelled" || state === "refunded";
  if (m.accepted_at !== undefined && m.captured_at === undefined && !ended) {
    out.push({ kind: "accepted_never_captured", have: ["fulfillment.accepted"], missing_or_conflicting: ["payment.captured"], detail: "the warehouse accepted an order whose payment was never captured" });
  }
  if (m.shipped_at !== undefined && ended) {
    const ending = state === "refunded" ? "payment.refunded" : "order.cancelled";
    out.push({ kind: "shipped_after_cancel", have: ["shipment.shipped"], missing_or_conflicting: [ending], detail: `a shipment for an order that was ${state}` });
  }
  return out;
}

/** The latest milestone: the gap must be older than the grace from the last thing that happened. */
export function lastActivity(m: Readonly<Record<string, string>>, createdAt: string): number {
  return Math.max(Date.parse(createdAt), ...Object.values(m).map((v) => Date.parse(v)).filter(Number.isFinite));
}
