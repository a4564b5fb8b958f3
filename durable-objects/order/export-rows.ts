import type { ExportRecord } from "../../domain/order/effects";
import type { ExportDbRow, TimerDbRow } from "./storage";

/**
 * An export's own timers live on its row: when its next delivery attempt is
 * due (`deliver`), when a missing ack is acted on (`ack`) and when the decision
 * expires (`ttl`). The commits that schedule or cancel them write that row
 * anyway (issued, delivered, acked), so as columns written in the same
 * statement they cost no row of their own; as timer rows they were inserted
 * and deleted, two billed rows each (bench/results/cost.md, session 8).
 */
export const EXPORT_TIMER_COLUMNS = { deliver: "deliver_at", ack: "ack_due_at", ttl: "ttl_at" } as const;
export type ExportTimerKind = keyof typeof EXPORT_TIMER_COLUMNS;
type TimerColumn = (typeof EXPORT_TIMER_COLUMNS)[ExportTimerKind];
export type ExportTimes = Record<TimerColumn, number | null>;

export function isExportTimer(kind: string): kind is ExportTimerKind {
  return Object.hasOwn(EXPORT_TIMER_COLUMNS, kind);
}

const KINDS = Object.keys(EXPORT_TIMER_COLUMNS) as ExportTimerKind[];
/** Columns a commit may change; the rest are fixed when the export is issued. */
const MUTABLE = ["status", "first_attempt_at", "delivered_at", "acked_at", "ack", "ack_redeliveries", ...Object.values(EXPORT_TIMER_COLUMNS)] as const;
type Mutable = (typeof MUTABLE)[number];
const INSERTED = ["export_id", "action", "version", "body", "status", "consumer_url", "consumer_secret", "requires_ack", ...MUTABLE.filter((c) => c !== "status")] as const;

/** The exports table: rows with their timer columns. */
export class ExportRows {
  constructor(private readonly sql: () => SqlStorage) {}

  /** An object from before the timer columns gets them (its timers stay rows, read alongside, until moved). */
  upgrade(): void {
    const sql = this.sql();
    const have = new Set(sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('exports')").toArray().map((c) => c.name));
    for (const col of Object.values(EXPORT_TIMER_COLUMNS)) if (!have.has(col)) sql.exec(`ALTER TABLE exports ADD COLUMN ${col} INTEGER`);
  }

  all(): ExportDbRow[] {
    return this.sql().exec<ExportDbRow>("SELECT * FROM exports ORDER BY action, version").toArray();
  }

  byId(id: string): ExportDbRow | null {
    return this.sql().exec<ExportDbRow>("SELECT * FROM exports WHERE export_id = ?", id).toArray()[0] ?? null;
  }

  /** The timers the rows hold, as timer records. */
  timers(): TimerDbRow[] {
    const rows = this.sql().exec<ExportDbRow>("SELECT * FROM exports WHERE deliver_at IS NOT NULL OR ack_due_at IS NOT NULL OR ttl_at IS NOT NULL").toArray();
    return rows.flatMap((r) => KINDS.flatMap((kind) => rowTimer(r, kind) ?? []));
  }

  /** One export's timer of one kind: its row's column, looked up by id. */
  timer(kind: ExportTimerKind, exportId: string): TimerDbRow | null {
    const row = this.byId(exportId);
    return row ? rowTimer(row, kind) : null;
  }

  /**
   * A commit's final word on one export, in one statement: the row as the
   * commit left it and its timers. A new row is inserted whole; a known one
   * gets only the columns that changed (an UPDATE is a billed row even when it
   * changes nothing, so none runs then).
   */
  write(row: ExportRecord, times: ExportTimes): void {
    const sql = this.sql();
    const before = this.byId(row.export_id);
    const next: Record<string, SqlStorageValue> = { ...pick(row), ...times };
    if (!before) {
      const values: Record<string, SqlStorageValue> = { ...row, ...next };
      sql.exec(`INSERT INTO exports (${INSERTED.join(", ")}) VALUES (${INSERTED.map(() => "?").join(", ")})`, ...INSERTED.map((c) => values[c] ?? null));
      return;
    }
    const changed = MUTABLE.filter((c) => (before[c] ?? null) !== (next[c] ?? null));
    if (changed.length === 0) return;
    sql.exec(`UPDATE exports SET ${changed.map((c) => `${c} = ?`).join(", ")} WHERE export_id = ?`, ...changed.map((c) => next[c] ?? null), row.export_id);
  }

  /** One timer moved outside a commit's effects (the object's own handlers): its column alone. */
  setTimer(kind: ExportTimerKind, exportId: string, dueAt: number | null): boolean {
    const col = EXPORT_TIMER_COLUMNS[kind];
    if (!this.byId(exportId)) return false;
    this.sql().exec(`UPDATE exports SET ${col} = ? WHERE export_id = ? AND ${col} IS NOT ?`, dueAt, exportId, dueAt);
    return true;
  }
}

function rowTimer(row: ExportDbRow, kind: ExportTimerKind): TimerDbRow | null {
  const due = row[EXPORT_TIMER_COLUMNS[kind]];
  return typeof due === "number" ? { kind, key: row.export_id, due_at: due, attempts: 0 } : null;
}

function pick(row: ExportRecord): Record<Exclude<Mutable, TimerColumn>, SqlStorageValue> {
  return { status: row.status, first_attempt_at: row.first_attempt_at, delivered_at: row.delivered_at, acked_at: row.acked_at, ack: row.ack, ack_redeliveries: row.ack_redeliveries };
}
