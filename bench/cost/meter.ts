import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What Cloudflare bills, counted inside workerd for `npm run bench:cost`.
 * Every count is charged to the *cause* it runs under (an AsyncLocalStorage
 * bucket): the inbound webhook, the consumer's ack, the object's alarm, or an
 * observer's read (the harness never reads during a measured run, but a read
 * must never be mistaken for lifecycle cost). Module state is per isolate; in
 * the local runtime the Worker and every Durable Object of the script share one.
 */

export type Bucket = "webhook" | "ack" | "alarm" | "read" | "admin" | "other";
export const BUCKETS: readonly Bucket[] = ["webhook", "ack", "alarm", "read", "admin", "other"];

export interface Counts {
  workerRequests: number;
  /** Billed Durable Object requests: RPC calls (each is one session) and alarm invocations. */
  doRequests: number;
  doRequestsByMethod: Record<string, number>;
  doRowsRead: number;
  doRowsWritten: number;
  /** setAlarm() bills as one row written; counted apart so the SQL rows stay visible. */
  alarmWrites: number;
  d1Queries: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  /** D1 statements whose result carries no meta (raw()/first() on a write): rows unknown. */
  d1Unmetered: number;
  /** Wall time inside Durable Object requests (advances only across I/O in workerd): a floor for billed duration. */
  doWallMs: number;
  /** Rows written by statement (its first words), DO and D1: where the bill comes from. */
  writesBySql: Record<string, number>;
}

export interface MeterReport {
  buckets: Record<Bucket, Counts>;
  /** Objects that hold an alarm now, and how many of those are due within `dueWithinMs` of the report. */
  alarmsPending: number;
  alarmsDueSoon: number;
  /** Sum of the SQLite database size of every object seen (as it was after its last request). */
  doBytes: number;
  doObjects: number;
}

function zero(): Counts {
  return { workerRequests: 0, doRequests: 0, doRequestsByMethod: {}, doRowsRead: 0, doRowsWritten: 0, alarmWrites: 0, d1Queries: 0, d1RowsRead: 0, d1RowsWritten: 0, d1Unmetered: 0, doWallMs: 0, writesBySql: {} };
}

/** "DO INSERT OR IGNORE INTO facts", "D1 insert into audit_log": the statement's verb and table. */
function statementKey(where: "DO" | "D1", query: string): string {
  const m = /^\s*(insert(?:\s+or\s+\w+)?\s+into|delete\s+from|update|create\s+table(?:\s+if\s+not\s+exists)?|drop\s+table|select)\s+["`]?(\w+)/i.exec(query);
  return m ? `${where} ${(m[1] ?? "").replace(/\s+/g, " ").toUpperCase()} ${m[2] ?? ""}` : `${where} ${query.trim().slice(0, 24)}`;
}

function countWrite(c: Counts, key: string, rows: number): void {
  if (rows > 0) c.writesBySql[key] = (c.writesBySql[key] ?? 0) + rows;
}

const cause = new AsyncLocalStorage<Bucket>();
/** The object whose request is running: the object calling its own methods (alarm → flush) is not another request. */
const serving = new AsyncLocalStorage<string>();
let buckets = Object.fromEntries(BUCKETS.map((b) => [b, zero()])) as Record<Bucket, Counts>;
/** Cursors whose rows are counted once the request that opened them ends (a cursor's counts grow as it is read). */
let open: { cursor: SqlStorageCursor<Record<string, SqlStorageValue>>; bucket: Bucket; key: string }[] = [];
const alarms = new Map<string, number>();
const sizes = new Map<string, number>();

function here(): Counts {
  return buckets[cause.getStore() ?? "other"];
}

function settle(): void {
  for (const { cursor, bucket, key } of open) {
    buckets[bucket].doRowsRead += cursor.rowsRead;
    buckets[bucket].doRowsWritten += cursor.rowsWritten;
    countWrite(buckets[bucket], key, cursor.rowsWritten);
  }
  open = [];
}

export function withCause<T>(bucket: Bucket, fn: () => T): T {
  return cause.run(bucket, fn);
}

export function countWorkerRequest(): void {
  here().workerRequests++;
}

/** One billed Durable Object request: runs `fn` under `bucket` and charges its wall time and rows there. */
export async function doRequest<T>(objectId: string, method: string, bucket: Bucket, sql: () => SqlStorage, fn: () => Promise<T>): Promise<T> {
  if (serving.getStore() === objectId) return fn();
  return serving.run(objectId, () => cause.run(bucket, async () => {
    const c = here();
    c.doRequests++;
    c.doRequestsByMethod[method] = (c.doRequestsByMethod[method] ?? 0) + 1;
    const started = Date.now();
    try {
      return await fn();
    } finally {
      c.doWallMs += Date.now() - started;
      settle();
      sizes.set(objectId, sql().databaseSize);
    }
  }));
}

export function resetMeter(): void {
  settle();
  buckets = Object.fromEntries(BUCKETS.map((b) => [b, zero()])) as Record<Bucket, Counts>;
}

export function meterReport(now: number, dueWithinMs: number): MeterReport {
  settle();
  let doBytes = 0;
  for (const s of sizes.values()) doBytes += s;
  const due = [...alarms.values()].filter((t) => t <= now + dueWithinMs).length;
  return { buckets, alarmsPending: alarms.size, alarmsDueSoon: due, doBytes, doObjects: sizes.size };
}

// ── wrappers ─────────────────────────────────────────────────────────────

/** Functions of a native object must be called on the object itself, not on the proxy. */
function passThrough<T extends object>(target: T, overrides: Partial<Record<PropertyKey, unknown>>): T {
  return new Proxy(target, {
    get(t, p) {
      if (Object.hasOwn(overrides, p)) return overrides[p];
      const v: unknown = Reflect.get(t, p, t);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/**
 * Counts the object's SQL and alarm writes by patching its own storage objects
 * in place: the runtime's DurableObject base class accepts only the real
 * state, so a wrapper cannot be handed in instead. Bench-only; production
 * code is unchanged and runs exactly as it ships.
 */
export function meterState(ctx: DurableObjectState): void {
  const id = ctx.id.toString();
  const storage = ctx.storage;
  const sql = storage.sql;
  const exec = sql.exec.bind(sql);
  const setAlarm = storage.setAlarm.bind(storage);
  const deleteAlarm = storage.deleteAlarm.bind(storage);
  const patch = (target: object, name: string, value: unknown) => Object.defineProperty(target, name, { value, configurable: true, writable: true });
  patch(sql, "exec", (query: string, ...bindings: unknown[]) => {
    const cursor = exec(query, ...bindings);
    // Miniflare records each object's name in its own table: the local runtime's, not billed.
    if (!query.includes("__miniflare_")) open.push({ cursor, bucket: cause.getStore() ?? "other", key: statementKey("DO", query) });
    return cursor;
  });
  patch(storage, "setAlarm", async (at: number | Date, options?: DurableObjectSetAlarmOptions) => {
    here().alarmWrites++;
    alarms.set(id, typeof at === "number" ? at : at.getTime());
    return setAlarm(at, options);
  });
  patch(storage, "deleteAlarm", async (options?: DurableObjectSetAlarmOptions) => {
    alarms.delete(id);
    return deleteAlarm(options);
  });
  if (storage.sql.exec === sql.exec && ctx.storage === storage) return;
  throw new Error("the runtime hands out a new storage object per access: the meter cannot patch it");
}

/** An alarm that starts has consumed the one the object held (the handler re-arms if it must). */
export function alarmFired(objectId: string): void {
  alarms.delete(objectId);
}

function countD1(query: string, meta: D1Meta | undefined): void {
  const c = here();
  c.d1Queries++;
  if (!meta) {
    c.d1Unmetered++;
    return;
  }
  c.d1RowsRead += meta.rows_read;
  c.d1RowsWritten += meta.rows_written;
  countWrite(c, statementKey("D1", query), meta.rows_written);
}

const READ_SQL = /^\s*(select|with)\b/i;

function meteredStatement(stmt: D1PreparedStatement, sqlText: string): D1PreparedStatement {
  const wrapped: D1PreparedStatement = passThrough(stmt, {
    bind: (...values: unknown[]) => meteredStatement(stmt.bind(...values), sqlText),
    run: async () => {
      const r = await stmt.run();
      countD1(sqlText, r.meta);
      return r;
    },
    all: async () => {
      const r = await stmt.all();
      countD1(sqlText, r.meta);
      return r;
    },
    first: async (column?: string) => {
      const r = await stmt.all<Record<string, unknown>>();
      countD1(sqlText, r.meta);
      const row = r.results[0];
      if (row === undefined) return null;
      return column === undefined ? row : (row[column] ?? null);
    },
    // raw() answers without meta: a read is metered by running it once more as run()
    // (same rows, nothing written); a write through raw() is counted as unmetered.
    raw: async (options?: { columnNames?: boolean }) => {
      const rows = options?.columnNames === true ? await stmt.raw({ columnNames: true }) : await stmt.raw();
      if (READ_SQL.test(sqlText)) countD1(sqlText, (await stmt.run()).meta);
      else countD1(sqlText, undefined);
      return rows;
    },
  });
  inner.set(wrapped, { stmt, sqlText });
  return wrapped;
}

/** batch() and the runtime need the real statement behind a wrapper. */
const inner = new WeakMap<D1PreparedStatement, { stmt: D1PreparedStatement; sqlText: string }>();

export function meteredD1(d1: D1Database): D1Database {
  return passThrough(d1, {
    prepare: (query: string) => meteredStatement(d1.prepare(query), query),
    batch: async (stmts: D1PreparedStatement[]) => {
      const results = await d1.batch(stmts.map((s) => inner.get(s)?.stmt ?? s));
      results.forEach((r, i) => {
        const s = stmts[i];
        countD1((s && inner.get(s)?.sqlText) ?? "batch", r.meta);
      });
      return results;
    },
    exec: async (query: string) => {
      const r = await d1.exec(query);
      here().d1Queries += r.count;
      here().d1Unmetered += r.count;
      return r;
    },
  });
}
