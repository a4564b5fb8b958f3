import { DEFAULT_LOCATION, type InventoryEvent } from "./events";

/**
 * A SKU's stock level, derived from the SET of stock facts it has accepted,
 * never from their arrival order: the same facts in any order, any number of
 * times, give the same level (test/domain/inventory/level.property.unit.test.ts).
 *
 * Per location, the newest snapshot (by its as-of time) is the base and every
 * delta after it is added; deltas at or before it are already in its count.
 * So a snapshot older than the newest one changes nothing (stock never
 * rewinds), and an adjustment that arrives late but happened after the
 * snapshot still counts.
 */

export interface StockFact {
  /** Dedup key: the event id, or `consume:<order>:<line>` for a shipment the engine consumed. */
  id: string;
  kind: "snapshot" | "delta";
  location: string;
  /** As-of time (snapshot) or when the change happened (delta), ms since epoch. */
  at: number;
  units: number;
  source: string;
}

export interface LocationLevel {
  location: string;
  on_hand: number;
  /** The snapshot the level is based on, if any. */
  snapshot_at: string | null;
}

export interface SnapshotDrift {
  location: string;
  snapshot_id: string;
  at: string;
  /** What the engine had computed for that moment from the previous snapshot and the deltas since. */
  expected: number;
  reported: number;
  /** reported − expected: positive when the WMS counts more than we thought. */
  drift: number;
}

export interface StockLevel {
  on_hand: number;
  locations: LocationLevel[];
  /** One entry per snapshot that had an earlier snapshot to compare with. */
  drifts: SnapshotDrift[];
  facts: number;
}

export function factFromEvent(e: InventoryEvent): StockFact {
  const location = e.data.location ?? DEFAULT_LOCATION;
  const at = Date.parse(e.occurred_at);
  return e.type === "inventory.snapshot"
    ? { id: e.id, kind: "snapshot", location, at, units: e.data.on_hand, source: e.source }
    : { id: e.id, kind: "delta", location, at, units: e.data.delta, source: e.source };
}

/** A total order on facts that does not depend on arrival: time, then snapshots after deltas of the same instant, then id. */
function compareFacts(a: StockFact, b: StockFact): number {
  if (a.at !== b.at) return a.at - b.at;
  if (a.kind !== b.kind) return a.kind === "delta" ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return a.units - b.units;
}

/** One fact per id; when a sender reused an id for different content, the first in canonical order wins everywhere. */
export function canonicalFacts(facts: readonly StockFact[]): StockFact[] {
  const sorted = [...facts].sort(compareFacts);
  const seen = new Set<string>();
  return sorted.filter((f) => (seen.has(f.id) ? false : (seen.add(f.id), true)));
}

export function levelOf(facts: readonly StockFact[]): StockLevel {
  const byLocation = new Map<string, StockFact[]>();
  const unique = canonicalFacts(facts);
  for (const f of unique) {
    const list = byLocation.get(f.location) ?? [];
    list.push(f);
    byLocation.set(f.location, list);
  }
  const locations: LocationLevel[] = [];
  const drifts: SnapshotDrift[] = [];
  for (const [location, list] of [...byLocation.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // Walk in time order: a snapshot resets the running count; the difference it made is its drift.
    let running = 0;
    let hadSnapshot = false;
    let snapshotAt: number | null = null;
    for (const f of list) {
      if (f.kind === "delta") {
        running += f.units;
        continue;
      }
      if (hadSnapshot) {
        drifts.push({ location, snapshot_id: f.id, at: new Date(f.at).toISOString(), expected: running, reported: f.units, drift: f.units - running });
      }
      running = f.units;
      hadSnapshot = true;
      snapshotAt = f.at;
    }
    locations.push({ location, on_hand: running, snapshot_at: snapshotAt === null ? null : new Date(snapshotAt).toISOString() });
  }
  return { on_hand: locations.reduce((s, l) => s + l.on_hand, 0), locations, drifts, facts: unique.length };
}

/** Drift a person should look at: at least `threshold` units either way (a threshold of 0 turns it off). */
export function driftsAbove(level: Pick<StockLevel, "drifts">, threshold: number): SnapshotDrift[] {
  return threshold <= 0 ? [] : level.drifts.filter((d) => Math.abs(d.drift) >= threshold);
}
