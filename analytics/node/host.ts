import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import path from "node:path";
import type { Notebook } from "../engine/notebook";
import { notebookTables, runNotebook, type CellRun, type ExportFiles, type LoadCounts, type NotebookRun } from "../engine/run";
import { CORE_TABLES, parseHeaderLine, type TableName } from "../engine/schema";
import { WasmDatabase } from "./wasm";

/** The Node host: notebooks from analytics/notebooks/, exports from a folder, duckdb-wasm's Node build. */

export { loadNotebook, NOTEBOOKS_DIR, notebookNames } from "./notebooks";

/** `<table>.csv` in `inputDir` for each table asked (default: the core three); all must exist. */
export function exportFiles(inputDir: string, tables: readonly TableName[] = CORE_TABLES): ExportFiles {
  const files: Partial<Record<TableName, string>> = {};
  const missing: string[] = [];
  for (const t of tables) {
    const f = path.resolve(inputDir, `${t}.csv`);
    if (!existsSync(f)) missing.push(`${t}.csv`);
    files[t] = f;
  }
  if (missing.length > 0) throw new Error(`${inputDir} lacks ${missing.join(", ")} (write them with \`npm run export\`)`);
  const { events, orders, tasks } = files;
  if (events === undefined || orders === undefined || tasks === undefined) throw new Error("the events, orders and tasks exports are always read");
  return { ...files, events, orders, tasks };
}

/** The names in a CSV file's first line (read from its first 64 KiB, not the whole file). */
export function readCsvHeader(file: string): string[] {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.subarray(0, n).toString("utf8");
    const end = text.indexOf("\n");
    return parseHeaderLine(end === -1 ? text : text.slice(0, end));
  } finally {
    closeSync(fd);
  }
}

export interface NodeRunOptions {
  onLoading?: (table: TableName, bytes: number) => void;
  onLoaded?: (counts: LoadCounts, ms: number) => void;
  onCell?: (run: CellRun) => void;
}

export interface NodeRun {
  run: NotebookRun;
  html: string;
  engine: string;
}

/** Loads the exports in `inputDir`, runs the notebook and renders the self-contained report. */
export async function runNodeNotebook(nb: Notebook, inputDir: string, opts: NodeRunOptions = {}): Promise<NodeRun> {
  const tables = notebookTables(nb);
  const paths = exportFiles(inputDir, tables);
  // Plot and linkedom load while the wasm compiles (on V8's background threads): a second less to wait.
  const rendering = import("./render");
  rendering.catch(() => undefined);
  const db = await WasmDatabase.open();
  try {
    const names: ExportFiles = { events: "events.csv", orders: "orders.csv", tasks: "tasks.csv" };
    const headers: Partial<Record<TableName, string[]>> = {};
    for (const t of tables) {
      const file = paths[t];
      if (file === undefined) continue;
      names[t] = `${t}.csv`;
      db.registerFile(`${t}.csv`, file);
      opts.onLoading?.(t, statSync(file).size);
      headers[t] = readCsvHeader(file);
    }
    const run = await runNotebook(db, nb, names, { headers, onLoaded: opts.onLoaded, onCell: opts.onCell });
    const engine = `duckdb-wasm ${db.version()} (Node)`;
    const { renderNodeReport } = await rendering;
    const html = renderNodeReport(run, { input: inputDir, generatedAt: new Date().toISOString(), engine });
    return { run, html, engine };
  } finally {
    db.close();
  }
}
