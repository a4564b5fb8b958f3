import { cells, type Notebook, type NotebookCell } from "./notebook";
import { loadCsvSql, tablesFor, type CoreTable, type LoadOptions, type TableName } from "./schema";

/**
 * Running a notebook, whatever DuckDB runs it: duckdb-wasm in Node, in a
 * browser worker, or native DuckDB in the benchmark. Hosts adapt their
 * client to `Database`; everything else is shared.
 */

export type Value = string | number | boolean | null;
/** How a value is shown: timestamps arrive as ISO-8601 strings. */
export type ColumnKind = "number" | "text" | "timestamp" | "boolean";

export interface Column {
  name: string;
  kind: ColumnKind;
}

export interface QueryResult {
  columns: Column[];
  rows: Value[][];
}

export interface Database {
  /** Runs one statement and returns its result (an empty one for DDL). */
  query(sql: string): Promise<QueryResult>;
}

export interface CellRun {
  cell: NotebookCell;
  result: QueryResult | null;
  error: string | null;
  ms: number;
}

export interface NotebookRun {
  notebook: Notebook;
  cells: CellRun[];
  /** Rows per loaded table, when the run loaded them. */
  loaded: Partial<LoadCounts>;
  loadMs: number;
  runMs: number;
}

/**
 * Splits a script into statements at top-level semicolons (not inside quotes
 * or comments). Clients differ in what a multi-statement string returns, so
 * the engine sends them one by one.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = "";
  let i = 0;
  while (i < sql.length) {
    const c = sql.charAt(i);
    const next = sql.charAt(i + 1);
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      const stop = end === -1 ? sql.length : end;
      cur += sql.slice(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = sql.indexOf("*/", i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      cur += sql.slice(i, stop);
      i = stop;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql.charAt(j) === c) {
          if (sql.charAt(j + 1) === c) j += 2;
          else break;
        } else j++;
      }
      cur += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === ";") {
      out.push(cur);
      cur = "";
      i++;
    } else {
      cur += c;
      i++;
    }
  }
  out.push(cur);
  // A fragment of only comments and whitespace is not a statement.
  return out.map((s) => s.trim()).filter((s) => s.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, "").trim() !== "");
}

export async function runScript(db: Database, sql: string): Promise<QueryResult> {
  let last: QueryResult = { columns: [], rows: [] };
  for (const stmt of splitStatements(sql)) last = await db.query(stmt);
  return last;
}

/** The core three exports always; another (inventory) when the notebook reads it. */
export type ExportFiles = Record<CoreTable, string> & Partial<Record<TableName, string>>;
export type LoadCounts = Record<CoreTable, number> & Partial<Record<TableName, number>>;

/** The tables a notebook loads (the core three, and any other its SQL names). */
export function notebookTables(nb: Notebook): TableName[] {
  return tablesFor(mentionedNames(nb));
}

/** Loads the exports from names the host registered with DuckDB: the core three, and every other file given. */
export async function loadExports(db: Database, files: ExportFiles, opts: LoadOptions = {}): Promise<LoadCounts> {
  const counts: LoadCounts = { events: 0, orders: 0, tasks: 0 };
  for (const [table, file] of Object.entries(files) as [TableName, string | undefined][]) {
    if (file === undefined) continue;
    await db.query(loadCsvSql(table, file, opts));
    const r = await db.query(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(r.rows[0]?.[0] ?? 0);
  }
  return counts;
}

const now = (): number => (typeof performance === "undefined" ? Date.now() : performance.now());

/**
 * Runs every cell in order. A failing cell records its error and the run
 * goes on: later cells that do not depend on it still answer, and the report
 * shows exactly which question could not be.
 */
export async function runCells(db: Database, nb: Notebook, onCell?: (run: CellRun) => void): Promise<CellRun[]> {
  const runs: CellRun[] = [];
  for (const cell of cells(nb)) {
    const t0 = now();
    let run: CellRun;
    try {
      const result = await runScript(db, cell.sql);
      run = { cell, result, error: null, ms: now() - t0 };
    } catch (err) {
      run = { cell, result: null, error: err instanceof Error ? err.message : String(err), ms: now() - t0 };
    }
    runs.push(run);
    onCell?.(run);
  }
  return runs;
}

export interface RunOptions extends LoadOptions {
  onLoaded?: (counts: LoadCounts, ms: number) => void;
  onCell?: (run: CellRun) => void;
}

/**
 * Every name the notebook's SQL mentions (outside comments). Loading only the
 * columns named here keeps a busy month inside wasm's memory; a column a cell
 * needs but never names fails loudly as an unknown column, never silently.
 */
export function mentionedNames(nb: Notebook): Set<string> {
  const names = new Set<string>();
  for (const c of cells(nb)) {
    const code = c.sql.replace(/--[^\n]*/g, " ").replace(/\/\*[\s\S]*?\*\//g, " ").toLowerCase();
    for (const m of code.matchAll(/[a-z_][a-z0-9_]*/g)) names.add(m[0]);
  }
  return names;
}

/** Load the exports (the columns the notebook names), then run the notebook: the whole review. */
export async function runNotebook(db: Database, nb: Notebook, files: ExportFiles, opts: RunOptions = {}): Promise<NotebookRun> {
  const missing = notebookTables(nb).filter((t) => files[t] === undefined);
  if (missing.length > 0) throw new Error(`${nb.name} reads ${missing.map((t) => `${t}.csv`).join(", ")}: give ${missing.length === 1 ? "that export" : "those exports"} too`);
  const t0 = now();
  const loaded = await loadExports(db, files, opts.allColumns ? opts : { ...opts, only: opts.only ?? mentionedNames(nb) });
  const loadMs = now() - t0;
  opts.onLoaded?.(loaded, loadMs);
  const t1 = now();
  const runs = await runCells(db, nb, opts.onCell);
  return { notebook: nb, cells: runs, loaded, loadMs, runMs: now() - t1 };
}

/** A result as plain objects keyed by column name (tests, charts). */
export function toObjects(r: QueryResult): Record<string, Value>[] {
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i] ?? null])));
}
