import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { TABLE_COLUMNS, TABLE_NAMES, type TableName } from "./engine/schema";
import { generateScenario, type GeneratedOrder, type ScenarioOptions } from "./generate/scenario";

export { generateScenario, windowOf, type GeneratedOrder, type ScenarioOptions } from "./generate/scenario";

/**
 * Writes a generated month as the exports would: events.csv, orders.csv,
 * tasks.csv and inventory.csv (and .ndjson when asked, for the load-method benchmark), in the
 * column order of worker/analytics-exports/rows.ts, encoded like worker/analytics-exports/format.ts
 * (RFC 4180, CRLF, null as an empty field, "" as a quoted empty field).
 */

export type Format = "csv" | "ndjson";
type Cell = string | number | null;

export function csvField(v: Cell): string {
  if (v === null) return "";
  const s = typeof v === "number" ? String(v) : v;
  if (s === "" || /[",\r\n]/.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** Buffers rows and writes in large blocks: a benchmark month is millions of lines. */
class Sink {
  private fd: number;
  private buf: string[] = [];
  private size = 0;
  rows = 0;

  constructor(file: string, header: string | null) {
    this.fd = openSync(file, "w");
    if (header !== null) this.push(header);
  }

  push(line: string): void {
    this.buf.push(line);
    this.size += line.length;
    if (this.size > 1 << 20) this.flush();
  }

  flush(): void {
    if (this.buf.length === 0) return;
    writeSync(this.fd, this.buf.join(""));
    this.buf = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export interface WriteSummary {
  dir: string;
  rows: Record<TableName, number>;
  orders: GeneratedOrder[] | null;
}

/** Generates and writes a scenario; keeps the generated objects in memory only when asked (tests). */
export function writeScenario(
  dir: string,
  opts: ScenarioOptions & { formats?: readonly Format[]; keep?: boolean; columns?: Partial<Record<TableName, readonly string[]>> },
): WriteSummary {
  mkdirSync(dir, { recursive: true });
  const formats = opts.formats ?? ["csv"];
  const sinks: { format: Format; table: TableName; sink: Sink }[] = [];
  // As `?columns=` exports them (the asked columns, in schema order), so the bench's lean month is byte-for-byte an export's.
  const picked = Object.fromEntries(
    TABLE_NAMES.map((t) => [t, TABLE_COLUMNS[t].map(([name]) => name).filter((n) => opts.columns?.[t]?.includes(n) ?? true)]),
  ) as Record<TableName, string[]>;
  for (const format of formats) {
    for (const table of TABLE_NAMES) {
      const header = format === "csv" ? `${picked[table].join(",")}\r\n` : null;
      sinks.push({ format, table, sink: new Sink(path.join(dir, `${table}.${format}`), header) });
    }
  }
  const rows: Record<TableName, number> = { events: 0, orders: 0, tasks: 0, inventory: 0 };
  const kept: GeneratedOrder[] = [];
  const write = (table: TableName, row: object): void => {
    rows[table]++;
    const values = picked[table].map((name) => cellOf(row, name));
    for (const s of sinks) {
      if (s.table !== table) continue;
      if (s.format === "csv") s.sink.push(`${values.map(csvField).join(",")}\r\n`);
      else s.sink.push(`${JSON.stringify(opts.columns?.[table] ? Object.fromEntries(picked[table].map((n, i) => [n, values[i]])) : row)}\n`);
    }
  };
  for (const g of generateScenario(opts)) {
    if (opts.keep) kept.push(g);
    for (const e of g.events) write("events", e);
    if (g.order) write("orders", g.order);
    for (const t of g.tasks) write("tasks", t);
    for (const r of g.inventory ?? []) write("inventory", r);
  }
  for (const s of sinks) s.sink.close();
  return { dir, rows, orders: opts.keep ? kept : null };
}

function cellOf(row: object, name: string): Cell {
  const v: unknown = (row as Record<string, unknown>)[name];
  if (v === undefined || v === null) return null;
  if (typeof v === "string" || typeof v === "number") return v;
  throw new Error(`column ${name} holds a ${typeof v}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      orders: { type: "string", default: "2000" },
      seed: { type: "string", default: "1" },
      from: { type: "string", default: "2026-10-01" },
      days: { type: "string", default: "31" },
      tenant: { type: "string", default: "acme" },
      out: { type: "string", default: "exports" },
      ndjson: { type: "boolean", default: false },
    },
  });
  const started = performance.now();
  const s = writeScenario(path.resolve(values.out), {
    orders: Number(values.orders),
    seed: Number(values.seed),
    from: values.from,
    days: Number(values.days),
    tenant: values.tenant,
    formats: values.ndjson ? ["csv", "ndjson"] : ["csv"],
  });
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`wrote ${s.rows.orders} orders, ${s.rows.events} events, ${s.rows.tasks} tasks, ${s.rows.inventory} stock counts to ${s.dir} in ${secs} s`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
