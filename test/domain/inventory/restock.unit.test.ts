import { describe, expect, it } from "vitest";
import { allocate, type SkuAnswer } from "../../../domain/inventory/allocate";
import { restockRefusal, takeFills } from "../../../domain/inventory/restock";
import type { OrderView } from "../../../domain/order/view";

const LINES = [
  { sku: "MUG-01", quantity: 3, unit_price_minor: 2100 },
  { sku: "TEE-BLK-M", quantity: 1, unit_price_minor: 1500 },
];
const NOW = Date.parse("2026-12-07T12:00:00.000Z");

function answer(sku: string, lines: [string, number, number][]): SkuAnswer {
  return { sku, tracked: true, lines: lines.map(([line, requested, reserved]) => ({ line, requested, reserved, backordered: requested - reserved })) };
}

function view(state: OrderView["state"], m: Partial<OrderView["milestones"]> = {}, fulfillment: OrderView["fulfillment"]["status"] = "requested"): OrderView {
  return { state, milestones: m, fulfillment: { status: fulfillment, code: null, reason: null, location: null } } as unknown as OrderView;
}

// MUG-01: 1 of 3 reserved (2 backordered); TEE: none of 1.
const split = allocate(LINES, [answer("MUG-01", [["0", 3, 1]]), answer("TEE-BLK-M", [["1", 1, 0]])]);

describe("restock: the order takes the fills its split still misses", () => {
  it("a fill moves units from the backorder to routing, on the line it names, and records when", () => {
    const r = takeFills(LINES, split, "MUG-01", [{ key: "0#r1", line: "0", units: 2 }], NOW);
    expect(r.taken).toEqual(["0#r1"]);
    expect(r.allocation).toMatchObject({
      outcome: "some",
      routed: [{ sku: "MUG-01", quantity: 3 }],
      backordered: [{ sku: "TEE-BLK-M", quantity: 1 }],
      fills: ["MUG-01:0#r1"],
      committed: false,
      restocked_at: "2026-12-07T12:00:00.000Z",
    });
    // The other SKU's object fills its line on its own: the order is then whole.
    const whole = takeFills(LINES, r.allocation, "TEE-BLK-M", [{ key: "1#r1", line: "1", units: 1 }], NOW + 1);
    expect(whole.allocation).toMatchObject({ outcome: "all", backordered: [], fills: ["MUG-01:0#r1", "TEE-BLK-M:1#r1"] });
  });

  it("offered again, a fill already taken is answered the same and changes nothing", () => {
    const once = takeFills(LINES, split, "MUG-01", [{ key: "0#r1", line: "0", units: 1 }], NOW);
    const twice = takeFills(LINES, once.allocation, "MUG-01", [{ key: "0#r1", line: "0", units: 1 }], NOW + 5);
    expect(twice.taken).toEqual(["0#r1"]);
    expect(twice.applied).toEqual([]);
    expect(twice.allocation).toBe(once.allocation);
  });

  it("a fill for more than the line misses, for a line it does not have, or for another SKU is not taken", () => {
    const r = takeFills(LINES, split, "MUG-01", [
      { key: "0#r1", line: "0", units: 3 },
      { key: "7#r1", line: "7", units: 1 },
    ], NOW);
    expect(r).toMatchObject({ taken: [], applied: [] });
    expect(takeFills(LINES, split, "SOCK-01", [{ key: "0#r1", line: "0", units: 1 }], NOW).taken).toEqual([]);
  });

  it("stock that arrives after the order can no longer route it is refused", () => {
    expect(restockRefusal(view("backordered"), split)).toBeNull();
    expect(restockRefusal(view("routed"), split)).toBeNull();
    expect(restockRefusal(view("cancelled", { cancelled_at: "x" }), split)).toBe("the order is cancelled");
    expect(restockRefusal(view("shipped", { shipped_at: "x" }), split)).toBe("the order has shipped");
    expect(restockRefusal(view("accepted", {}, "accepted"), split)).toBe("the warehouse already accepted its routing");
    expect(restockRefusal(view("routed"), { ...split, closed: "released" })).toBe("its holds were already released");
    expect(restockRefusal(view("routed"), null)).toBe("the order has no stock decision");
  });
});
