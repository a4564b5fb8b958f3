import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection } from "@duckdb/node-api";
import type { Column, ColumnKind, Database, QueryResult, Value } from "../../analytics/engine/run";

/**
 * Native DuckDB (@duckdb/node-api) behind the engine's Database interface:
 * the benchmark's yardstick only, running the very same SQL as duckdb-wasm.
 */

const NUMBER: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.BIGINT, DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT, DuckDBTypeId.USMALLINT, DuckDBTypeId.UINTEGER, DuckDBTypeId.UBIGINT, DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.FLOAT, DuckDBTypeId.DOUBLE, DuckDBTypeId.DECIMAL,
]);
const TIME: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.TIMESTAMP, DuckDBTypeId.TIMESTAMP_MS, DuckDBTypeId.TIMESTAMP_S, DuckDBTypeId.TIMESTAMP_NS, DuckDBTypeId.TIMESTAMP_TZ, DuckDBTypeId.DATE,
]);

function kindOf(id: DuckDBTypeId): ColumnKind {
  if (NUMBER.has(id)) return "number";
  if (TIME.has(id)) return "timestamp";
  return id === DuckDBTypeId.BOOLEAN ? "boolean" : "text";
}

function valueOf(v: unknown, kind: ColumnKind): Value {
  if (v === null || v === undefined) return null;
  if (kind === "number") return Number(v);
  if (kind === "timestamp") return v instanceof Date ? v.toISOString() : String(v);
  if (kind === "boolean") return Boolean(v);
  return typeof v === "string" ? v : String(v);
}

export class NativeDatabase implements Database {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(threads?: number): Promise<NativeDatabase> {
    const instance = await DuckDBInstance.create(":memory:", threads === undefined ? {} : { threads: String(threads) });
    return new NativeDatabase(instance, await instance.connect());
  }

  async query(sql: string): Promise<QueryResult> {
    const reader = await this.conn.runAndReadAll(sql);
    const columns: Column[] = reader.columnNames().map((name, i) => ({ name, kind: kindOf(reader.columnTypes()[i]?.typeId ?? DuckDBTypeId.VARCHAR) }));
    const rows = reader.getRowsJS().map((row) => row.map((v, i) => valueOf(v, columns[i]?.kind ?? "text")));
    return { columns, rows };
  }

  async version(): Promise<string> {
    const r = await this.query("SELECT version()");
    return String(r.rows[0]?.[0] ?? "?");
  }

  async threads(): Promise<number> {
    const r = await this.query("SELECT current_setting('threads')");
    return Number(r.rows[0]?.[0] ?? 0);
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
