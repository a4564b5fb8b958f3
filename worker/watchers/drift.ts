import type { SnapshotDrift } from "../../domain/inventory/level";
import { db } from "../db/client";
import { inventoryDrift } from "../db/schema";
import { currentRules } from "../ownership/store";
import type { Env } from "../env";
import { defaultOwnerOf } from "../tenant-owner";
import { appendDecisions } from "./chain";
import type { WatchContext } from "./context";
import { openWatcherTask } from "./tasks";

/** A person has a day to look at a count that disagrees with the engine. */
const DRIFT_SLA_MS = 24 * 3600_000;

/**
 * The WMS counted something else than the engine computed for a SKU: one
 * `inventory_drift` task per snapshot, through the watchers' one D1 task
 * writer (the id comes from the snapshot, so a repeated alarm writes nothing
 * new), owned like routing (the step whose stock promise the drift breaks).
 * Called by the SKU's inventory object from its alarm, never on an
 * acknowledgement path.
 */
export async function openDriftTask(env: Env, tenant: string, sku: string, drift: SnapshotDrift, openedAt: string): Promise<string | null> {
  const w: WatchContext = { env, tenant, rules: await currentRules(env, tenant), defaultOwner: await defaultOwnerOf(env, tenant), now: Date.parse(openedAt), cost: { queries: 0, rows_read: 0, rows_written: 0 }, decisions: [] };
  const id = await openWatcherTask(w, {
    type: "inventory_drift",
    step: "routing",
    subject: sku,
    orderId: null,
    ref: drift.snapshot_id,
    title: `Stock drift on ${sku} at ${drift.location}: WMS counted ${String(drift.reported)}, engine expected ${String(drift.expected)} (${drift.drift > 0 ? "+" : ""}${String(drift.drift)})`,
    evidence: { sku, drift },
    slaMs: DRIFT_SLA_MS,
  });
  // On the tenant's ~watchers chain like every other D1-only task the engine opens.
  await appendDecisions(env, tenant, w.decisions, w.cost);
  return id;
}

/** Every drift, above the threshold or not, for the `inventory` export: once per snapshot (a repeat writes nothing). */
export async function recordDrift(env: Env, tenant: string, sku: string, drift: SnapshotDrift, recordedAt: string): Promise<void> {
  await db(env.DB)
    .insert(inventoryDrift)
    .values({ tenantId: tenant, sku, snapshotId: drift.snapshot_id, location: drift.location, at: drift.at, expected: drift.expected, reported: drift.reported, drift: drift.drift, recordedAt })
    .onConflictDoNothing();
}
