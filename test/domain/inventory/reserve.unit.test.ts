import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  availableUnits,
  commitOrder,
  consumeOrder,
  decideReserve,
  expireHeld,
  nextExpiry,
  releaseOrder,
  reservedUnits,
  type Reservation,
} from "../../../domain/inventory/reserve";

const NOW = Date.parse("2026-12-01T00:00:00.000Z");
const HOLD = 60_000;

function reserve(rows: Reservation[], onHand: number, orderId: string, qty: number | number[], buffer = 0) {
  const lines = (Array.isArray(qty) ? qty : [qty]).map((quantity, i) => ({ line: String(i), quantity }));
  const d = decideReserve(onHand, buffer, reservedUnits(rows), rows.filter((r) => r.order_id === orderId), { orderId, lines, now: NOW, holdMs: HOLD });
  rows.push(...d.created);
  return d;
}

describe("reservation decisions", () => {
  it("all, some and none available", () => {
    const rows: Reservation[] = [];
    expect(reserve(rows, 5, "o1", 3)).toMatchObject({ outcome: "all", lines: [{ reserved: 3, backordered: 0 }], available: 2 });
    expect(reserve(rows, 5, "o2", [1, 3])).toMatchObject({ outcome: "some", lines: [{ reserved: 1 }, { reserved: 1, backordered: 2 }], available: 0 });
    expect(reserve(rows, 5, "o3", 1)).toMatchObject({ outcome: "none", lines: [{ reserved: 0, backordered: 1 }] });
    expect(reservedUnits(rows)).toBe(5);
  });

  it("is idempotent by order and line: asking again returns the first answer and reserves nothing", () => {
    const rows: Reservation[] = [];
    const first = reserve(rows, 2, "o1", 3);
    const again = reserve(rows, 100, "o1", 3);
    expect(again.lines).toEqual(first.lines);
    expect(again.created).toEqual([]);
    expect(reservedUnits(rows)).toBe(2);
  });

  it("honours the oversell buffer, and never goes past it", () => {
    const rows: Reservation[] = [];
    expect(reserve(rows, 2, "o1", 4, 1)).toMatchObject({ outcome: "some", lines: [{ reserved: 3 }] });
    expect(availableUnits(2, 1, rows)).toBe(0);
    expect(availableUnits(-5, 0, rows)).toBe(0);
  });

  it("release and consume free the units once; a repeat changes nothing", () => {
    const rows: Reservation[] = [];
    reserve(rows, 5, "o1", 2);
    reserve(rows, 5, "o2", 2);
    const apply = (changed: Reservation[]) => {
      for (const c of changed) rows.splice(rows.findIndex((r) => r.order_id === c.order_id && r.line === c.line), 1, c);
    };
    apply(releaseOrder(rows, "o1", NOW, "cancelled"));
    expect(releaseOrder(rows, "o1", NOW, "cancelled")).toEqual([]);
    apply(consumeOrder(rows, "o2", NOW));
    expect(rows.map((r) => [r.order_id, r.status, r.reason])).toEqual([["o1", "released", "cancelled"], ["o2", "consumed", null]]);
    expect(reservedUnits(rows)).toBe(0);
    // A released line stays decided: asking again does not take stock back.
    expect(reserve(rows, 5, "o1", 2).created).toEqual([]);
  });

  it("the sweep releases held reservations whose order never committed, not committed ones", () => {
    const rows: Reservation[] = [];
    reserve(rows, 5, "o1", 1);
    reserve(rows, 5, "o2", 1);
    const committed = commitOrder(rows, "o2");
    rows.splice(1, 1, ...committed);
    expect(nextExpiry(rows)).toBe(NOW + HOLD);
    expect(expireHeld(rows, NOW + HOLD - 1)).toEqual([]);
    expect(expireHeld(rows, NOW + HOLD).map((r) => [r.order_id, r.status, r.reason])).toEqual([["o1", "released", "uncommitted"]]);
  });

  it("whatever the interleaving of orders, never more reserved than on hand + buffer", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.record({ order: fc.constantFrom("a", "b", "c", "d", "e"), qty: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 3 }) }), { maxLength: 20 }),
        (onHand, buffer, asks) => {
          const rows: Reservation[] = [];
          for (const a of asks) reserve(rows, onHand, a.order, a.qty, buffer);
          expect(reservedUnits(rows)).toBeLessThanOrEqual(onHand + buffer);
          expect(new Set(rows.map((r) => `${r.order_id}:${r.line}`)).size).toBe(rows.length);
        },
      ),
    );
  });
});
