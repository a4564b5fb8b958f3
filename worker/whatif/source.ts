import type { RulesInput } from "../../domain/handoff/plan";
import { StoredOwnershipRules } from "../../domain/ownership/schema";
import type { Cursor } from "../../domain/whatif/job";
import { recordedOrder, REPLAY_AUDIT_TYPES, StoredAuditLine, type AuditLine, type RecordedOrder } from "../../domain/whatif/recorded";

/**
 * Where a what-if's facts come from: D1's order index (which orders were
 * created in the window, in keyset pages by order id) and audit trail (their
 * recorded inputs and decisions, the replay's entry types only), one query per
 * page for all of its orders. Never a call per order object: live traffic
 * does not notice a what-if.
 */

/** Orders per page: 1 tenant + 14 entry types + 60 order ids stay inside D1's 100 bound parameters. */
export const WHATIF_PAGE = 60;

export interface Page {
  orders: RecordedOrder[];
  /** Keyset cursor (the orders_tenant_created index's order): the last order of this page, null when the window is done. */
  next: Cursor | null;
  rows_read: number;
}

interface AuditRow {
  order_id: string;
  seq: number;
  at: string;
  type: string;
  data: string;
}

export async function readPage(db: D1Database, tenant: string, from: string, to: string, after: Cursor | null, limit = WHATIF_PAGE): Promise<Page> {
  const ids = await db
    .prepare(
      `SELECT order_id, created_at FROM orders WHERE tenant_id = ?1 AND created_at < ?3
         AND (created_at > ?2 OR (created_at = ?2 AND order_id > ?4))
       ORDER BY created_at, order_id LIMIT ?5`,
    )
    // No cursor yet: from `from` inclusive (every id sorts after "").
    .bind(tenant, after?.created_at ?? from, to, after?.order_id ?? "", limit)
    .all<{ order_id: string; created_at: string }>();
  let rowsRead = ids.meta.rows_read;
  const orderIds = ids.results.map((r) => r.order_id);
  const last = ids.results.at(-1);
  if (orderIds.length === 0 || !last) return { orders: [], next: null, rows_read: rowsRead };
  const types = REPLAY_AUDIT_TYPES.map((_, i) => `?${i + 2}`).join(",");
  const idParams = orderIds.map((_, i) => `?${i + 2 + REPLAY_AUDIT_TYPES.length}`).join(",");
  const audit = await db
    .prepare(`SELECT order_id, seq, at, type, data FROM audit_entries WHERE tenant_id = ?1 AND type IN (${types}) AND order_id IN (${idParams}) ORDER BY order_id, seq`)
    .bind(tenant, ...REPLAY_AUDIT_TYPES, ...orderIds)
    .all<AuditRow>();
  rowsRead += audit.meta.rows_read;
  const byOrder = new Map<string, AuditLine[]>(orderIds.map((id) => [id, []]));
  // Each entry's JSON is parsed at most once, when first read; the replay and the comparison share the trail.
  for (const r of audit.results) byOrder.get(r.order_id)?.push(new StoredAuditLine(r.seq, r.at, r.type, r.data));
  return {
    orders: orderIds.map((id) => recordedOrder(tenant, id, byOrder.get(id) ?? [])),
    next: orderIds.length < limit ? null : { created_at: last.created_at, order_id: last.order_id },
    rows_read: rowsRead,
  };
}

/** How many orders the window holds, counting no further than `cap` (the inline check reads at most cap + 1 index rows). */
export async function countWindow(db: D1Database, tenant: string, from: string, to: string, cap?: number): Promise<{ orders: number; rows_read: number }> {
  const limit = cap === undefined ? -1 : cap + 1;
  const r = await db
    .prepare("SELECT COUNT(*) AS n FROM (SELECT 1 FROM orders WHERE tenant_id = ?1 AND created_at >= ?2 AND created_at < ?3 LIMIT ?4)")
    .bind(tenant, from, to, limit)
    .all<{ n: number }>();
  return { orders: r.results[0]?.n ?? 0, rows_read: r.meta.rows_read };
}

/** Every rules version the tenant ever had: the rules in force when each receipt arrived. */
export async function rulesVersions(db: D1Database, tenant: string): Promise<{ versions: Map<number, RulesInput>; latest: number }> {
  const { results } = await db.prepare("SELECT version, rules FROM ownership_rules WHERE tenant_id = ? ORDER BY version").bind(tenant).all<{ version: number; rules: string }>();
  const versions = new Map(results.map((r) => [r.version, { version: r.version, rules: StoredOwnershipRules.parse(JSON.parse(r.rules)) }]));
  return { versions, latest: results.at(-1)?.version ?? 0 };
}
