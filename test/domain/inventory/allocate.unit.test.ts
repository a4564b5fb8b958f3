import { describe, expect, it } from "vitest";
import { allocate, askable, stockFollowUp, stockRequests, trackedSkus, type SkuAnswer } from "../../../domain/inventory/allocate";
import { decideReserve, expireHeld } from "../../../domain/inventory/reserve";
import type { OrderView } from "../../../domain/order/view";

const LINES = [
  { sku: "MUG-01", quantity: 2, unit_price_minor: 2100 },
  { sku: "TEE-BLK-M", quantity: 3, unit_price_minor: 1500 },
  { sku: "MUG-01", quantity: 1, unit_price_minor: 2100 },
];

function answer(sku: string, tracked: boolean, lines: [string, number, number][]): SkuAnswer {
  return { sku, tracked, lines: lines.map(([line, requested, reserved]) => ({ line, requested, reserved, backordered: requested - reserved })) };
}

function viewWith(m: Partial<OrderView["milestones"]>): OrderView {
  return { milestones: m } as unknown as OrderView;
}

describe("allocate: the order's lines against its SKUs' answers", () => {
  it("asks each SKU once, covering its lines by their index in the order", () => {
    expect(stockRequests(LINES)).toEqual([
      { sku: "MUG-01", lines: [{ line: "0", quantity: 2 }, { line: "2", quantity: 1 }] },
      { sku: "TEE-BLK-M", lines: [{ line: "1", quantity: 3 }] },
    ]);
  });

  it("untracked SKUs (no stock ever reported) route whole: the outcome is `untracked`, nothing backordered", () => {
    const a = allocate(LINES, [answer("MUG-01", false, [["0", 2, 2], ["2", 1, 1]]), answer("TEE-BLK-M", false, [["1", 3, 3]])]);
    expect(a).toMatchObject({ outcome: "untracked", routed: LINES, backordered: [] });
    expect(trackedSkus(a)).toEqual([]);
  });

  it("all reserved: routes everything", () => {
    const a = allocate(LINES, [answer("MUG-01", true, [["0", 2, 2], ["2", 1, 1]]), answer("TEE-BLK-M", true, [["1", 3, 3]])]);
    expect(a).toMatchObject({ outcome: "all", routed: LINES, backordered: [] });
  });

  it("some: routes the reserved units, backorders the rest; an untracked SKU beside them routes whole", () => {
    const a = allocate(LINES, [answer("MUG-01", true, [["0", 2, 1], ["2", 1, 0]]), answer("TEE-BLK-M", false, [["1", 3, 3]])]);
    expect(a.outcome).toBe("some");
    expect(a.routed).toEqual([{ ...LINES[0], quantity: 1 }, LINES[1]]);
    expect(a.backordered).toEqual([{ ...LINES[0], quantity: 1 }, LINES[2]]);
    expect(trackedSkus(a)).toEqual(["MUG-01"]);
  });

  it("none: nothing routed, everything backordered", () => {
    const a = allocate(LINES.slice(0, 1), [answer("MUG-01", true, [["0", 2, 0]])]);
    expect(a).toMatchObject({ outcome: "none", routed: [], backordered: [LINES[0]] });
  });
});

describe("stockFollowUp: what the order owes its inventory objects", () => {
  const held = allocate(LINES.slice(0, 1), [answer("MUG-01", true, [["0", 2, 2]])]);
  it("nothing while the order is live; release on cancel or refund; consume on shipment", () => {
    expect(stockFollowUp(viewWith({}), held)).toBeNull();
    expect(stockFollowUp(viewWith({ cancelled_at: "2026-12-07T10:00:00.000Z" }), held)).toEqual({ kind: "release", reason: "cancelled" });
    expect(stockFollowUp(viewWith({ refunded_at: "2026-12-07T10:00:00.000Z", cancelled_at: "2026-12-07T09:00:00.000Z" }), held)).toEqual({ kind: "release", reason: "refunded" });
    expect(stockFollowUp(viewWith({ shipped_at: "2026-12-07T10:00:00.000Z" }), held)).toEqual({ kind: "consume", at: "2026-12-07T10:00:00.000Z" });
  });
  it("once: a closed allocation, or one with no tracked SKU, owes nothing", () => {
    expect(stockFollowUp(viewWith({ shipped_at: "2026-12-07T10:00:00.000Z" }), { ...held, closed: "consumed" })).toBeNull();
    const untracked = allocate(LINES.slice(0, 1), [answer("MUG-01", false, [["0", 2, 2]])]);
    expect(stockFollowUp(viewWith({ cancelled_at: "2026-12-07T10:00:00.000Z" }), untracked)).toBeNull();
  });
});

describe("reserve after a crash: a hold the sweep released because its order never confirmed is decided again", () => {
  it("the order asks again after the sweep and gets the units back; a cancelled release stays released", () => {
    const req = { orderId: "o1", lines: [{ line: "0", quantity: 2 }], now: 0, holdMs: 1000 };
    const first = decideReserve(5, 0, 0, [], req);
    const swept = expireHeld(first.created, 1000);
    expect(swept[0]).toMatchObject({ status: "released", reason: "uncommitted" });
    const again = decideReserve(5, 0, 0, swept, { ...req, now: 2000 });
    expect(again.created).toHaveLength(1);
    expect(again.created[0]).toMatchObject({ status: "held", reserved: 2 });
    const cancelled = swept.map((r) => ({ ...r, reason: "cancelled" }));
    expect(decideReserve(5, 0, 0, cancelled, { ...req, now: 2000 }).created).toEqual([]);
  });
});

describe("askable: which SKUs an order asks to reserve", () => {
  const requests = stockRequests(LINES);
  it("asks only the SKUs the tenant tracks; a SKU left out routes whole, as an untracked answer would", () => {
    expect(askable(requests, ["TEE-BLK-M"]).map((r) => r.sku)).toEqual(["TEE-BLK-M"]);
    expect(askable(requests, [])).toEqual([]);
    expect(allocate(LINES, [])).toMatchObject({ outcome: "untracked", routed: LINES, backordered: [] });
  });
  it("asks every SKU when the list is unknown (null)", () => {
    expect(askable(requests, null)).toEqual(requests);
  });
});
