/**
 * The export tables as DuckDB sees them. The column contract is
 * worker/analytics-exports/rows.ts; this mirror exists so the engine (which also runs in
 * the browser) needs neither zod nor the Worker's code, and a unit test keeps
 * the two identical, name for name and in order.
 */

export type SqlType = "VARCHAR" | "INTEGER" | "BIGINT" | "TIMESTAMP";
export type TableName = "events" | "orders" | "tasks" | "inventory";
export const TABLE_NAMES: readonly TableName[] = ["events", "orders", "tasks", "inventory"];
/** Loaded for every notebook, as they always were; the others only for a notebook whose SQL names them. */
export type CoreTable = "events" | "orders" | "tasks";
export const CORE_TABLES: readonly CoreTable[] = ["events", "orders", "tasks"];

/** The tables a notebook loads: the core three, and any other it names (`names`: `mentionedNames(nb)`). */
export function tablesFor(names: ReadonlySet<string>): TableName[] {
  return TABLE_NAMES.filter((t) => (CORE_TABLES as readonly string[]).includes(t) || names.has(t));
}

type Columns = readonly (readonly [string, SqlType])[];

const EVENTS: Columns = [
  ["tenant_id", "VARCHAR"],
  ["order_id", "VARCHAR"],
  ["seq", "INTEGER"],
  ["at", "TIMESTAMP"],
  ["type", "VARCHAR"],
  ["event_type", "VARCHAR"],
  ["event_id", "VARCHAR"],
  ["source", "VARCHAR"],
  ["occurred_at", "TIMESTAMP"],
  ["state_from", "VARCHAR"],
  ["state_to", "VARCHAR"],
  ["receipt_id", "VARCHAR"],
  ["export_id", "VARCHAR"],
  ["step", "VARCHAR"],
  ["level", "INTEGER"],
  ["contact", "VARCHAR"],
  ["owner", "VARCHAR"],
  ["owning_party", "VARCHAR"],
  ["status", "INTEGER"],
  ["error_class", "VARCHAR"],
  ["outcome", "VARCHAR"],
  ["kind", "VARCHAR"],
  ["ack_via", "VARCHAR"],
  ["lag_ms", "BIGINT"],
  ["data", "VARCHAR"],
];

const ORDERS: Columns = [
  ["tenant_id", "VARCHAR"],
  ["order_id", "VARCHAR"],
  ["source", "VARCHAR"],
  ["state", "VARCHAR"],
  ["value_minor", "BIGINT"],
  ["currency", "VARCHAR"],
  ["utm_source", "VARCHAR"],
  ["utm_medium", "VARCHAR"],
  ["utm_campaign", "VARCHAR"],
  ["channel", "VARCHAR"],
  ["created_at", "TIMESTAMP"],
  ["authorized_at", "TIMESTAMP"],
  ["captured_at", "TIMESTAMP"],
  ["payment_failed_at", "TIMESTAMP"],
  ["routed_at", "TIMESTAMP"],
  ["accepted_at", "TIMESTAMP"],
  ["backordered_at", "TIMESTAMP"],
  ["rejected_at", "TIMESTAMP"],
  ["shipped_at", "TIMESTAMP"],
  ["delivered_at", "TIMESTAMP"],
  ["cancelled_at", "TIMESTAMP"],
  ["refunded_at", "TIMESTAMP"],
  ["holds", "INTEGER"],
  ["conflicts", "INTEGER"],
  ["breaches", "INTEGER"],
  ["open_breaches", "INTEGER"],
  ["tasks", "INTEGER"],
  ["open_tasks", "INTEGER"],
  ["next_due_at", "TIMESTAMP"],
  ["updated_at", "TIMESTAMP"],
];

const TASKS: Columns = [
  ["tenant_id", "VARCHAR"],
  ["task_id", "VARCHAR"],
  ["order_id", "VARCHAR"],
  ["rejection_id", "VARCHAR"],
  ["type", "VARCHAR"],
  ["status", "VARCHAR"],
  ["owner", "VARCHAR"],
  ["owning_party", "VARCHAR"],
  ["level", "INTEGER"],
  ["value_minor", "BIGINT"],
  ["currency", "VARCHAR"],
  ["opened_at", "TIMESTAMP"],
  ["sla_due", "TIMESTAMP"],
  ["claimed_at", "TIMESTAMP"],
  ["claimed_by", "VARCHAR"],
  ["resolved_at", "TIMESTAMP"],
  ["resolved_by", "VARCHAR"],
  ["action", "VARCHAR"],
  ["first_response_ms", "BIGINT"],
  ["resolve_ms", "BIGINT"],
  ["onset_at", "TIMESTAMP"],
  ["detect_ms", "BIGINT"],
];

/** The inventory drift export: one row per WMS snapshot, what it counted against what the engine had computed. */
const INVENTORY: Columns = [
  ["tenant_id", "VARCHAR"],
  ["sku", "VARCHAR"],
  ["location", "VARCHAR"],
  ["snapshot_id", "VARCHAR"],
  ["at", "TIMESTAMP"],
  ["expected", "BIGINT"],
  ["reported", "BIGINT"],
  ["drift", "BIGINT"],
  ["abs_drift", "BIGINT"],
  ["recorded_at", "TIMESTAMP"],
];

export const TABLE_COLUMNS: Record<TableName, Columns> = { events: EVENTS, orders: ORDERS, tasks: TASKS, inventory: INVENTORY };

/**
 * Never loaded unless asked: `events.data` is the raw audit JSON the other
 * columns were flattened from, and DuckDB-wasm has no JSON extension to look
 * inside it. It stays in the export for people and tools that want the evidence.
 */
export const RAW_COLUMNS: Partial<Record<TableName, readonly string[]>> = { events: ["data"] };

/** The header line an export of `table` starts with (how the browser recognises a picked file). */
export function csvHeader(table: TableName): string {
  return TABLE_COLUMNS[table].map(([name]) => name).join(",");
}

function quoteString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

export interface LoadOptions {
  /** Keep every column, the raw JSON included (slower, and a month may not fit in wasm memory). */
  allColumns?: boolean;
  /**
   * Load only these columns (names a notebook mentions; see `mentionedNames`).
   * A table's first column is always kept, so every table exists and counts its rows.
   */
  only?: ReadonlySet<string>;
  /**
   * The header row of each file, when the host read it. An export may carry
   * only some columns (`?columns=`, `npm run export -- --notebook NAME`); the
   * load then declares just those, and refuses a file that lacks one it needs.
   */
  headers?: Partial<Record<TableName, readonly string[]>>;
}

/** The column names of a CSV header line (export headers are plain names, never quoted). */
export function parseHeaderLine(line: string): string[] {
  return line.replace(/^\uFEFF/, "").replace(/[\r\n]+$/, "").split(",").map((c) => c.replace(/^"(.*)"$/, "$1"));
}

/** Which export a header belongs to: the table every one of its names is a column of (preferring `hint` when several fit). */
export function tableOfHeader(names: readonly string[], hint?: TableName): TableName | null {
  const fits = TABLE_NAMES.filter((t) => {
    const cols = new Set(TABLE_COLUMNS[t].map(([n]) => n));
    return names.length > 0 && names.every((n) => cols.has(n)) && new Set(names).size === names.length;
  });
  const exact = fits.find((t) => names.join(",") === csvHeader(t));
  if (exact) return exact;
  if (hint && fits.includes(hint)) return hint;
  return fits.length === 1 ? (fits[0] ?? null) : null;
}

export function loadedColumns(table: TableName, opts: LoadOptions = {}): string[] {
  const all = TABLE_COLUMNS[table].map(([name]) => name);
  if (opts.allColumns) return all;
  const raw = RAW_COLUMNS[table] ?? [];
  return all.filter((name, i) => !raw.includes(name) && (opts.only === undefined || i === 0 || opts.only.has(name)));
}

/**
 * `CREATE TABLE <table>` from an export CSV at `file` (a name the host made
 * readable to DuckDB). Every column is declared so the file parses whatever is
 * kept; types are given, never sniffed: a month where a column happens to be
 * all empty must still load as the same type. `allow_quoted_nulls = false`
 * because the export writes null as an empty field and "" as a quoted empty
 * field (worker/analytics-exports/format.ts).
 */
export function loadCsvSql(table: TableName, file: string, opts: LoadOptions = {}): string {
  const header = opts.headers?.[table];
  let declared: Columns = TABLE_COLUMNS[table];
  let wanted = loadedColumns(table, opts);
  if (header !== undefined) {
    const typeOf = new Map(TABLE_COLUMNS[table]);
    if (header.length === 0 || header.every((n) => n === "")) throw new Error(`${table}.csv has no header row: is it an export?`);
    const unknown = header.filter((n) => !typeOf.has(n));
    if (unknown.length > 0) throw new Error(`${table}.csv has column(s) no ${table} export has: ${unknown.map((n) => JSON.stringify(n)).join(", ")}`);
    declared = header.map((n) => [n, typeOf.get(n) ?? "VARCHAR"] as const);
    // loadedColumns keeps the first column only so the table exists; any column of the file does that.
    const first = TABLE_COLUMNS[table][0]?.[0];
    const needed = wanted.filter((n) => n !== first || opts.only === undefined || opts.only.has(n));
    const missing = needed.filter((n) => !header.includes(n));
    if (missing.length > 0) {
      const fix = opts.allColumns ? "export every column" : "export every column, or with --notebook <this notebook>";
      throw new Error(`${table}.csv lacks column(s) ${opts.allColumns ? "asked for" : "this notebook reads"}: ${missing.join(", ")} (${fix})`);
    }
    wanted = wanted.filter((n) => header.includes(n));
    if (wanted.length === 0 && header[0] !== undefined) wanted = [header[0]];
  }
  const types = declared.map(([name, type]) => `${quoteString(name)}: '${type}'`).join(", ");
  const select = wanted.map((c) => `"${c}"`).join(", ");
  return (
    `CREATE OR REPLACE TABLE ${table} AS SELECT ${select} FROM read_csv(${quoteString(file)}, ` +
    `header = true, delim = ',', quote = '"', escape = '"', allow_quoted_nulls = false, ` +
    `auto_detect = false, columns = {${types}})`
  );
}
