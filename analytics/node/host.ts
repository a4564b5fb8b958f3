import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { parseNotebook, type Notebook } from "../engine/notebook";
import { runNotebook, type CellRun, type ExportFiles, type NotebookRun } from "../engine/run";
import { TABLE_NAMES, type TableName } from "../engine/schema";
import { WasmDatabase } from "./wasm";

/** The Node host: notebooks from analytics/notebooks/, exports from a folder, duckdb-wasm's Node build. */

export const NOTEBOOKS_DIR = path.resolve(import.meta.dirname, "..", "notebooks");

export function notebookNames(dir = NOTEBOOKS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".md") && f !== "README.md")
    .map((f) => f.slice(0, -3))
    .sort();
}

/** A notebook by name (analytics/notebooks/<name>.md, SQL files in <name>/) or by path to its .md. */
export function loadNotebook(nameOrPath: string, dir = NOTEBOOKS_DIR): Notebook {
  const file = nameOrPath.endsWith(".md") ? path.resolve(nameOrPath) : path.join(dir, `${nameOrPath}.md`);
  if (!existsSync(file)) {
    const known = notebookNames(dir).join(", ");
    throw new Error(`no notebook '${nameOrPath}' (looked for ${file}); known: ${known}`);
  }
  const name = path.basename(file, ".md");
  const folder = path.join(path.dirname(file), name);
  return parseNotebook(name, readFileSync(file, "utf8"), (rel) => readFileSync(path.join(folder, rel), "utf8"));
}

export function exportFiles(inputDir: string): ExportFiles {
  const files = {} as ExportFiles;
  const missing: string[] = [];
  for (const t of TABLE_NAMES) {
    const f = path.resolve(inputDir, `${t}.csv`);
    if (!existsSync(f)) missing.push(`${t}.csv`);
    files[t] = f;
  }
  if (missing.length > 0) throw new Error(`${inputDir} lacks ${missing.join(", ")} (write them with \`npm run export\`)`);
  return files;
}

export interface NodeRunOptions {
  onLoading?: (table: TableName, bytes: number) => void;
  onLoaded?: (counts: Record<TableName, number>, ms: number) => void;
  onCell?: (run: CellRun) => void;
}

export interface NodeRun {
  run: NotebookRun;
  html: string;
  engine: string;
}

/** Loads the exports in `inputDir`, runs the notebook and renders the self-contained report. */
export async function runNodeNotebook(nb: Notebook, inputDir: string, opts: NodeRunOptions = {}): Promise<NodeRun> {
  const paths = exportFiles(inputDir);
  // Plot and linkedom load while the wasm compiles (on V8's background threads): a second less to wait.
  const rendering = import("./render");
  rendering.catch(() => undefined);
  const db = await WasmDatabase.open();
  try {
    const names = {} as ExportFiles;
    for (const t of TABLE_NAMES) {
      names[t] = `${t}.csv`;
      db.registerFile(names[t], paths[t]);
      opts.onLoading?.(t, statSync(paths[t]).size);
    }
    const run = await runNotebook(db, nb, names, { onLoaded: opts.onLoaded, onCell: opts.onCell });
    const engine = `duckdb-wasm ${db.version()} (Node)`;
    const { renderNodeReport } = await rendering;
    const html = renderNodeReport(run, { input: inputDir, generatedAt: new Date().toISOString(), engine });
    return { run, html, engine };
  } finally {
    db.close();
  }
}
