import { closeSync, createReadStream, openSync, readFileSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";
import path from "node:path";
import { tableFromIPC, tableToIPC } from "apache-arrow";
import { loadCsvSql } from "../../analytics/engine/schema";
import { WasmDatabase } from "../../analytics/node/wasm";

/**
 * The three ways duckdb-wasm can take the events export, timed on the same
 * rows: read_csv over the CSV export, the wasm API's insertJSONFromPath over
 * the NDJSON export (as a row array: it has no NDJSON shape), and Arrow IPC
 * via insertArrowFromIPCStream. Only the insert is timed for Arrow: the export
 * has no Arrow format, so the bytes are made beforehand from the loaded table;
 * what making them from the CSV would cost is bounded below by parsing it in JS.
 */

export interface MethodResult {
  method: string;
  runs_ms: number[];
  median_ms: number;
  rows: number;
  note: string;
}

export const median = (xs: readonly number[]): number => {
  const a = [...xs].sort((p, q) => p - q);
  const mid = Math.floor(a.length / 2);
  return a.length % 2 ? (a[mid] ?? 0) : ((a[mid - 1] ?? 0) + (a[mid] ?? 0)) / 2;
};

/** NDJSON → one JSON array, streamed (the month does not fit in a string). */
async function ndjsonToArray(ndjson: string, out: string): Promise<void> {
  const fd = openSync(out, "w");
  let first = true;
  let buf = "[";
  for await (const line of createInterface({ input: createReadStream(ndjson), crlfDelay: Infinity })) {
    if (line === "") continue;
    buf += first ? line : `,${line}`;
    first = false;
    if (buf.length > 1 << 20) {
      writeSync(fd, buf);
      buf = "";
    }
  }
  writeSync(fd, `${buf}]`);
  closeSync(fd);
}

/** A plain RFC 4180 field split: the least any JS route to Arrow has to do with the CSV. */
function parseCsvInJs(text: string): number {
  let rows = 0;
  let fields = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    if (text.charCodeAt(i) === 34) {
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) return rows;
        if (text.charCodeAt(q + 1) === 34) i = q + 2;
        else {
          i = q + 1;
          break;
        }
      }
    } else {
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 44 || c === 13 || c === 10) break;
        i++;
      }
    }
    fields++;
    const c = text.charCodeAt(i);
    if (c === 44) i++;
    else {
      rows++;
      i += c === 13 ? 2 : 1;
    }
  }
  return fields > 0 ? rows : 0;
}

async function timed(f: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

export async function compareLoadMethods(dir: string, runs: number, named: ReadonlySet<string>, log: (s: string) => void): Promise<MethodResult[]> {
  const csv = path.join(dir, "events.csv");
  const json = path.join(dir, "events.json");
  await ndjsonToArray(path.join(dir, "events.ndjson"), json);
  const db = await WasmDatabase.open();
  try {
    db.registerFile("m-events.csv", csv);
    db.registerFile("m-events.json", json);
    await db.query(loadCsvSql("events", "m-events.csv", { allColumns: true }));
    const rows = Number((await db.query("SELECT count(*) FROM events")).rows[0]?.[0] ?? 0);
    // duckdb-wasm bundles its own apache-arrow: re-serialise through this one to get a plain IPC stream.
    const ipc = tableToIPC(tableFromIPC(db.arrowIpc("SELECT * FROM events")), "stream");
    const text = readFileSync(csv, "utf8");
    const methods: [string, string, () => Promise<unknown> | unknown][] = [
      ["read_csv (typed, the engine's load)", "events.csv; the columns the notebook names", () => db.query(loadCsvSql("events", "m-events.csv", { only: named }))],
      ["read_csv (typed, all but `data`)", "events.csv; every column but the raw JSON", () => db.query(loadCsvSql("events", "m-events.csv"))],
      ["read_csv (typed, all 24 columns)", "events.csv; also materialises `data`", () => db.query(loadCsvSql("events", "m-events.csv", { allColumns: true }))],
      ["insertJSONFromPath", "events.ndjson as a row array; every column arrives as VARCHAR (untyped)", () => db.insertJsonFile("events_json", "m-events.json")],
      ["insertArrowFromIPCStream", "insert only: the IPC bytes are made beforehand (no Arrow export exists)", () => db.insertArrowIpc("events_arrow", ipc)],
      ["CSV parsed in JS (lower bound of any CSV → Arrow route)", "field split only, no typing, no Arrow building", () => parseCsvInJs(text)],
    ];
    // Round-robin, not method after method: other work on the machine then slows every method alike.
    const times = methods.map((): number[] => []);
    for (let i = 0; i < runs; i++) {
      for (const [k, [method, , f]] of methods.entries()) {
        await db.query("DROP TABLE IF EXISTS events_json");
        await db.query("DROP TABLE IF EXISTS events_arrow");
        times[k]?.push(await timed(f));
        for (const t of ["events_json", "events_arrow"]) {
          const exists = await db.query(`SELECT count(*) FROM duckdb_tables() WHERE table_name = '${t}'`);
          if (Number(exists.rows[0]?.[0] ?? 0) === 0) continue;
          const n = Number((await db.query(`SELECT count(*) FROM ${t}`)).rows[0]?.[0] ?? -1);
          if (n !== rows) throw new Error(`${method} loaded ${n} rows, expected ${rows}`);
        }
      }
    }
    const results: MethodResult[] = methods.map(([method, note], k) => {
      const t = times[k] ?? [];
      const r = { method, runs_ms: t.map(Math.round), median_ms: Math.round(median(t)), rows, note };
      log(`  ${method}: median ${r.median_ms} ms (${r.runs_ms.join(", ")})`);
      return r;
    });
    return results;
  } finally {
    db.close();
  }
}
