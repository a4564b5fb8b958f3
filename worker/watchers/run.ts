import { currentRules } from "../ownership/store";
import type { Env } from "../env";
import { defaultOwnerOf } from "../tenant-owner";
import type { RunCost, WatchContext } from "./context";
import { watchSources, type SourceWatchResult } from "./silence";
import { watchStuckOrders } from "./stuck";
import { watchReceipts } from "./reconcile";
import { writeDailyReport } from "./reports";
import { appendDecisions } from "./chain";
import { iso } from "../../domain/time";

type WatcherKind = "stuck_order" | "source_silent" | "volume_below_expected" | "reconciliation_mismatch";

export interface WatcherRun {
  tenant: string;
  at: string;
  opened: Record<WatcherKind, string[]>;
  closed: Record<WatcherKind, string[]>;
  sources: SourceWatchResult["judged"];
  cost: RunCost;
}

/**
 * Every watcher, once, for one tenant. Idempotent: each task is keyed by its
 * episode, so a run repeated (or overlapping the cron's) opens nothing twice.
 */
export async function runWatchers(env: Env, tenant: string, now = Date.now()): Promise<WatcherRun> {
  const cost: RunCost = { queries: 2, rows_read: 2, rows_written: 0 };
  const w: WatchContext = { env, tenant, rules: await currentRules(env, tenant), defaultOwner: await defaultOwnerOf(env, tenant), now, cost, decisions: [] };
  let parts: [Awaited<ReturnType<typeof watchStuckOrders>>, SourceWatchResult, Awaited<ReturnType<typeof watchReceipts>>];
  try {
    parts = [await watchStuckOrders(w), await watchSources(w), await watchReceipts(w)];
  } finally {
    // What was decided before a failure goes on the chain too, in one batch with the rest.
    await appendDecisions(env, tenant, w.decisions, cost);
  }
  const [stuck, silence, receipts] = parts;
  return {
    tenant,
    at: iso(now),
    opened: { stuck_order: stuck.opened, source_silent: silence.opened, volume_below_expected: silence.shortfalls.opened, reconciliation_mismatch: receipts.opened },
    closed: { stuck_order: stuck.closed, source_silent: silence.closed, volume_below_expected: silence.shortfalls.closed, reconciliation_mismatch: receipts.closed },
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
