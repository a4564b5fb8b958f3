import { sql } from "drizzle-orm";
import { hourKey } from "../../domain/watchers/baseline";
import { chunk, rowsPerStatement, type Db } from "../db/client";
import { sourceCounts } from "../db/schema";

export const VERIFIED = "verified";

export interface Arrival {
  source: string;
  /** "verified" or a refusal code. */
  kind: string;
  at: string;
}

type CountRow = typeof sourceCounts.$inferInsert;

/**
 * Folds arrivals into one row per (source, hour, kind). (A running total per
 * source, hour "*", was a second row written per receipt only to find the last
 * verified delivery; the newest verified hour row has it: worker/watchers/silence.ts.)
 */
export function countRows(tenant: string, arrivals: readonly Arrival[]): CountRow[] {
  const rows = new Map<string, CountRow>();
  const add = (source: string, hour: string, kind: string, at: string) => {
    const key = `${source}\n${hour}\n${kind}`;
    const row = rows.get(key);
    if (row) {
      row.n += 1;
      if (at > row.lastAt) row.lastAt = at;
    } else rows.set(key, { tenantId: tenant, source, hour, kind, n: 1, lastAt: at });
  };
  for (const a of arrivals) {
    add(a.source, hourKey(Date.parse(a.at)), a.kind, a.at);
  }
  return [...rows.values()];
}

/**
 * One upsert per 16 rows (usually one per drain), in the caller's batch. A
 * drain retried after a commit D1 did make counts its receipts twice: the
 * error is towards "not silent", and the audit rows stay exact.
 */
export function upsertCounts(d: Db, rows: readonly CountRow[]) {
  return chunk(rows, rowsPerStatement(6)).map((part) =>
    d
      .insert(sourceCounts)
      .values(part)
      .onConflictDoUpdate({
        target: [sourceCounts.tenantId, sourceCounts.source, sourceCounts.hour, sourceCounts.kind],
        set: { n: sql`${sourceCounts.n} + excluded.n`, lastAt: sql`max(${sourceCounts.lastAt}, excluded.last_at)` },
      }),
  );
}
