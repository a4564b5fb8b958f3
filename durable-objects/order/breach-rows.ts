import type { BreachRecord } from "../../domain/order/effects";
import type { BreachDbRow } from "./storage";

/**
 * The breaches table: one row per (step, run, level), so an alarm that fires twice or late records
 * each escalation of a run once, and a run of the step that starts later records its own
 * (domain/handoff/sla.ts).
 */
export const BREACHES_TABLE = `CREATE TABLE IF NOT EXISTS breaches (
     step TEXT NOT NULL,
     run INTEGER NOT NULL DEFAULT 0,
     level INTEGER NOT NULL,
     since_at INTEGER,
     due_at INTEGER NOT NULL,
     breached_at INTEGER NOT NULL,
     contact TEXT NOT NULL,
     owning_party TEXT NOT NULL,
     resolved_at INTEGER,
     PRIMARY KEY (step, run, level)
   ) WITHOUT ROWID`;

const COLUMNS = "step, run, level, since_at, due_at, breached_at, contact, owning_party, resolved_at";

export class BreachRows {
  constructor(private readonly sql: () => SqlStorage) {}

  /**
   * An object from before runs keyed its breaches by (step, level): the key can only change by
   * copying the rows into a table keyed by run too. Each old row becomes run 0 of its step with no
   * start recorded, which sla.ts reads as it read the row before: a level its open run recorded.
   */
  upgrade(): void {
    const sql = this.sql();
    if (sql.exec("SELECT 1 FROM pragma_table_info('breaches') WHERE name = 'run'").toArray().length > 0) return;
    sql.exec(
      [
        BREACHES_TABLE.replace("IF NOT EXISTS breaches", "breaches_by_run"),
        `INSERT INTO breaches_by_run (${COLUMNS}) SELECT step, 0, level, NULL, due_at, breached_at, contact, owning_party, resolved_at FROM breaches`,
        "DROP TABLE breaches",
        "ALTER TABLE breaches_by_run RENAME TO breaches",
      ].join(";\n"),
    );
  }

  all(): BreachDbRow[] {
    return this.sql().exec<BreachDbRow>(`SELECT ${COLUMNS} FROM breaches ORDER BY breached_at, step, run, level`).toArray();
  }

  /** Returns false when that (step, run, level) was already recorded: escalations happen once per run. */
  insert(b: Omit<BreachRecord, "resolved_at">): boolean {
    const r = this.sql().exec(
      "INSERT OR IGNORE INTO breaches (step, run, level, since_at, due_at, breached_at, contact, owning_party) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      b.step,
      b.run,
      b.level,
      b.since_at,
      b.due_at,
      b.breached_at,
      b.contact,
      b.owning_party,
    );
    return r.rowsWritten > 0;
  }

  /** Ends the step's open run. */
  resolve(step: string, now: number): number {
    return this.sql().exec("UPDATE breaches SET resolved_at = ? WHERE step = ? AND resolved_at IS NULL", now, step).rowsWritten;
  }
}
