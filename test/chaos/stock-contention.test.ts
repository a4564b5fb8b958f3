import { afterEach, describe, expect, it } from "vitest";
import { freshScenario } from "../helpers/consumer";
import { getOrder, handoffTenant, ORDER_DATA, post } from "../helpers/handoff";
import { settleAlarms } from "../helpers/http";
import { level, sendStock, settleInventory } from "../helpers/inventory";
import { mapPool } from "../helpers/invariants";
import { rng, shuffle } from "./campaign";

// 50 orders' alarms (and their deliveries) take a while on a shared machine.
afterEach(async () => {
  await settleInventory();
  await settleAlarms();
}, 120_000);

const T0 = Date.parse("2026-12-07T10:00:00Z");
const ORDERS = 50;
const ON_HAND = 10;

describe("chaos: 50 paid orders race for 10 units of one SKU", () => {
  it("exactly 10 reserved and routed, the other 40 backordered with an owner, stock never negative, duplicates and reordering change nothing", async () => {
    const tenant = "chaos-stock";
    const key = await handoffTenant(tenant, freshScenario("chaos-stock-wms"), freshScenario("chaos-stock-carrier"), (r) => {
      r.steps.backorder = { ...r.steps.routing, owner: "user:backorder-desk", sla: "PT4H" };
    });
    await sendStock(tenant, "snap-chaos", "inventory.snapshot", { sku: "MUG-01", on_hand: ON_HAND }, "2026-12-07T09:00:00Z");
    const data = { ...ORDER_DATA, line_items: [{ sku: "MUG-01", quantity: 1, unit_price_minor: 2100 }] };
    const ids = Array.from({ length: ORDERS }, (_, i) => `o-${String(i).padStart(2, "0")}`);
    // Each order: created and captured, the capture delivered twice (same message id), all shuffled so captures often arrive first.
    const sends = ids.flatMap((o) => [
      () => post(tenant, "wms", "order.created", o, T0 - 2000, data),
      () => post(tenant, "wms", "payment.captured", o, T0 - 1000, { amount: data.total, payment_id: `pi_${o}` }),
      () => post(tenant, "wms", "payment.captured", o, T0 - 1000, { amount: data.total, payment_id: `pi_${o}` }),
    ]);
    const statuses = await mapPool(shuffle(sends, rng(0x5700c)), 12, (go) => go().then((r) => r.status));
    expect(statuses.every((s) => s === 200 || s === 202)).toBe(true);

    const orders = await mapPool(ids, 8, (o) => getOrder(tenant, o, key));
    const routed = orders.filter((o) => o.exports.some((e) => e.export.intended_action === "fulfil_order"));
    const backordered = orders.filter((o) => o.state === "backordered");
    expect(routed).toHaveLength(ON_HAND);
    expect(backordered).toHaveLength(ORDERS - ON_HAND);
    for (const o of backordered) {
      const back = o.exports.filter((e) => e.export.intended_action === "backorder_order");
      expect(back.map((e) => [e.export.owner, e.export.order.line_items[0]?.quantity])).toEqual([["user:backorder-desk", 1]]);
      expect(o.exports.some((e) => e.export.intended_action === "fulfil_order")).toBe(false);
    }
    const lvl = await level(tenant, "MUG-01", key);
    expect(lvl).toMatchObject({ on_hand: ON_HAND, reserved: ON_HAND, available: 0 });
    expect(lvl.orders.filter((r) => r.reserved > 0).map((r) => r.order_id).sort()).toEqual(routed.map((o) => o.order_id).sort());
    expect(lvl.orders.every((r) => r.reserved >= 0 && r.reserved <= r.requested)).toBe(true);
  }, 120_000);
});
