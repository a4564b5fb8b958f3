import type { MetaKey } from "./storage";

/**
 * The keys an order sets together on its first event (whose order it is, the
 * config it runs under), kept in one row, `order`, as a JSON object: one row
 * written per order where there were five. An object from before keeps them as
 * rows of their own, read when the object has none.
 */
const FOLDED: ReadonlySet<MetaKey> = new Set<MetaKey>(["tenant", "order_id", "rules", "default_owner", "directory"]);
const FOLD_ROW = "order";

/**
 * The order object's database handle and its `meta` key/value rows, the base of
 * OrderStore. Synchronous on purpose: everything runs inside `transactionSync`.
 */
export class MetaTable {
  /**
   * The meta rows, read once per object: every call reads tenant and order id,
   * and each distinct statement costs a prepare in every new object. Written
   * through; `forget()` drops it when a transaction rolled back.
   */
  private meta: Map<string, string> | null = null;

  private db: SqlStorage | null = null;

  /** Opened on first use: touching `ctx.storage.sql` at all creates the object's database file. */
  constructor(private readonly open: () => SqlStorage) {}

  protected get sql(): SqlStorage {
    this.db ??= this.open();
    return this.db;
  }

  /** Whether this object has ever been written: known once per object, since only migrate() changes it. */
  private schema: boolean | null = null;

  /**
   * A read of `sqlite_master` does not create the object's database file (a
   * CREATE TABLE does, ~90 KB): an object that was only ever read stays empty.
   */
  hasSchema(): boolean {
    this.schema ??= this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length > 0;
    return this.schema;
  }

  /** Transactions rolled back (forget()): SQLite's change count does not move back when one does. */
  private rollbacks = 0;

  /**
   * A count that moves with every write and every rollback, so what was derived
   * from the rows at one count holds exactly while the count stays: SQLite's
   * rows inserted, updated or deleted on this object's connection since it
   * opened (`total_changes()`: every write, whichever code made it — the store,
   * a handler, an old deploy's row repaired by hand — the alarm's own row and
   * rolled-back writes included), plus the rollbacks, after which the rows are
   * as before but that count is not. It reads no row. The connection lives as
   * long as this object instance, and so does anything keyed on it; the order
   * object never calls `deleteAll()`.
   */
  changes(): number {
    return this.sql.exec<{ n: number }>("SELECT total_changes() AS n").one().n + this.rollbacks;
  }

  protected markMigrated(): void {
    this.schema = true;
  }

  /** After a rolled-back transaction: the cached copies may hold writes SQLite undid. */
  forget(): void {
    this.rollbacks++;
    this.meta = null;
    this.fold = null;
    this.schema = null;
  }

  private metaRows(): Map<string, string> {
    // An object never written has no meta table: it holds no order (and reading must not create one).
    if (!this.hasSchema()) return new Map();
    this.meta ??= new Map(this.sql.exec<{ k: string; v: string }>("SELECT k, v FROM meta").toArray().map((r) => [r.k, r.v]));
    return this.meta;
  }

  /** The folded keys' values (the `order` row), parsed once: every decision reads the tenant and order id. */
  private fold: Record<string, string> | null = null;

  private folded(): Record<string, string> {
    const raw = this.metaRows().get(FOLD_ROW);
    this.fold ??= raw === undefined ? {} : (JSON.parse(raw) as Record<string, string>);
    return this.fold;
  }

  getMeta(k: MetaKey): string | null {
    if (FOLDED.has(k)) {
      const v = this.folded()[k];
      if (v !== undefined) return v;
    }
    return this.metaRows().get(k) ?? null;
  }

  setMeta(k: MetaKey, v: string): void {
    this.setMetas({ [k]: v });
  }

  /** Sets several keys; those kept in the `order` row cost one row written together. A value already held writes nothing. */
  setMetas(values: Partial<Record<MetaKey, string>>): void {
    const fold = { ...this.folded() };
    let folded = false;
    for (const [k, v] of Object.entries(values) as [MetaKey, string | undefined][]) {
      if (v === undefined || this.getMeta(k) === v) continue;
      if (FOLDED.has(k)) {
        fold[k] = v;
        folded = true;
      } else this.putRow(k, v);
    }
    if (folded) {
      this.putRow(FOLD_ROW, JSON.stringify(fold));
      this.fold = fold;
    }
  }

  private putRow(k: string, v: string): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", k, v);
    this.metaRows().set(k, v);
  }

  /** Only for keys of their own rows (the folded ones are never removed). */
  deleteMeta(...keys: MetaKey[]): void {
    const meta = this.metaRows();
    for (const k of keys) {
      if (!meta.has(k)) continue;
      this.sql.exec("DELETE FROM meta WHERE k = ?", k);
      meta.delete(k);
    }
  }
}
