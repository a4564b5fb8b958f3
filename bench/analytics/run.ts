import { spawnSync } from "node:child_process";
import { notebookColumns } from "../../cli/export";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadExports, mentionedNames, runCells, type CellRun, type Database, type ExportFiles } from "../../analytics/engine/run";
import { CORE_TABLES } from "../../analytics/engine/schema";
import { writeScenario } from "../../analytics/generate";
import { loadNotebook } from "../../analytics/node/host";
import { renderNodeReport } from "../../analytics/node/render";
import { WasmDatabase } from "../../analytics/node/wasm";
import { compareLoadMethods, median, type MethodResult } from "./load-methods";
import { NativeDatabase } from "./native";
import { writeResults, type EngineRuns, type MonthResult } from "./report";

/**
 * `npm run bench:analytics`: one generated month, the monthly review run N
 * times on duckdb-wasm (Node build, the engine the CLI and the page use) and N
 * times on native DuckDB (@duckdb/node-api), same files, same SQL, same
 * engine code; medians, the wasm/native ratio, and the load-method comparison.
 * Not a test: it prints and writes bench/results/analytics.{json,md}.
 */

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const log = (s: string): void => void process.stderr.write(`${s}\n`);

interface Phase {
  open: number;
  load: number;
  cells: number;
  render: number;
}

async function once(open: () => Promise<Database & { close(): void }>, files: ExportFiles, render: boolean): Promise<{ t: Phase; cells: CellRun[] }> {
  const nb = loadNotebook("monthly-root-cause");
  const t0 = performance.now();
  const db = await open();
  const t1 = performance.now();
  try {
    const loaded = await loadExports(db, files, { only: mentionedNames(nb) });
    const t2 = performance.now();
    const cells = await runCells(db, nb);
    const t3 = performance.now();
    const failed = cells.find((c) => c.error !== null);
    if (failed) throw new Error(`cell ${failed.cell.name} failed: ${failed.error ?? ""}`);
    if (render) {
      renderNodeReport({ notebook: nb, cells, loaded, loadMs: t2 - t1, runMs: t3 - t2 }, { input: "bench", generatedAt: "", engine: "" });
    }
    return { t: { open: t1 - t0, load: t2 - t1, cells: t3 - t2, render: performance.now() - t3 }, cells };
  } finally {
    db.close();
  }
}

/** Both engines must answer the same numbers, or the timing compares different work. */
function sameAnswers(a: readonly CellRun[], b: readonly CellRun[]): string[] {
  const diffs: string[] = [];
  a.forEach((ca, i) => {
    const ra = ca.result;
    const rb = b[i]?.result;
    if (!ra || !rb) return;
    if (JSON.stringify(ra.columns) !== JSON.stringify(rb.columns) || ra.rows.length !== rb.rows.length) {
      diffs.push(`${ca.cell.name}: shape differs`);
      return;
    }
    ra.rows.forEach((row, r) =>
      row.forEach((v, c) => {
        const w = rb.rows[r]?.[c];
        const equal = typeof v === "number" && typeof w === "number" ? Math.abs(v - w) <= 1e-9 * Math.max(1, Math.abs(v)) : v === w;
        if (!equal) diffs.push(`${ca.cell.name} row ${r} col ${ra.columns[c]?.name}: ${String(v)} vs ${String(w)}`);
      }),
    );
  });
  return diffs;
}

function summarise(name: string, runs: Phase[]): EngineRuns {
  const pick = (f: (p: Phase) => number): number[] => runs.map((p) => Math.round(f(p)));
  const m = (f: (p: Phase) => number): number => Math.round(median(runs.map(f)));
  return {
    engine: name,
    runs: runs.length,
    open_ms: pick((p) => p.open),
    load_ms: pick((p) => p.load),
    cells_ms: pick((p) => p.cells),
    review_ms: pick((p) => p.load + p.cells),
    median: { open_ms: m((p) => p.open), load_ms: m((p) => p.load), cells_ms: m((p) => p.cells), render_ms: m((p) => p.render), review_ms: m((p) => p.load + p.cells), total_ms: m((p) => p.open + p.load + p.cells + p.render) },
  };
}

/** `npm run notebook` as a person runs it (minus npm's own start), from a cold process: the "whole review" number. */
function coldCli(dir: string): number {
  const out = path.join(dir, "review.html");
  const t0 = performance.now();
  const args = ["--import", "tsx", path.join(ROOT, "analytics", "cli.ts"), "monthly-root-cause", "--input", dir, "--out", out];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`notebook CLI failed: ${r.stderr}`);
  return performance.now() - t0;
}

async function benchMonth(dir: string, orders: number, opts: { runs: number; coldRuns: number; seed: number }): Promise<MonthResult> {
  log(`a month of ${orders.toLocaleString("en-US")} orders:`);
  const t0 = performance.now();
  const gen = writeScenario(dir, { orders, seed: opts.seed });
  const bytes = Object.fromEntries(CORE_TABLES.map((t) => [t, statSync(path.join(dir, `${t}.csv`)).size]));
  log(`  generated ${gen.rows.events.toLocaleString("en-US")} events (events.csv ${((bytes.events ?? 0) / 1_048_576).toFixed(0)} MB), ${gen.rows.orders.toLocaleString("en-US")} orders, ${gen.rows.tasks.toLocaleString("en-US")} tasks in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const paths = Object.fromEntries(CORE_TABLES.map((t) => [t, path.join(dir, `${t}.csv`)])) as ExportFiles;
  const wasmNames = Object.fromEntries(CORE_TABLES.map((t) => [t, `${t}.csv`])) as ExportFiles;
  const openWasm = async (): Promise<WasmDatabase> => {
    const db = await WasmDatabase.open();
    for (const t of CORE_TABLES) db.registerFile(wasmNames[t], paths[t]);
    return db;
  };
  const wasmRuns: Phase[] = [];
  const nativeRuns: Phase[] = [];
  const native1Runs: Phase[] = [];
  let wasmCells: CellRun[] = [];
  let nativeCells: CellRun[] = [];
  // Interleaved, so drift in the machine (page cache, other load) hits both engines alike.
  for (let i = 1; i <= opts.runs; i++) {
    const w = await once(openWasm, wasmNames, true);
    wasmRuns.push(w.t);
    wasmCells = w.cells;
    log(`  run ${i}/${opts.runs} duckdb-wasm: open ${Math.round(w.t.open)} ms, load ${Math.round(w.t.load)} ms, cells ${Math.round(w.t.cells)} ms, render ${Math.round(w.t.render)} ms`);
    const n = await once(() => NativeDatabase.open(), paths, false);
    nativeRuns.push(n.t);
    nativeCells = n.cells;
    log(`  run ${i}/${opts.runs} native:      open ${Math.round(n.t.open)} ms, load ${Math.round(n.t.load)} ms, cells ${Math.round(n.t.cells)} ms`);
    // Also on one thread, like duckdb-wasm: the engines compared without native's parallelism.
    const n1 = await once(() => NativeDatabase.open(1), paths, false);
    native1Runs.push(n1.t);
    log(`  run ${i}/${opts.runs} native (1 thread): open ${Math.round(n1.t.open)} ms, load ${Math.round(n1.t.load)} ms, cells ${Math.round(n1.t.cells)} ms`);
  }
  const diffs = sameAnswers(wasmCells, nativeCells);
  if (diffs.length > 0) throw new Error(`duckdb-wasm and native DuckDB disagree:\n${diffs.slice(0, 10).join("\n")}`);
  // The same month (same seed) as `npm run export -- --notebook monthly-root-cause` writes it.
  const leanDir = path.join(dir, "notebook-export");
  writeScenario(leanDir, { orders, seed: opts.seed, columns: notebookColumns("monthly-root-cause") });
  const leanBytes = Object.fromEntries(CORE_TABLES.map((t) => [t, statSync(path.join(leanDir, `${t}.csv`)).size]));
  const cold: number[] = [];
  const coldLean: number[] = [];
  // Alternated, like the engines above.
  for (let i = 0; i < opts.coldRuns; i++) {
    cold.push(coldCli(dir));
    coldLean.push(coldCli(leanDir));
    log(`  cold \`npm run notebook\` ${i + 1}/${opts.coldRuns}: every column ${Math.round(cold.at(-1) ?? 0)} ms, notebook export ${Math.round(coldLean.at(-1) ?? 0)} ms`);
  }
  rmSync(leanDir, { recursive: true, force: true });
  return {
    orders, seed: opts.seed, rows: gen.rows, csv_bytes: bytes,
    wasm: summarise("duckdb-wasm", wasmRuns), native: summarise("native", nativeRuns), native_1_thread: summarise("native, 1 thread", native1Runs),
    cold_cli_ms: cold.map(Math.round), notebook_export: { csv_bytes: leanBytes, cold_cli_ms: coldLean.map(Math.round) }, answers_identical: true,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      // The month first (250,000 orders); then one near the ~1.5 M events it assumed.
      orders: { type: "string", default: "250000,100000" },
      runs: { type: "string", default: "5" },
      "method-orders": { type: "string", default: "10000" },
      "method-runs": { type: "string", default: "5" },
      "cold-runs": { type: "string", default: "3" },
      seed: { type: "string", default: "7" },
      keep: { type: "boolean", default: false },
    },
  });
  const sizes = values.orders.split(",").map(Number).filter((n) => n > 0);
  const seed = Number(values.seed);
  const tmp = mkdtempSync(path.join(tmpdir(), "handoff-bench-analytics-"));
  // Other work on the machine skews every number: record how busy it was.
  const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  try {
    const native = await NativeDatabase.open();
    const nativeInfo = { version: await native.version(), threads: await native.threads() };
    native.close();
    const probe = await WasmDatabase.open();
    const wasmVersion = probe.version();
    probe.close();

    log(`load methods (duckdb-wasm, events of a ${Number(values["method-orders"]).toLocaleString("en-US")}-order month, ${values["method-runs"]} runs each):`);
    const small = path.join(tmp, "methods");
    writeScenario(small, { orders: Number(values["method-orders"]), seed, formats: ["csv", "ndjson"] });
    const methods: MethodResult[] = await compareLoadMethods(small, Number(values["method-runs"]), mentionedNames(loadNotebook("monthly-root-cause")), log);
    rmSync(small, { recursive: true, force: true });

    const months: MonthResult[] = [];
    for (const orders of sizes) {
      const dir = path.join(tmp, `month-${orders}`);
      months.push(await benchMonth(dir, orders, { runs: Number(values.runs), coldRuns: Number(values["cold-runs"]), seed }));
      if (!values.keep) rmSync(dir, { recursive: true, force: true });
    }
    mkdirSync(path.join(ROOT, "bench", "results"), { recursive: true });
    const out = writeResults(path.join(ROOT, "bench", "results"), {
      generated_at: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version, load_average_start: loadAtStart, load_average_end: loadavg().map((l) => Math.round(l * 100) / 100) },
      engines: { wasm: { version: wasmVersion, build: "duckdb-wasm 1.32.0, Node blocking build (eh), 1 thread" }, native: { version: nativeInfo.version, threads: nativeInfo.threads } },
      months,
      load_methods: { orders: Number(values["method-orders"]), runs: Number(values["method-runs"]), results: methods },
    });
    process.stdout.write(out.table);
    log(`wrote ${path.relative(ROOT, out.json)} and ${path.relative(ROOT, out.md)}`);
  } finally {
    if (values.keep) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
