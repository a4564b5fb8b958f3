import type { Env } from "../env";
import type { RulesSnapshot } from "../ownership/store";
import type { WatcherDecision } from "../../domain/watchers/decisions";

/** What a watcher run cost D1, from D1's own result metadata: the numbers the README quotes. */
export interface RunCost {
  queries: number;
  rows_read: number;
  rows_written: number;
}

/** What every watcher knows about the tenant it is watching, read once per run. */
export interface WatchContext {
  env: Env;
  tenant: string;
  rules: RulesSnapshot | null;
  defaultOwner: string | null;
  now: number;
  cost: RunCost;
  /** What this run decided, appended to the tenant's `~watchers` chain when it ends (worker/watchers/chain.ts). */
  decisions: WatcherDecision[];
}

export function tally(w: Pick<WatchContext, "cost">, meta: { rows_read?: number; rows_written?: number } | undefined): void {
  w.cost.queries += 1;
  w.cost.rows_read += meta?.rows_read ?? 0;
  w.cost.rows_written += meta?.rows_written ?? 0;
}

/** One read the run pays for, counted. Watchers read D1's indexes and counters only, never an order's object. */
export async function select<T>(w: Pick<WatchContext, "env" | "cost">, sql: string, ...binds: unknown[]): Promise<T[]> {
  const r = await w.env.DB.prepare(sql).bind(...binds).all<T>();
  tally(w, r.meta);
  return r.results;
}
