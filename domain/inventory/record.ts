import type { OrderCommit } from "../order/commit";
import { STOCK_TIMER, trackedSkus, type Allocation } from "./allocate";

/**
 * The order records its stock decision in the commit that uses it, and leaves
 * the `stock` timer to confirm the holds with their objects after that commit.
 * An order whose SKUs are all untracked records it too (so it is not asked
 * again) but writes no audit entry and owes no call.
 */
export function recordReservation(c: OrderCommit, a: Allocation): void {
  c.recordAllocation(a);
  if (a.outcome === "untracked") return;
  c.audit("inventory.reserved", {
    outcome: a.outcome,
    skus: trackedSkus(a),
    routed: a.routed,
    backordered: a.backordered,
  });
  c.schedule(STOCK_TIMER, "follow_up", c.now);
}
