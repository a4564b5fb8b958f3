import type { InventoryRow, TaskRow } from "../../worker/analytics-exports/rows";
import { RULES } from "./builder";
import { DAY, HOUR, MINUTE, Rng, SECOND } from "./random";
import { watcherTaskRow } from "./watchers";

/**
 * A month of WMS stock counts as the inventory export shows them: each SKU at
 * each of its locations is counted once a night, and each count is compared
 * with what the engine had computed (`expected`). Most counts agree or are off
 * by a unit or two; a few SKUs leak (shrinkage: the WMS keeps counting fewer
 * than the engine thinks), and now and then a count is far off (a mis-scan, a
 * receipt never reported). A drift of at least the threshold opens an
 * `inventory_drift` task, as the SKU's object does through the watchers' task
 * writer (owned like routing, a day to look at it).
 */

/** INVENTORY_DRIFT_THRESHOLD's default. */
export const DRIFT_THRESHOLD = 5;
const DRIFT_SLA_MS = DAY;
const SKUS = 36;
const LEAKY = new Set([4, 17, 29]);
const LOCATIONS = ["DC-EAST", "DC-WEST"] as const;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Ordinary drift: mostly none, sometimes a unit or two, rarely a few, very rarely a big miss either way. */
function drawDrift(rng: Rng, leaky: boolean): number {
  const sign = rng.chance(0.5) ? 1 : -1;
  if (leaky && rng.chance(0.7)) return -rng.int(2, 9);
  const p = rng.next();
  if (p < 0.72) return 0;
  if (p < 0.93) return sign * rng.int(1, 2);
  if (p < 0.99) return sign * rng.int(3, 6);
  return sign * rng.int(10, 40);
}

export interface InventoryMonth {
  rows: InventoryRow[];
  tasks: TaskRow[];
}

export function inventoryMonth(tenant: string, seed: number, start: number, end: number): InventoryMonth {
  // Its own stream: the orders' and watchers' draws stay as they were.
  const rng = new Rng(seed * 15_485_863 + 29);
  const rows: InventoryRow[] = [];
  const tasks: TaskRow[] = [];
  const asOf = end - 1;
  for (let s = 1; s <= SKUS; s++) {
    const sku = `SKU-${String(s).padStart(4, "0")}`;
    const locations: readonly string[] = s % 3 === 0 ? LOCATIONS : s % 2 === 0 ? ["DC-EAST"] : ["DC-WEST"];
    for (const location of locations) {
      let level = rng.int(20, 400);
      for (let day = start; day < end; day += DAY) {
        // Sales, receipts and returns the engine saw since the last count.
        level = Math.max(0, level - rng.int(0, 25) + (rng.chance(0.2) ? rng.int(50, 200) : 0));
        const at = day + 2 * HOUR + rng.int(0, 30 * MINUTE);
        if (at >= end) break;
        const drift = Math.max(-level, drawDrift(rng, LEAKY.has(s)));
        const reported = level + drift;
        const recorded = at + rng.int(SECOND, 20 * SECOND);
        const snapshotId = `wms:snap-${sku}-${location}-${iso(day).slice(0, 10)}#0`;
        rows.push({ tenant_id: tenant, sku, location, snapshot_id: snapshotId, at: iso(at), expected: level, reported, drift, abs_drift: Math.abs(drift), recorded_at: iso(recorded) });
        if (Math.abs(drift) >= DRIFT_THRESHOLD && recorded <= asOf) {
          const opened = recorded + rng.int(SECOND, 10 * SECOND);
          const claimed = rng.chance(0.75) ? opened + rng.int(20 * MINUTE, 10 * HOUR) : null;
          const closedAt = claimed !== null && rng.chance(0.8) ? claimed + rng.int(10 * MINUTE, 6 * HOUR) : null;
          tasks.push(
            watcherTaskRow(
              {
                tenant, id: `tk_drift_${sku}_${location}_${iso(day).slice(0, 10)}`, orderId: null, type: "inventory_drift", owner: RULES.routing.ladder[0],
                owningParty: RULES.routing.owning_party, onset: at, opened, slaMs: DRIFT_SLA_MS, claimed,
                closed: closedAt === null ? null : { at: closedAt, how: "resolved", by: "dita@ops" }, value: { minor: null, currency: null },
              },
              asOf,
            ),
          );
        }
        // The count is the truth from here on: the engine's level follows the WMS.
        level = reported;
      }
    }
  }
  return { rows, tasks };
}
