/**
 * How the order chain's entries are written to D1 (`audit_blocks`): one row per
 * run of consecutive entries of one commit that share one `at`. D1 bills a row
 * and each of its index entries, so a commit of three entries costs one row
 * and two index entries instead of three of each (bench/results/cost.md).
 *
 * Runs depend only on the commit's own entries (never on what was committed
 * after it), so a drain retried after a write D1 did make produces the same
 * rows under the same keys, and D1 ignores them.
 */

/** The stored form of one entry inside a run: `at` is the run's, once. */
export type RunEntry = [seq: number, type: string, data: string, prevHash: string, hash: string];

export interface AuditRun {
  /** The run's first seq: its key, with tenant and order. */
  seq: number;
  at: string;
  entries: RunEntry[];
}

export interface ChainEntry {
  seq: number;
  at: string;
  type: string;
  data: string;
  prev_hash: string;
  hash: string;
}

/** Each commit's entries (oldest first) in runs of one `at`. */
export function auditRuns(commits: readonly (readonly ChainEntry[])[]): AuditRun[] {
  const runs: AuditRun[] = [];
  for (const commit of commits) {
    let run: AuditRun | null = null;
    for (const e of commit) {
      if (run === null || run.at !== e.at) {
        run = { seq: e.seq, at: e.at, entries: [] };
        runs.push(run);
      }
      run.entries.push([e.seq, e.type, e.data, e.prev_hash, e.hash]);
    }
  }
  return runs;
}
