import { verifyChain, type ChainCheck } from "../../domain/audit-chain";
import { linksAfter, WATCHER_CHAIN, type WatcherDecision } from "../../domain/watchers/decisions";
import { chunk, rowsPerStatement } from "../db/client";
import type { Env } from "../env";
import type { RunCost } from "./context";

/**
 * Appends decisions to the tenant's `~watchers` chain in one D1 batch (one
 * transaction: all or none). The head is read, the links computed and
 * inserted under audit_log's (tenant, order_id, seq) key, so a concurrent run
 * (the cron and a `watchers/run` at once) makes the batch fail, and it is
 * retried on the new head: the chain never forks.
 */
export async function appendDecisions(env: Env, tenant: string, decisions: readonly WatcherDecision[], cost?: RunCost): Promise<void> {
  if (decisions.length === 0) return;
  for (let attempt = 0; ; attempt++) {
    const head = await env.DB.prepare("SELECT seq, hash FROM audit_log WHERE tenant_id = ?1 AND order_id = ?2 ORDER BY seq DESC LIMIT 1")
      .bind(tenant, WATCHER_CHAIN)
      .first<{ seq: number; hash: string }>();
    const links = linksAfter(tenant, head, decisions);
    // Multi-row inserts within D1's 100 bound parameters: a first run that opens 137 tasks is 12 statements, not 137.
    const statements = chunk(links, rowsPerStatement(8)).map((part) =>
      env.DB.prepare(`INSERT INTO audit_log (tenant_id, order_id, seq, at, type, data, prev_hash, hash) VALUES ${part.map(() => "(?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`).bind(
        ...part.flatMap((l) => [l.tenant, l.order_id, l.seq, l.at, l.type, l.data, l.prev_hash, l.hash]),
      ),
    );
    try {
      const done = await env.DB.batch(statements);
      if (cost) {
        cost.queries += 1 + done.length;
        cost.rows_read += 1;
        cost.rows_written += done.reduce((a, r) => a + (r.meta.rows_written ?? 0), 0);
      }
      return;
    } catch (err) {
      if (attempt >= 4 || !/UNIQUE|PRIMARY KEY|constraint/i.test(String(err))) throw err;
    }
  }
}

export interface WatcherTrail {
  entries: { seq: number; at: string; type: string; data: Record<string, unknown>; hash: string }[];
  chain: ChainCheck;
}

/** The chain as stored, verified from its genesis (a retention-archived prefix shows as a break: verify it with the archive). */
export async function watcherTrail(env: Env, tenant: string, limit = 1000): Promise<WatcherTrail> {
  const { results } = await env.DB.prepare("SELECT seq, at, type, data, prev_hash, hash FROM audit_log WHERE tenant_id = ?1 AND order_id = ?2 ORDER BY seq LIMIT ?3")
    .bind(tenant, WATCHER_CHAIN, limit)
    .all<{ seq: number; at: string; type: string; data: string; prev_hash: string; hash: string }>();
  const chain = verifyChain(results.map((r) => ({ ...r, tenant, order_id: WATCHER_CHAIN })));
  return { entries: results.map((r) => ({ seq: r.seq, at: r.at, type: r.type, data: JSON.parse(r.data) as Record<string, unknown>, hash: r.hash })), chain };
}
