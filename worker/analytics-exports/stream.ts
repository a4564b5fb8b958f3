import { NOTIFY_CHAIN, NOTIFY_CHAIN_END } from "../../domain/notify/trail";
import { CHECKPOINT_CHAIN } from "../../domain/retention/archive";
import type { OnsetFacts } from "../../domain/tasks/onset";
import type { AdminRow, EventRow, ExportName, InventoryRow, NotificationRow, OrderRow, TaskRow } from "./rows";
import {
  adminRow,
  type AdminDbRow,
  type AnyRow,
  inventoryRow,
  type InventoryDbRow,
  csvHeader,
  encodeRows,
  eventRow,
  notificationRow,
  orderRow,
  taskRow,
  type AuditDbRow,
  type ExportFormat,
  type NotificationDbRow,
  type OrderDbRow,
  type TaskExportDbRow,
} from "./format";

/**
 * Streams an export straight out of D1 with keyset pagination: each page is
 * one bounded query that resumes strictly after the last row sent, so memory
 * holds one page whatever the month's size, and no page costs more than the
 * ones before it (OFFSET would rescan everything already sent).
 *
 * Ordering keys are total (they end in the primary key), so a row is never
 * sent twice nor skipped between pages. Rows committed while an export runs are
 * included if they sort after the cursor and missed if before; a closed window
 * (last month) does not move, so its export is exact.
 */

export const DEFAULT_PAGE_SIZE = 500;
export const MAX_PAGE_SIZE = 5000;

export interface ExportWindow {
  tenant: string;
  /** Inclusive lower bound, UTC ISO (toISOString form); null = from the beginning. */
  from: string | null;
  /** Exclusive upper bound; null = no bound. */
  to: string | null;
  pageSize: number;
}

// Every stored timestamp is a toISOString() string, so string order is time
// order and these sentinels bound all of them without a second query shape.
const LOWEST = "";
const HIGHEST = "\u{10FFFF}";

/** One export's queries: how to read the page after a cursor, and what the next cursor is. */
interface Source<Db, Cursor, Row> {
  /** The window's size, for the completeness check clients make. */
  count: string;
  page(after: Cursor | null): { sql: string; binds: unknown[] };
  key(r: Db): Cursor;
  map(r: Db): Row;
}

interface Pages {
  /** Rows in the window, read in the same transaction as the first page. */
  total: number;
  rows: AnyRow[];
  done: boolean;
  next(): Promise<{ rows: AnyRow[]; done: boolean }>;
}

async function open<Db, Cursor, Row extends AnyRow>(d1: D1Database, w: ExportWindow, s: Source<Db, Cursor, Row>): Promise<Pages> {
  let after: Cursor | null = null;
  const stmt = (c: Cursor | null): D1PreparedStatement => {
    const q = s.page(c);
    return d1.prepare(q.sql).bind(...q.binds);
  };
  // A full page means there may be more; a short one is the end.
  const take = (results: Db[]): { rows: Row[]; done: boolean } => {
    const last = results.at(-1);
    if (last) after = s.key(last);
    return { rows: results.map((r) => s.map(r)), done: results.length < w.pageSize };
  };
  // One batch is one transaction: the count and the first page see the same rows.
  const [counted, first] = await d1.batch<unknown>([d1.prepare(s.count).bind(w.tenant, w.from ?? LOWEST, w.to ?? HIGHEST), stmt(null)]);
  const n = (counted?.results[0] as { n?: unknown } | undefined)?.n;
  const page = take((first?.results ?? []) as Db[]);
  return {
    total: typeof n === "number" ? n : 0,
    ...page,
    next: async () => take((await stmt(after).all<Db>()).results),
  };
}

interface EventCursor {
  at: string;
  order_id: string;
  seq: number;
}

// audit_log also holds chains that are not an order's, under ids no order can have: the retention
// job's checkpoints (not events) and the notifications (their own export) stay out; the watchers'
// decisions (`~watchers`) are events like an order's. audit_blocks holds order chains only.
const ORDERS_ONLY = (id: string) => `${id} <> '${CHECKPOINT_CHAIN}' AND NOT (${id} >= '${NOTIFY_CHAIN}' AND ${id} < '${NOTIFY_CHAIN_END}')`;
const NOTIFICATIONS_ONLY = (id: string) => `${id} >= '${NOTIFY_CHAIN}' AND ${id} < '${NOTIFY_CHAIN_END}'`;

/** An audit_blocks entry's columns, as the view audit_entries (migration 0024) spells them. */
const BLOCK_COLUMN: Record<string, string> = {
  order_id: "b.order_id",
  seq: "e.value ->> 0",
  at: "b.at",
  type: "e.value ->> 1",
  data: "e.value ->> 2",
  prev_hash: "e.value ->> 3",
  hash: "e.value ->> 4",
};

/**
 * A window of audit entries in (at, order_id, seq) order, from both tables as
 * one compound SELECT rather than through the view: SQLite then merges the two
 * arms, each an index range on (tenant_id, at) that stops at the LIMIT, and
 * sorts only entries sharing one `at`. (Through the view it would sort the
 * whole rest of the window for every page.) Binds: ?1 tenant, ?2 from (the
 * cursor's `at` after the first page), ?3 to, ?4 limit, ?5 and ?6 the cursor's
 * order_id and seq.
 */
function auditSql(columns: readonly string[], only: (id: string) => string): (after: boolean) => string {
  const arm = (col: (name: string) => string, from: string) => {
    const keyset = (after: boolean) => (after ? `AND (${col("at")} > ?2 OR (${col("at")} = ?2 AND (${col("order_id")} > ?5 OR (${col("order_id")} = ?5 AND ${col("seq")} > ?6))))` : "");
    return (after: boolean) =>
      `SELECT ${columns.map((c) => `${col(c)} AS ${c}`).join(", ")} FROM ${from}
    WHERE ${col("tenant_id")} = ?1 AND ${col("at")} >= ?2 AND ${col("at")} < ?3 AND ${only(col("order_id"))} ${keyset(after)}`;
  };
  const log = arm((c) => c, "audit_log");
  const blocks = arm((c) => (c === "tenant_id" ? "b.tenant_id" : (BLOCK_COLUMN[c] ?? c)), "audit_blocks b, json_each(b.entries) e");
  return (after) => `${log(after)}
    UNION ALL ${blocks(after)}
    ORDER BY at, order_id, seq LIMIT ?4`;
}

const eventsSql = auditSql(["order_id", "seq", "at", "type", "data"], ORDERS_ONLY);
const notificationsSql = auditSql(["order_id", "seq", "at", "type", "data", "prev_hash", "hash"], NOTIFICATIONS_ONLY);

/** A window of audit entries: the events export and the notifications export differ only in which chains and columns. */
function auditRows<Db extends AuditDbRow, Row extends AnyRow>(w: ExportWindow, only: (id: string) => string, sql: (after: boolean) => string, map: (tenant: string, r: Db) => Row): Source<Db, EventCursor, Row> {
  return {
    count: `SELECT (SELECT count(*) FROM audit_log WHERE tenant_id = ?1 AND at >= ?2 AND at < ?3 AND ${only("order_id")})
      + (SELECT coalesce(sum(json_array_length(entries)), 0) FROM audit_blocks b WHERE tenant_id = ?1 AND at >= ?2 AND at < ?3 AND ${only("b.order_id")}) AS n`,
    page: (c) => ({
      sql: sql(c !== null),
      binds: c ? [w.tenant, c.at, w.to ?? HIGHEST, w.pageSize, c.order_id, c.seq] : [w.tenant, w.from ?? LOWEST, w.to ?? HIGHEST, w.pageSize],
    }),
    key: (r) => ({ at: r.at, order_id: r.order_id, seq: r.seq }),
    map: (r) => map(w.tenant, r),
  };
}

interface OrderCursor {
  created_at: string;
  order_id: string;
}

/**
 * orders.created_at is NOT NULL (the drain falls back to the first receipt),
 * so the window needs no fallback to updated_at and the keyset stays an index range.
 * The page is materialised before the counts, so the per-order subqueries run
 * for the page's rows only, each an index lookup, never for the whole window.
 */
function ordersSql(after: boolean): string {
  const keyset = after ? "AND (created_at > ? OR (created_at = ? AND order_id > ?))" : "";
  return `WITH page AS MATERIALIZED (
        SELECT tenant_id, order_id, state, value_minor, currency, source, milestones, attribution,
               holds, conflicts, next_due_at, created_at, updated_at
        FROM orders WHERE tenant_id = ? AND created_at >= ? AND created_at < ? ${keyset}
        ORDER BY created_at, order_id LIMIT ?)
      SELECT p.*,
        (SELECT count(*) FROM sla_breaches b WHERE b.tenant_id = p.tenant_id AND b.order_id = p.order_id AND b.level = 0) AS n_breaches,
        (SELECT count(*) FROM sla_breaches b WHERE b.tenant_id = p.tenant_id AND b.order_id = p.order_id AND b.level = 0 AND b.resolved_at IS NULL) AS n_open_breaches,
        (SELECT count(*) FROM tasks t WHERE t.tenant_id = p.tenant_id AND t.order_id = p.order_id) AS n_tasks,
        (SELECT count(*) FROM tasks t WHERE t.tenant_id = p.tenant_id AND t.order_id = p.order_id AND t.status IN ('open', 'claimed')) AS n_open_tasks
      FROM page p ORDER BY p.created_at, p.order_id`;
}

function orders(w: ExportWindow): Source<OrderDbRow, OrderCursor, OrderRow> {
  return {
    count: "SELECT count(*) AS n FROM orders WHERE tenant_id = ? AND created_at >= ? AND created_at < ?",
    page: (c) => ({
      sql: ordersSql(c !== null),
      binds: c
        ? [w.tenant, c.created_at, w.to ?? HIGHEST, c.created_at, c.created_at, c.order_id, w.pageSize]
        : [w.tenant, w.from ?? LOWEST, w.to ?? HIGHEST, w.pageSize],
    }),
    key: (r) => ({ created_at: r.created_at, order_id: r.order_id }),
    map: (r) => orderRow(w.tenant, r),
  };
}

interface TaskCursor {
  opened_at: string;
  task_id: string;
}

/**
 * The same facts read from a D1 task row's JSON evidence, in SQL (one
 * expression per fact), so an export reads a few values and not the whole
 * evidence, which runs to tens of KB on an order's task.
 */
const ONSET_SQL = {
  last_verified_receipt_at: "json_extract(evidence, '$.last_verified_receipt_at')",
  source_configured_at: "json_extract(evidence, '$.source.configured_at')",
  stuck_since: "json_extract(evidence, '$.order.since')",
  stuck_sla_ms: "json_extract(evidence, '$.sla.ms')",
  breach_due_at: "(SELECT min(json_extract(b.value, '$.due_at')) FROM json_each(evidence, '$.breaches') b WHERE json_extract(b.value, '$.step') = tasks.step AND json_extract(b.value, '$.level') = 0)",
} as const satisfies Record<keyof OnsetFacts, string>;
const ONSET_COLUMNS = Object.entries(ONSET_SQL)
  .map(([name, expr]) => `${expr} AS ${name}`)
  .join(", ");

function tasksSql(after: boolean): string {
  const keyset = after ? "AND (opened_at > ? OR (opened_at = ? AND task_id > ?))" : "";
  return `SELECT task_id, order_id, rejection_id, type, status, owner, owning_party, level, value_minor, currency,
             opened_at, sla_due, claimed_at, claimed_by, resolved_at, resolved_by, action, ${ONSET_COLUMNS}
      FROM tasks WHERE tenant_id = ? AND opened_at >= ? AND opened_at < ? ${keyset}
      ORDER BY opened_at, task_id LIMIT ?`;
}

function tasks(w: ExportWindow): Source<TaskExportDbRow, TaskCursor, TaskRow> {
  return {
    count: "SELECT count(*) AS n FROM tasks WHERE tenant_id = ? AND opened_at >= ? AND opened_at < ?",
    page: (c) => ({
      sql: tasksSql(c !== null),
      binds: c
        ? [w.tenant, c.opened_at, w.to ?? HIGHEST, c.opened_at, c.opened_at, c.task_id, w.pageSize]
        : [w.tenant, w.from ?? LOWEST, w.to ?? HIGHEST, w.pageSize],
    }),
    key: (r) => ({ opened_at: r.opened_at, task_id: r.task_id }),
    map: (r) => taskRow(w.tenant, r),
  };
}

interface AdminCursor {
  at: string;
  seq: number;
}

function adminSql(after: boolean): string {
  const keyset = after ? "AND (at > ? OR (at = ? AND seq > ?))" : "";
  return `SELECT seq, at, type, actor, data, hash FROM admin_audit
      WHERE tenant_id = ? AND at >= ? AND at < ? ${keyset}
      ORDER BY at, seq LIMIT ?`;
}

/** The admin audit (issue 15): who changed rules, sources and keys, beside the order trail. */
function admin(w: ExportWindow): Source<AdminDbRow, AdminCursor, AdminRow> {
  return {
    count: "SELECT count(*) AS n FROM admin_audit WHERE tenant_id = ? AND at >= ? AND at < ?",
    page: (c) => ({
      sql: adminSql(c !== null),
      binds: c ? [w.tenant, c.at, w.to ?? HIGHEST, c.at, c.at, c.seq, w.pageSize] : [w.tenant, w.from ?? LOWEST, w.to ?? HIGHEST, w.pageSize],
    }),
    key: (r) => ({ at: r.at, seq: r.seq }),
    map: (r) => adminRow(w.tenant, r),
  };
}

interface InventoryCursor {
  at: string;
  sku: string;
  snapshot_id: string;
}

function inventorySql(after: boolean): string {
  const keyset = after ? "AND (at > ? OR (at = ? AND (sku > ? OR (sku = ? AND snapshot_id > ?))))" : "";
  return `SELECT sku, snapshot_id, location, at, expected, reported, drift, recorded_at FROM inventory_drift
      WHERE tenant_id = ? AND at >= ? AND at < ? ${keyset}
      ORDER BY at, sku, snapshot_id LIMIT ?`;
}

/** Drift per SKU (issue 17): each WMS snapshot against the level the engine had computed. */
function inventory(w: ExportWindow): Source<InventoryDbRow, InventoryCursor, InventoryRow> {
  return {
    count: "SELECT count(*) AS n FROM inventory_drift WHERE tenant_id = ? AND at >= ? AND at < ?",
    page: (c) => ({
      sql: inventorySql(c !== null),
      binds: c
        ? [w.tenant, c.at, w.to ?? HIGHEST, c.at, c.at, c.sku, c.sku, c.snapshot_id, w.pageSize]
        : [w.tenant, w.from ?? LOWEST, w.to ?? HIGHEST, w.pageSize],
    }),
    key: (r) => ({ at: r.at, sku: r.sku, snapshot_id: r.snapshot_id }),
    map: (r) => inventoryRow(w.tenant, r),
  };
}

/** The page queries (first page, and every later one), for tests that read their query plans. */
export const PAGE_SQL: Record<ExportName, (after: boolean) => string> = { events: eventsSql, orders: ordersSql, tasks: tasksSql, admin: adminSql, inventory: inventorySql, notifications: notificationsSql };

function openPages(d1: D1Database, name: ExportName, w: ExportWindow): Promise<Pages> {
  switch (name) {
    case "events":
      return open(d1, w, auditRows<AuditDbRow, EventRow>(w, ORDERS_ONLY, eventsSql, eventRow));
    case "notifications":
      return open(d1, w, auditRows<NotificationDbRow, NotificationRow>(w, NOTIFICATIONS_ONLY, notificationsSql, notificationRow));
    case "orders":
      return open(d1, w, orders(w));
    case "tasks":
      return open(d1, w, tasks(w));
    case "admin":
      return open(d1, w, admin(w));
    case "inventory":
      return open(d1, w, inventory(w));
  }
}

export interface Export {
  body: ReadableStream<Uint8Array>;
  /**
   * Rows in the window when the export began. The body holds at least these
   * (more if rows arrived during the export), so a client that received fewer
   * knows the body was cut short even when it ended on a clean line.
   */
  rows: number;
}

/**
 * The export as a byte stream. The first page is read before this resolves, so
 * a D1 failure up front is an ordinary error response; a failure later errors
 * the stream, which the client sees as a truncated body.
 * Each pull reads and encodes one page: with the default high-water mark of
 * one chunk, a slow reader stops the paging instead of piling pages up.
 */
export async function exportStream(d1: D1Database, name: ExportName, format: ExportFormat, w: ExportWindow, only: readonly string[] | null = null): Promise<Export> {
  const pages = await openPages(d1, name, w);
  const encoder = new TextEncoder();
  let done = pages.done;
  let pending: string | null = (format === "csv" ? csvHeader(name, only) : "") + encodeRows(pages.rows, format, only);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk = pending;
      pending = null;
      if (chunk === null) {
        const page = await pages.next();
        done = page.done;
        chunk = encodeRows(page.rows, format, only);
      }
      if (chunk.length > 0) controller.enqueue(encoder.encode(chunk));
      if (done) controller.close();
    },
  });
  return { body, rows: pages.total };
}
