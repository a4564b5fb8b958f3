import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { levelOf, type StockFact } from "../../../domain/inventory/level";

/**
 * Convergence: the same set of stock facts, delivered in any order and any
 * number of times, derives the same level; a snapshot older than the newest
 * one never rewinds stock.
 */

const T0 = Date.parse("2026-12-01T00:00:00.000Z");
const factArb: fc.Arbitrary<StockFact> = fc.record({
  id: fc.string({ minLength: 1, maxLength: 6 }).map((s) => `f-${s}`),
  kind: fc.constantFrom("snapshot", "delta"),
  location: fc.constantFrom("default", "berlin"),
  at: fc.integer({ min: 0, max: 20 }).map((m) => T0 + m * 60_000),
  units: fc.integer({ min: -5, max: 50 }),
  source: fc.constantFrom("wms", "shop"),
}).map((f) => ({ ...f, units: f.kind === "snapshot" ? Math.abs(f.units) : f.units }));

/** A unique-id fact set, then a delivery: any permutation with any duplicates. */
const deliveryArb = fc
  .uniqueArray(factArb, { selector: (f) => f.id, maxLength: 12 })
  .chain((facts) =>
    fc.tuple(
      fc.constant(facts),
      fc.shuffledSubarray([...facts, ...facts, ...facts], { minLength: facts.length * 3, maxLength: facts.length * 3 }),
      fc.array(fc.nat({ max: Math.max(0, facts.length - 1) }), { maxLength: 6 }),
    ),
  )
  .map(([facts, shuffled, extra]) => ({ facts, delivered: [...shuffled, ...extra.flatMap((i) => (facts[i] ? [facts[i]] : []))] }));

describe("stock level: convergence", () => {
  it("any permutation with duplicates derives the same level and drifts", () => {
    fc.assert(
      fc.property(deliveryArb, ({ facts, delivered }) => {
        expect(levelOf(delivered)).toEqual(levelOf(facts));
      }),
      { numRuns: 300 },
    );
  });

  it("a snapshot older than the newest one never changes the level", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(factArb, { selector: (f) => f.id, minLength: 1, maxLength: 10 }),
        fc.integer({ min: 0, max: 500 }),
        (facts, units) => {
          const snapshots = facts.filter((f) => f.kind === "snapshot" && f.location === "default");
          const newest = Math.max(...snapshots.map((s) => s.at));
          fc.pre(snapshots.length > 0 && newest > T0);
          const before = levelOf(facts);
          const stale: StockFact = { id: "stale", kind: "snapshot", location: "default", at: newest - 1, units, source: "wms" };
          expect(levelOf([...facts, stale]).on_hand).toBe(before.on_hand);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("an adjustment that happened after the newest snapshot counts whenever it arrives", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: -10, max: 10 }), fc.boolean(), (onHand, delta, lateFirst) => {
        const snap: StockFact = { id: "s", kind: "snapshot", location: "default", at: T0 + 1000, units: onHand, source: "wms" };
        const adj: StockFact = { id: "a", kind: "delta", location: "default", at: T0 + 2000, units: delta, source: "wms" };
        expect(levelOf(lateFirst ? [adj, snap] : [snap, adj]).on_hand).toBe(onHand + delta);
      }),
    );
  });
});
