import { errorEnvelope, handoffClient } from "./api/client";
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { parseArgs } from "node:util";
import { mentionedNames, notebookTables } from "../analytics/engine/run";
import { loadedColumns, type TableName } from "../analytics/engine/schema";
import { loadNotebook } from "../analytics/node/notebooks";
import { DEMO_FILE, type DemoCredentials } from "./start";

/**
 * `npm run export -- --tenant acme --from 2026-10-01 --to 2026-11-01 --out exports/`:
 * writes the tenant's events, orders, tasks and inventory exports to <out>/<name>.<format>.
 * Bodies are piped to disk chunk by chunk (a month can be gigabytes), into a
 * `.partial` file renamed only once complete, so a file with the final name
 * is always a whole export.
 */

export const EXPORT_NAMES = ["events", "orders", "tasks", "inventory"] as const;
export type ExportName = (typeof EXPORT_NAMES)[number];
const FORMATS = ["csv", "ndjson"] as const;
type Format = (typeof FORMATS)[number];
const DEFAULT_BASE = "http://127.0.0.1:8787";

const USAGE = `usage: npm run export -- --tenant <id> [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--out exports/]
                         [--format csv|ndjson] [--base ${DEFAULT_BASE}] [--key <tenant API key>]
                         [--notebook <name>]

  --from is inclusive, --to exclusive (dates are midnight UTC; datetimes need Z or an offset).
  Writes events, orders, tasks and inventory (the stock drift rows).
  --notebook monthly-root-cause exports only the exports and columns that notebook reads (no raw
  audit JSON): smaller files that load faster. Without it, every export and column.
  For --tenant demo, --base and --key default to .wrangler/demo.json (written by npm start);
  otherwise to HANDOFF_URL and HANDOFF_API_KEY.
`;

export interface ExportOptions {
  tenant: string;
  from: string | undefined;
  to: string | undefined;
  out: string;
  format: Format;
  base: string;
  key: string;
  /** Per export, the columns to ask for (`?columns=`); absent: every column. */
  columns?: Partial<Record<string, readonly string[]>>;
}

/** The columns a notebook reads from each export (the names its SQL mentions), as `--notebook` asks for. */
export function notebookColumns(name: string): Partial<Record<TableName, string[]>> {
  const nb = loadNotebook(name);
  const reads = mentionedNames(nb);
  return Object.fromEntries(notebookTables(nb).map((t) => [t, loadedColumns(t, { only: reads })]));
}

function isFormat(s: string): s is Format {
  return (FORMATS as readonly string[]).includes(s);
}

export function demoCredentials(): Pick<DemoCredentials, "base_url" | "api_key"> | null {
  if (!existsSync(DEMO_FILE)) return null;
  return JSON.parse(readFileSync(DEMO_FILE, "utf8")) as DemoCredentials;
}

export function resolveOptions(argv: string[], env: NodeJS.ProcessEnv = process.env, demo = demoCredentials): ExportOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      tenant: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      out: { type: "string", default: "exports" },
      format: { type: "string", default: "csv" },
      base: { type: "string" },
      key: { type: "string" },
      notebook: { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const tenant = values.tenant;
  if (!tenant) throw new Error(`--tenant is required\n\n${USAGE}`);
  const format = values.format ?? "csv";
  if (!isFormat(format)) throw new Error(`--format must be csv or ndjson, not '${format}'`);
  const stored = tenant === "demo" ? demo() : null;
  const base = values.base ?? stored?.base_url ?? env.HANDOFF_URL ?? DEFAULT_BASE;
  const key = values.key ?? stored?.api_key ?? env.HANDOFF_API_KEY;
  if (!key) {
    const hint = tenant === "demo" ? "no .wrangler/demo.json yet (run `npm start`), so pass --key" : "pass --key or set HANDOFF_API_KEY";
    throw new Error(`no API key for tenant '${tenant}': ${hint}`);
  }
  const columns = values.notebook === undefined ? undefined : notebookColumns(values.notebook);
  return { tenant, from: values.from, to: values.to, out: values.out ?? "exports", format, base: base.replace(/\/+$/, ""), key, ...(columns ? { columns } : {}) };
}

/**
 * Counts records in a byte stream. CSV fields may hold newlines inside quotes,
 * so a CSV record ends at a LF outside quotes (a doubled quote toggles twice,
 * which leaves the state unchanged); NDJSON escapes newlines, so every LF ends one.
 */
export class RecordCounter {
  records = 0;
  private inQuotes = false;
  private lastByte = 0x0a;
  constructor(private readonly csv: boolean) {}

  push(chunk: Uint8Array): void {
    const last = chunk.at(-1);
    if (last !== undefined) this.lastByte = last;
    if (!this.csv) {
      for (const b of chunk) if (b === 0x0a) this.records++;
      return;
    }
    for (const b of chunk) {
      if (b === 0x22) this.inQuotes = !this.inQuotes;
      else if (b === 0x0a && !this.inQuotes) this.records++;
    }
  }

  /** The body so far ends on a record boundary (or is empty). */
  atBoundary(): boolean {
    return this.lastByte === 0x0a && !this.inQuotes;
  }

  /** Data rows: a CSV's first record is its header. */
  rows(): number {
    return this.csv ? Math.max(0, this.records - 1) : this.records;
  }
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function progressLine(name: string, rows: number, bytes: number, ms: number): string {
  const rate = ms > 0 ? (rows * 1000) / ms : 0;
  return `${name.padEnd(6)}  ${fmtInt(rows).padStart(11)} rows  ${(bytes / 1e6).toFixed(1).padStart(8)} MB  ${fmtInt(rate).padStart(9)} rows/s`;
}

export interface ProgressSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** In place on a terminal; a line every few seconds in a log, where \r would pile up. */
export class Progress {
  private last = 0;
  constructor(
    private readonly stream: ProgressSink,
    private readonly everyMs = stream.isTTY ? 100 : 5000,
  ) {}

  update(line: string, now = Date.now()): void {
    if (now - this.last < this.everyMs) return;
    this.last = now;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${line}`);
    else this.stream.write(`${line}\n`);
  }

  done(): void {
    if (this.stream.isTTY) this.stream.write("\r\x1b[2K");
  }
}

function describeFetchError(err: unknown, base: string): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : "";
  if (code === "ECONNREFUSED") return `cannot reach Handoff at ${base}: connection refused. Is it running (npm start), or is --base / HANDOFF_URL wrong?`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `cannot resolve the host of ${base} (${code}): check --base / HANDOFF_URL`;
  return `request to ${base} failed: ${cause instanceof Error ? cause.message : String(cause)}`;
}

function errorMessage(status: number, error: unknown, o: ExportOptions, name: string): string {
  const { code, message, details: raw } = errorEnvelope(error);
  const details = Array.isArray(raw)
    ? raw.map((d: unknown) => (typeof d === "object" && d !== null && "path" in d && "message" in d ? `${String(d.path)}: ${String(d.message)}` : JSON.stringify(d))).join("; ")
    : "";
  switch (status) {
    case 401:
      return `the API key was refused (401${message ? `: ${message}` : ""}). Pass the tenant's key with --key or HANDOFF_API_KEY.`;
    case 404:
      return message.startsWith("No route")
        ? `${o.base} has no export endpoint (404: ${message}). Is it an older Handoff?`
        : `tenant '${o.tenant}' not found for this key (404). The key belongs to another tenant, or the tenant does not exist.`;
    case 400:
      return `the server refused the request for ${name} (400 ${code}): ${details || message}`;
    default:
      return `exporting ${name} failed: HTTP ${status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`;
  }
}

export interface ExportResult {
  name: string;
  file: string;
  rows: number;
  bytes: number;
  ms: number;
}

/** One dataset as a stream, through the typed client (the body is never buffered whole). */
function requestExport(o: ExportOptions, name: ExportName, only: readonly string[] | undefined) {
  return handoffClient(o.base, o.key).GET("/v1/tenants/{tenant}/exports/{name}.{format}", {
    params: {
      path: { tenant: o.tenant, name, format: o.format },
      query: { ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}), ...(only ? { columns: only.join(",") } : {}) },
    },
    parseAs: "stream",
  });
}

export async function exportOne(o: ExportOptions, name: ExportName, progress: Progress): Promise<ExportResult> {
  const only = o.columns?.[name];
  const started = Date.now();
  let result: Awaited<ReturnType<typeof requestExport>>;
  try {
    result = await requestExport(o, name, only);
  } catch (err) {
    throw new Error(describeFetchError(err, o.base));
  }
  const res = result.response;
  // parseAs "stream" hands back the response body itself.
  const stream = res.body;
  if (!res.ok || !stream) throw new Error(errorMessage(res.status, result.error, o, name));

  mkdirSync(o.out, { recursive: true });
  const file = path.join(o.out, `${name}.${o.format}`);
  const partial = `${file}.partial`;
  const counter = new RecordCounter(o.format === "csv");
  let bytes = 0;
  const count = async function* (source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      counter.push(chunk);
      bytes += chunk.byteLength;
      progress.update(progressLine(name, counter.rows(), bytes, Date.now() - started));
      yield chunk;
    }
  };
  try {
    try {
      // pipeline carries the file's backpressure back to the socket, so the body is never buffered whole.
      // The 1 MiB buffer is for speed: at the default 16 KiB every ~16 KiB chunk waits for 'drain',
      // each wait pauses the socket, and on loopback each pause cost ~20 ms (measured: 200k rows
      // took 60-130 s instead of 3-5 s). Memory stays bounded at about that megabyte.
      await pipeline(Readable.fromWeb(stream as NodeReadableStream<Uint8Array>), count, createWriteStream(partial, { highWaterMark: 1 << 20 }));
    } catch (err) {
      // A server that fails mid-export ends the body without its final chunk; the disk can fail too.
      throw new Error(`the ${name} export failed after ${fmtInt(counter.rows())} rows: ${err instanceof Error ? err.message : String(err)}`);
    }
    // A body can also end cleanly yet early (a proxy that closes it politely): the engine's row count tells.
    const expected = Number(res.headers.get("x-export-rows") ?? "0");
    if (!counter.atBoundary() || counter.rows() < expected) {
      throw new Error(`the ${name} export was cut off: ${fmtInt(counter.rows())} of ${fmtInt(expected)} rows arrived${counter.atBoundary() ? "" : ", the last one incomplete"}`);
    }
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  renameSync(partial, file);
  return { name, file, rows: counter.rows(), bytes, ms: Date.now() - started };
}

export async function exportCommand(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(USAGE);
    return;
  }
  const o = resolveOptions(argv);
  const window = `${o.from ?? "the beginning"} → ${o.to ?? "now"}`;
  console.log(`exporting tenant ${o.tenant} (${window}) from ${o.base} to ${o.out}/ as ${o.format}`);
  // With --notebook, only the exports that notebook reads.
  for (const name of EXPORT_NAMES.filter((n) => o.columns === undefined || o.columns[n] !== undefined)) {
    const progress = new Progress(process.stderr);
    let r: ExportResult;
    try {
      r = await exportOne(o, name, progress);
    } finally {
      progress.done();
    }
    console.log(`${progressLine(name, r.rows, r.bytes, r.ms)}  → ${r.file} (${(r.ms / 1000).toFixed(1)} s)`);
  }
}
