import { describe, expect, it } from "vitest";
import { factFromEvent, levelOf, type StockFact } from "../../../domain/inventory/level";
import { InventoryEvent } from "../../../domain/inventory/events";

const at = (m: number) => Date.parse("2026-12-01T00:00:00.000Z") + m * 60_000;
const snap = (id: string, m: number, units: number, location = "default"): StockFact => ({ id, kind: "snapshot", location, at: at(m), units, source: "wms" });
const delta = (id: string, m: number, units: number, location = "default"): StockFact => ({ id, kind: "delta", location, at: at(m), units, source: "wms" });

describe("stock level", () => {
  it("adds deltas after the newest snapshot and ignores those it already counts", () => {
    const level = levelOf([delta("d0", 1, 5), snap("s1", 2, 10), delta("d1", 3, -2), delta("d2", 4, 4)]);
    expect(level.on_hand).toBe(12);
    expect(level.locations).toEqual([{ location: "default", on_hand: 12, snapshot_at: new Date(at(2)).toISOString() }]);
  });

  it("sums locations, each with its own snapshot", () => {
    expect(levelOf([snap("a", 1, 3, "berlin"), snap("b", 1, 4, "paris"), delta("c", 2, -1, "paris")]).on_hand).toBe(6);
  });

  it("records drift: a snapshot against what the engine computed for that moment", () => {
    const level = levelOf([snap("s1", 1, 10), delta("ship", 2, -3), snap("s2", 3, 5)]);
    expect(level.drifts).toEqual([{ location: "default", snapshot_id: "s2", at: new Date(at(3)).toISOString(), expected: 7, reported: 5, drift: -2 }]);
    expect(level.on_hand).toBe(5);
  });

  it("maps both canonical events to facts (a snapshot without location counts in default)", () => {
    const s = InventoryEvent.parse({ id: "k#0", type: "inventory.snapshot", sku: "TEE-M", occurred_at: "2026-12-01T00:00:00Z", source: "wms", data: { sku: "TEE-M", on_hand: 7 } });
    const d = InventoryEvent.parse({ id: "k#1", type: "inventory.adjusted", sku: "TEE-M", occurred_at: "2026-12-01T00:01:00Z", source: "wms", data: { sku: "TEE-M", delta: -1, location: "berlin" } });
    expect(factFromEvent(s)).toEqual({ id: "k#0", kind: "snapshot", location: "default", at: at(0), units: 7, source: "wms" });
    expect(factFromEvent(d)).toMatchObject({ kind: "delta", location: "berlin", units: -1 });
  });
});
