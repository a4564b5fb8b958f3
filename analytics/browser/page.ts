import { AsyncDuckDB, DuckDBDataProtocol, VoidLogger, type AsyncDuckDBConnection } from "@duckdb/duckdb-wasm";
import { fromArrow } from "../engine/arrow";
import { renderRun } from "../engine/chart";
import { escapeHtml } from "../engine/html";
import type { Notebook } from "../engine/notebook";
import { mentionedNames, notebookTables, runNotebook, type Database, type ExportFiles } from "../engine/run";
import { loadedColumns, TABLE_NAMES, parseHeaderLine, tableOfHeader, type TableName } from "../engine/schema";
import type { DuckdbManifest } from "../build-assets";

/**
 * The notebook page's module: the same engine as `npm run notebook`, on
 * duckdb-wasm's browser build. The Worker rendered the page; this runs the
 * cells once the user gives it the exports — picked files, a picked folder,
 * or the tenant's live export fetched with the API key typed into the page.
 */

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page is missing #${id}`);
  return el as T;
};

const status = $<HTMLElement>("nb-status");
function say(text: string, state: "busy" | "done" | "error" = "busy"): void {
  status.textContent = text;
  status.dataset.state = state;
}

function notebook(): Notebook {
  return JSON.parse($<HTMLScriptElement>("nb-data").textContent ?? "null") as Notebook;
}

const mb = (n: number): string => `${(n / 1_048_576).toFixed(1)} MB`;

/** The wasm ships in parts (static assets are capped at 25 MiB each); join them into one module URL. */
async function wasmUrl(m: DuckdbManifest): Promise<string> {
  let done = 0;
  const parts = await Promise.all(
    m.wasm.parts.map(async (url) => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`could not load ${url}: HTTP ${res.status}`);
      const buf = await res.arrayBuffer();
      done += buf.byteLength;
      say(`Loading DuckDB… ${mb(done)} of ${mb(m.wasm.bytes)}`);
      return buf;
    }),
  );
  // instantiateStreaming insists on the wasm content type.
  return URL.createObjectURL(new Blob(parts, { type: "application/wasm" }));
}

let opened: Promise<{ db: AsyncDuckDB; conn: AsyncDuckDBConnection }> | null = null;

function duckdb(): Promise<{ db: AsyncDuckDB; conn: AsyncDuckDBConnection }> {
  opened ??= (async () => {
    const res = await fetch("/analytics/duckdb/manifest.json");
    if (!res.ok) throw new Error(`DuckDB files are not deployed (HTTP ${res.status}): run npm run build:assets`);
    const manifest = (await res.json()) as DuckdbManifest;
    const module = await wasmUrl(manifest);
    say("Starting DuckDB…");
    const db = new AsyncDuckDB(new VoidLogger(), new Worker(manifest.worker));
    await db.instantiate(module);
    URL.revokeObjectURL(module);
    await db.open({ query: { castBigIntToDouble: true, castDecimalToDouble: true } });
    return { db, conn: await db.connect() };
  })();
  opened.catch(() => {
    opened = null;
  });
  return opened;
}

function adapter(conn: AsyncDuckDBConnection): Database {
  return { query: async (sql) => fromArrow(await conn.query(sql)) };
}

let runs = 0;

/** Registers the exports the notebook reads under `names` and returns each file's header row. */
type Register = (db: AsyncDuckDB, names: ExportFiles) => Promise<Partial<Record<TableName, string[]>>>;

/** The exports this page's notebook reads: the core three, and inventory for the drift report. */
function tables(): TableName[] {
  return notebookTables(notebook());
}

/** `name` for every table the notebook reads. */
function fileNames(name: (t: TableName) => string): ExportFiles {
  const names: Partial<Record<TableName, string>> = {};
  for (const t of tables()) names[t] = name(t);
  return { ...names, events: name("events"), orders: name("orders"), tasks: name("tasks") };
}

async function run(register: Register): Promise<void> {
  const nb = notebook();
  const buttons = [...document.querySelectorAll<HTMLButtonElement | HTMLInputElement>(".nb-load button, .nb-load input[type=file]")];
  buttons.forEach((b) => (b.disabled = true));
  try {
    const { db, conn } = await duckdb();
    // Fresh names per run: a second load must never read the first one's files.
    const n = ++runs;
    const names = fileNames((t) => `run${n}-${t}.csv`);
    const headers = await register(db, names);
    for (const section of document.querySelectorAll<HTMLElement>(".nb-output")) section.dataset.state = "pending";
    say("Loading the exports…");
    const result = await runNotebook(adapter(conn), nb, names, {
      headers,
      onLoaded: (c, ms) => say(`Loaded ${c.events.toLocaleString("en-US")} events, ${c.orders.toLocaleString("en-US")} orders, ${c.tasks.toLocaleString("en-US")} tasks in ${Math.round(ms)} ms; running cells…`),
      onCell: (cellRun) => {
        const out = document.querySelector<HTMLElement>(`#cell-${cellRun.cell.name} .nb-output`);
        if (!out) return;
        out.innerHTML = renderRun(cellRun, document);
        out.dataset.state = cellRun.error === null ? "done" : "error";
      },
    });
    const failed = result.cells.filter((c) => c.error !== null).length;
    const summary = `Loaded ${result.loaded.orders?.toLocaleString("en-US") ?? 0} orders in ${Math.round(result.loadMs)} ms; ran ${result.cells.length} cells in ${Math.round(result.runMs)} ms.`;
    say(failed ? `${summary} ${failed} cell(s) failed.` : summary, failed ? "error" : "done");
    for (const t of tables()) await db.dropFile(names[t] ?? "");
  } catch (err) {
    say(err instanceof Error ? err.message : String(err), "error");
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

const headerOf = (text: string): string[] => parseHeaderLine(text.split(/\r?\n/, 1)[0] ?? "");

/** Which export a file is: by its header row (robust to renamed files; an export of some columns too), its name breaking ties. */
async function classify(files: readonly File[]): Promise<Partial<Record<TableName, { file: File; header: string[] }>>> {
  const found: Partial<Record<TableName, { file: File; header: string[] }>> = {};
  for (const f of files) {
    const header = headerOf(await f.slice(0, 64 * 1024).text());
    const byName = TABLE_NAMES.find((t) => f.name.toLowerCase().startsWith(t) && f.name.toLowerCase().endsWith(".csv"));
    const table = tableOfHeader(header, byName);
    if (!table) continue;
    const seen = found[table];
    // Two months' events picked together would otherwise load one of them silently.
    if (seen) throw new Error(`Both ${seen.file.name} and ${f.name} look like ${table}.csv: pick one of each export.`);
    found[table] = { file: f, header };
  }
  const missing = tables().filter((t) => !found[t]);
  if (missing.length > 0) throw new Error(`Pick all ${tables().length === 3 ? "three" : String(tables().length)} exports; missing ${missing.map((t) => `${t}.csv`).join(", ")}.`);
  return found;
}

function onPick(input: HTMLInputElement): void {
  input.addEventListener("change", () => {
    const files = [...(input.files ?? [])].filter((f) => f.name.toLowerCase().endsWith(".csv"));
    if (files.length === 0) return;
    void run(async (db, names) => {
      const picked = await classify(files);
      const used = tables().flatMap((t) => {
        const p = picked[t];
        const name = names[t];
        return p === undefined || name === undefined ? [] : [{ t, name, ...p }];
      });
      say(`Reading ${used.map((u) => `${u.file.name} (${mb(u.file.size)})`).join(", ")}…`);
      // Read by DuckDB straight from the File: nothing is copied into memory up front.
      for (const u of used) await db.registerFileHandle(u.name, u.file, DuckDBDataProtocol.BROWSER_FILEREADER, true);
      return Object.fromEntries(used.map((u) => [u.t, u.header]));
    });
  });
}

async function apiError(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return `${res.status} ${body.error?.code ?? ""}: ${body.error?.message ?? res.statusText}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

function onLive(): void {
  $<HTMLFormElement>("nb-live").addEventListener("submit", (e) => {
    // The key goes in a header, never the URL: no submission, no query string, no history entry.
    e.preventDefault();
    const tenant = $<HTMLInputElement>("nb-tenant").value.trim();
    const key = $<HTMLInputElement>("nb-key").value.trim();
    const from = $<HTMLInputElement>("nb-from").value;
    const to = $<HTMLInputElement>("nb-to").value;
    if (!tenant || !key) {
      say("Enter the tenant and an API key.", "error");
      return;
    }
    void run(async (db, names) => {
      const headers: Partial<Record<TableName, string[]>> = {};
      const reads = mentionedNames(notebook());
      for (const t of tables()) {
        const q = new URLSearchParams();
        if (from) q.set("from", from);
        if (to) q.set("to", to);
        // Only the columns this notebook reads: the raw audit JSON alone is over half of an events export.
        q.set("columns", loadedColumns(t, { only: reads }).join(","));
        say(`Fetching the live ${t} export…`);
        const res = await fetch(`/v1/tenants/${encodeURIComponent(tenant)}/exports/${t}.csv?${q.toString()}`, {
          headers: { authorization: `Bearer ${key}` },
          cache: "no-store",
        });
        if (!res.ok) throw new Error(`The ${t} export failed: ${await apiError(res)}`);
        const bytes = new Uint8Array(await res.arrayBuffer());
        headers[t] = headerOf(new TextDecoder().decode(bytes.subarray(0, 64 * 1024)));
        await db.registerFileBuffer(names[t] ?? `${t}.csv`, bytes);
      }
      return headers;
    });
  });
}

try {
  notebook();
  onPick($<HTMLInputElement>("nb-files"));
  onPick($<HTMLInputElement>("nb-folder"));
  onLive();
  say(`Pick the ${tables().length === 3 ? "three" : String(tables().length)} export files (${tables().map((t) => `${t}.csv`).join(", ")}) or their folder, or load the tenant's live export.`);
} catch (err) {
  status.innerHTML = escapeHtml(err instanceof Error ? err.message : String(err));
  status.dataset.state = "error";
}
