import { afterEach, describe, expect, it } from "vitest";
import type { OrderSnapshot } from "../../domain/order/object";
import { settleAlarms } from "../helpers/http";
import { mapPool } from "../helpers/invariants";
import { Campaign, LIFECYCLE, type Step } from "./campaign";

afterEach(settleAlarms);

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

/**
 * What the senders' facts determine. Left out on purpose: what Handoff itself
 * decided along the way depends on arrival order (a routing export is issued
 * only if the capture came before the warehouse's answer, which stamps
 * routed_at), and so do the fact count and the receipts.
 */
function senderView(o: OrderSnapshot): unknown {
  const { routed_at: _routed, ...milestones } = o.milestones;
  return {
    state: o.state,
    locked: o.locked,
    locked_at: o.locked_at,
    milestones,
    fields: o.fields,
    details: o.details,
    attribution: o.attribution,
    value: o.value,
    payment: o.payment,
    fulfillment: o.fulfillment,
    conflicts: o.conflicts,
    holds: o.holds,
  };
}

describe("chaos: every permutation of a lifecycle, through HTTP", () => {
  it("all 5! orders of created/captured/accepted/shipped/delivered converge on one view", async () => {
    const c = await Campaign.open("chaos-perm");
    const orders: Step[][] = permutations(LIFECYCLE);
    expect(orders).toHaveLength(120);
    const ids = c.newOrders(orders.length);
    // Each order gets its own arrival order; orders run side by side, as they would in production.
    await mapPool(ids, 8, async (id, i) => {
      for (const step of orders[i] ?? []) await c.send(c.delivery(id, step));
    });
    const views = await mapPool(ids, 8, async (id) => senderView(await c.order(id)));
    const [first] = views;
    expect(first).toMatchObject({ state: "delivered", locked: true, holds: [], conflicts: [] });
    const differing = views.flatMap((v, i) => (JSON.stringify(v) === JSON.stringify(first) ? [] : [orders[i]?.join(" → ")]));
    expect(differing).toEqual([]);

    const report = await c.invariants();
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ orders: 120, terminal: 120, receipts: 600 });
  }, 120_000);
});
