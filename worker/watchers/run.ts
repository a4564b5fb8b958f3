import { currentRules } from "../ownership/store";
import type { Env } from "../env";
import { defaultOwnerOf } from "../tenant-owner";
import type { RunCost, WatchContext } from "./context";
import { watchSources } from "./silence";
import { watchStuckOrders } from "./stuck";
import { watchReceipts } from "./reconcile";
import { writeDailyReport } from "./reports";
import type { SilenceVerdict } from "../../domain/watchers/silence";
import { iso } from "../../domain/time";

export interface WatcherRun {
  tenant: string;
  at: string;
  opened: { stuck_order: string[]; source_silent: string[]; reconciliation_mismatch: string[] };
  closed: { stuck_order: string[]; source_silent: string[]; reconciliation_mismatch: string[] };
  sources: { source: string; verdict: SilenceVerdict }[];
  cost: RunCost;
}

/**
 * Every watcher, once, for one tenant. Idempotent: each task is keyed by its
 * episode, so a run repeated (or overlapping the cron's) opens nothing twice.
 */
export async function runWatchers(env: Env, tenant: string, now = Date.now()): Promise<WatcherRun> {
  const cost: RunCost = { queries: 2, rows_read: 2, rows_written: 0 };
  const w: WatchContext = { env, tenant, rules: await currentRules(env, tenant), defaultOwner: await defaultOwnerOf(env, tenant), now, cost };
  const stuck = await watchStuckOrders(w);
  const silence = await watchSources(w);
  const receipts = await watchReceipts(w);
  return {
    tenant,
    at: iso(now),
    opened: { stuck_order: stuck.opened, source_silent: silence.opened, reconciliation_mismatch: receipts.opened },
    closed: { stuck_order: stuck.closed, source_silent: silence.closed, reconciliation_mismatch: receipts.closed },
    sources: silence.judged,
    cost,
  };
}

/** The cron's pass over every tenant; one tenant failing does not stop the others. */
export async function runAllWatchers(env: Env, now = Date.now()): Promise<{ tenants: number; opened: number; closed: number; failed: number }> {
  const { results } = await env.DB.prepare("SELECT id FROM tenants ORDER BY id").all<{ id: string }>();
  let opened = 0;
  let closed = 0;
  let failed = 0;
  for (const t of results) {
    try {
      const r = await runWatchers(env, t.id, now);
      // Yesterday's report, kept once: every later run finds it written (one read).
      await writeDailyReport(env, t.id, now);
      opened += Object.values(r.opened).reduce((a, ids) => a + ids.length, 0);
      closed += Object.values(r.closed).reduce((a, ids) => a + ids.length, 0);
    } catch (err) {
      failed++;
      console.error(`watchers: tenant ${t.id} failed`, err);
    }
  }
  return { tenants: results.length, opened, closed, failed };
}
