import type { Column, ColumnKind, QueryResult, Value } from "./run";

/**
 * Arrow type ids (apache-arrow's `Type` enum, part of the Arrow format), as
 * constants: importing apache-arrow for six numbers would cost the Node CLI a
 * third of a second of start-up. A unit test holds them equal to the enum.
 */
export const ARROW_TYPE = { Int: 2, Float: 3, Bool: 6, Decimal: 7, Date: 8, Timestamp: 10 } as const;

/**
 * duckdb-wasm answers with Arrow tables, in Node and in the browser alike.
 * Typed structurally: duckdb-wasm bundles its own copy of apache-arrow, so
 * its tables are not instances of the classes this package would import.
 */
export interface ArrowTableLike {
  readonly numRows: number;
  readonly schema: { readonly fields: readonly { readonly name: string; readonly type: { readonly typeId: number } }[] };
  getChildAt(index: number): { get(index: number): unknown } | null;
}

function kindOf(typeId: number): ColumnKind {
  switch (typeId) {
    case ARROW_TYPE.Int:
    case ARROW_TYPE.Float:
    case ARROW_TYPE.Decimal:
      return "number";
    case ARROW_TYPE.Bool:
      return "boolean";
    case ARROW_TYPE.Timestamp:
    case ARROW_TYPE.Date:
      return "timestamp";
    default:
      return "text";
  }
}

function valueOf(v: unknown, kind: ColumnKind): Value {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case "number":
      return typeof v === "number" ? v : Number(typeof v === "bigint" ? v : String(v));
    case "boolean":
      return Boolean(v);
    case "timestamp": {
      const ms = v instanceof Date ? v.getTime() : Number(v);
      return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
    }
    case "text":
      return typeof v === "string" ? v : String(v);
  }
}

export function fromArrow(table: ArrowTableLike): QueryResult {
  const columns: Column[] = table.schema.fields.map((f) => ({ name: f.name, kind: kindOf(f.type.typeId) }));
  const vectors = columns.map((_, i) => table.getChildAt(i));
  const rows: Value[][] = [];
  for (let r = 0; r < table.numRows; r++) {
    rows.push(columns.map((c, i) => valueOf(vectors[i]?.get(r), c.kind)));
  }
  return { columns, rows };
}
