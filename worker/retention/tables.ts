import { CHECKPOINT_CHAIN } from "../../domain/retention/archive";
import type { RetainedTable } from "../../domain/retention/policy";

/**
 * How the retention job reads and deletes each table's rows of one UTC day.
 * Table and column names here are constants, never input; every value is bound.
 */
export interface TableSpec {
  table: RetainedTable;
  /** What the day's rows are read and counted from: the table, or (audit_log) the view over both audit tables. */
  read: string;
  /** Where they are deleted from. */
  stored: readonly string[];
  /** The timestamp that dates a row (toISOString text, so its first 10 characters are the UTC day). */
  time: string;
  /** Further conditions on which rows the policy covers. */
  where: string;
  /** Total order for keyset paging: the primary key after the tenant. */
  key: readonly string[];
  /** Rows per archive part: keeps one part's NDJSON well inside a Worker's memory. */
  partRows: number;
}

export const TABLE_SPECS: Record<RetainedTable, TableSpec> = {
  // Bodies up to 1 MiB (base64): 16 rows are at most ~22 MB of text.
  rejections: { table: "rejections", read: "rejections", stored: ["rejections"], time: "received_at", where: "", key: ["id"], partRows: 16 },
  // The tenant's own retention chain is the record of deletions and is never archived away.
  // Order entries since migration 0023 are audit_blocks rows; every entry of one shares its `at`, so a
  // row lies in one UTC day, and the archive holds the view's rows: audit_log's columns, one line per entry.
  audit_log: { table: "audit_log", read: "audit_entries", stored: ["audit_log", "audit_blocks"], time: "at", where: `AND order_id <> '${CHECKPOINT_CHAIN}'`, key: ["order_id", "seq"], partRows: 2000 },
  // Open and claimed tasks are work in progress: only finished ones expire.
  tasks: { table: "tasks", read: "tasks", stored: ["tasks"], time: "resolved_at", where: "AND status IN ('resolved', 'cancelled') AND resolved_at IS NOT NULL", key: ["task_id"], partRows: 1000 },
};

/** `tenant_id = ? AND <time> in [day, next day) AND <where>`: binds tenant, from, to. */
function inDay(s: TableSpec): string {
  return `tenant_id = ? AND ${s.time} >= ? AND ${s.time} < ? ${s.where}`;
}

/** `(k1, k2) > (?, ?)` spelled out for SQLite. */
function after(keys: readonly string[]): string {
  const [first, ...rest] = keys;
  if (first === undefined) return "1";
  return rest.length === 0 ? `${first} > ?` : `(${first} > ? OR (${first} = ? AND ${after(rest)}))`;
}

/** Binds for `after(keys)`: each key value once per place it appears. */
export function afterBinds(cursor: readonly unknown[]): unknown[] {
  const [first, ...rest] = cursor;
  return rest.length === 0 ? [first] : [first, first, ...afterBinds(rest)];
}

export function pageSql(s: TableSpec, resume: boolean): string {
  return `SELECT * FROM ${s.read} WHERE ${inDay(s)} ${resume ? `AND ${after(s.key)}` : ""} ORDER BY ${s.key.join(", ")} LIMIT ?`;
}

export function countSql(s: TableSpec): string {
  return `SELECT count(*) FROM ${s.read} WHERE ${inDay(s)}`;
}

/** The oldest UTC day before `before` with rows the policy covers and no finished checkpoint. Binds tenant, before, tenant. */
export function oldestDaySql(s: TableSpec): string {
  return `SELECT substr(min(${s.time}), 1, 10) AS day FROM ${s.read}
    WHERE tenant_id = ? AND ${s.time} < ? ${s.where}
      AND substr(${s.time}, 1, 10) NOT IN (SELECT day FROM retention_checkpoints WHERE tenant_id = ? AND tbl = '${s.table}' AND status = 'done')`;
}

/** Only under the day's open checkpoint: the guard the audit tables' triggers also enforce. Each binds tenant, from, to, tenant, day. */
export function deleteSql(s: TableSpec): string[] {
  return s.stored.map((table) => `DELETE FROM ${table} WHERE ${inDay(s)} AND ${OPEN_CHECKPOINT(s)}`);
}

export const OPEN_CHECKPOINT = (s: TableSpec): string =>
  `EXISTS (SELECT 1 FROM retention_checkpoints WHERE tenant_id = ? AND tbl = '${s.table}' AND day = ? AND status = 'deleting')`;
