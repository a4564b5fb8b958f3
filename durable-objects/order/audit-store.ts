import { chainHash, GENESIS_HASH } from "../../domain/audit-chain";
import type { MachineEvent } from "../../domain/events/handoff-events";
import type { AuditRecord } from "../../domain/order/effects";
import type { StoredReceipt } from "../../domain/order/object";
import { iso } from "../../domain/time";
import type { AuditDbRow } from "./storage";

interface BlockRow extends Record<string, SqlStorageValue> {
  last_seq: number;
  hash: string;
  entries: string;
  index_stale: number;
  receipt_key: string | null;
  receipt: string | null;
  facts: string | null;
  drained: number | null;
}

/** Columns added to `audit_blocks` after it first shipped: an object from before gets them when it starts. */
const ADDED_COLUMNS = ["receipt_key TEXT", "receipt TEXT", "facts TEXT", "drained INTEGER"];

/** What a commit leaves to its caller: a stale-index mark or facts that no block carried (a commit without entries). */
export interface Uncarried {
  indexStale: boolean;
  facts: MachineEvent[];
}

/**
 * The object's copy of the audit chain, one row per commit. Each entry keeps its
 * own link and hash (the chain and every reader are exactly as before); only the
 * storage groups a commit's entries in one row, because SQLite bills every row
 * written and a commit writes two to four entries (bench/results/cost.md).
 * A block also says whether its commit made the order's D1 index row stale, so
 * the common commit (entries and a stale index) marks it without a meta write.
 */
export class AuditBlocks {
  /** The entries of the commit being applied: written as one block by `commit()`. */
  private open: AuditDbRow[] = [];
  private openIndexStale = false;
  private openReceipt: StoredReceipt | null = null;
  private openFacts: MachineEvent[] = [];
  private head: { seq: number; hash: string } | null | undefined = undefined;
  /** The drain watermark the newest block carries (null: none does), read once. */
  private carried: number | null | undefined = undefined;

  constructor(private readonly sql: () => SqlStorage) {}

  /**
   * An object from before the blocks: each entry of its `audit` table becomes a
   * block of one, once. An object from before receipts rode on the blocks gets
   * their columns (its receipts stay in the `receipts` table, read as before).
   */
  upgrade(): void {
    const sql = this.sql();
    const have = new Set(sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('audit_blocks')").toArray().map((c) => c.name));
    for (const col of ADDED_COLUMNS) if (!have.has(col.split(" ")[0] ?? col)) sql.exec(`ALTER TABLE audit_blocks ADD COLUMN ${col}`);
    if (sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit'").toArray().length === 0) return;
    for (const r of sql.exec<AuditDbRow>("SELECT * FROM audit ORDER BY seq").toArray()) {
      sql.exec("INSERT OR IGNORE INTO audit_blocks (last_seq, hash, entries) VALUES (?, ?, ?)", r.seq, r.hash, JSON.stringify([r]));
    }
    sql.exec("DROP TABLE audit");
    this.head = undefined;
    this.carried = undefined;
  }

  /** After a rolled-back transaction. */
  forget(): void {
    this.open = [];
    this.openIndexStale = false;
    this.openReceipt = null;
    this.openFacts = [];
    this.head = undefined;
    this.carried = undefined;
  }

  auditHead(): { seq: number; hash: string } | null {
    const last = this.open.at(-1);
    if (last) return { seq: last.seq, hash: last.hash };
    this.head ??= this.sql().exec<{ seq: number; hash: string }>("SELECT last_seq AS seq, hash FROM audit_blocks ORDER BY last_seq DESC LIMIT 1").toArray()[0] ?? null;
    return this.head;
  }

  /** Appends one link to the chain (held until the commit's block is written). */
  append(tenant: string, orderId: string, type: string, data: Record<string, unknown>, now: number): number {
    const head = this.auditHead();
    const link = { tenant, order_id: orderId, seq: (head?.seq ?? 0) + 1, at: iso(now), type, data: JSON.stringify(data), prev_hash: head?.hash ?? GENESIS_HASH };
    this.open.push({ seq: link.seq, at: link.at, type: link.type, data: link.data, prev_hash: link.prev_hash, hash: chainHash(link) });
    return link.seq;
  }

  /** The commit being applied made the order's D1 index row stale. */
  markIndexStale(): void {
    this.openIndexStale = true;
  }

  /**
   * The commit being applied recorded an inbound delivery's receipt: it rides on
   * the commit's block (looked up by its idempotency key), where a row of its own
   * was one more billed write per webhook.
   */
  recordReceipt(r: StoredReceipt): void {
    this.openReceipt = r;
  }

  /**
   * A fact the commit being applied adds to the order rides on the commit's
   * block too (every new fact comes with its `event.applied` entry,
   * domain/order/machine.ts), where a row of its own was one more billed write per event.
   */
  recordFact(e: MachineEvent): void {
    this.openFacts.push(e);
  }

  /**
   * Writes the commit's entries as one row; a commit without entries writes
   * nothing. The row carries `drained`, the drain watermark as the object knows
   * it now (store.ts: the drain moves it in memory only). Returns what it wrote
   * no block to carry (the index mark, facts): the caller keeps them elsewhere.
   */
  commit(drained: number): Uncarried {
    const last = this.open.at(-1);
    const stale = this.openIndexStale;
    const receipt = this.openReceipt;
    const facts = this.openFacts;
    // A receipt is always recorded with its entry (domain/handoff/decide.ts, receive): without a block it would be lost, and dedupe with it.
    if (receipt && !last) throw new Error(`receipt ${receipt.id} recorded by a commit without audit entries`);
    if (last) {
      this.sql().exec(
        "INSERT INTO audit_blocks (last_seq, hash, entries, index_stale, receipt_key, receipt, facts, drained) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        last.seq,
        last.hash,
        JSON.stringify(this.open),
        stale ? 1 : 0,
        receipt?.idempotency_key ?? null,
        receipt ? JSON.stringify(receipt) : null,
        facts.length > 0 ? JSON.stringify(facts) : null,
        drained,
      );
      this.head = { seq: last.seq, hash: last.hash };
      this.carried = drained;
    }
    this.open = [];
    this.openIndexStale = false;
    this.openReceipt = null;
    this.openFacts = [];
    return last ? { indexStale: false, facts: [] } : { indexStale: stale, facts };
  }

  /** The drain watermark the newest block carries: what D1 was known to hold when that commit was written. */
  carriedDrained(): number | null {
    if (this.carried === undefined) {
      this.carried = this.sql().exec<{ drained: number }>("SELECT drained FROM audit_blocks WHERE drained IS NOT NULL ORDER BY last_seq DESC LIMIT 1").toArray()[0]?.drained ?? null;
    }
    return this.carried;
  }

  /** Every fact the blocks carry, in commit order (rows were written by this object from schema-checked events). */
  facts(): MachineEvent[] {
    return this.sql()
      .exec<Pick<BlockRow, "facts">>("SELECT facts FROM audit_blocks WHERE facts IS NOT NULL ORDER BY last_seq")
      .toArray()
      .flatMap((r) => (r.facts ? (JSON.parse(r.facts) as MachineEvent[]) : []));
  }

  /** The receipt recorded under an idempotency key (a scan: an order holds tens of blocks, and rows read cost a thousandth of rows written). */
  receiptByKey(key: string): StoredReceipt | null {
    const r = this.sql().exec<Pick<BlockRow, "receipt">>("SELECT receipt FROM audit_blocks WHERE receipt_key = ?", key).toArray()[0];
    return r?.receipt ? (JSON.parse(r.receipt) as StoredReceipt) : null;
  }

  /** Every receipt the blocks carry, in commit order. */
  receipts(): StoredReceipt[] {
    return this.sql()
      .exec<Pick<BlockRow, "receipt">>("SELECT receipt FROM audit_blocks WHERE receipt IS NOT NULL ORDER BY last_seq")
      .toArray()
      .flatMap((r) => (r.receipt ? [JSON.parse(r.receipt) as StoredReceipt] : []));
  }

  all(): AuditDbRow[] {
    return this.after(0);
  }

  /** Entries past `seq`, oldest first (blocks are read whole, entries filtered). */
  after(seq: number): AuditDbRow[] {
    return this.blocksAfter(seq).flat();
  }

  /**
   * Entries past `seq`, oldest first, grouped by the commit that wrote them.
   * Stops at a block boundary once `limit` entries are taken, never inside a
   * block: the drain's D1 rows are runs of one block, keyed by their first seq,
   * so a retried drain must cut where the first attempt did.
   */
  blocksAfter(seq: number, limit = Infinity): AuditDbRow[][] {
    const out: AuditDbRow[][] = [];
    let count = 0;
    for (const b of this.sql().exec<BlockRow>("SELECT entries FROM audit_blocks WHERE last_seq > ? ORDER BY last_seq", seq)) {
      if (count >= limit) break;
      const entries = (JSON.parse(b.entries) as AuditDbRow[]).filter((e) => e.seq > seq);
      out.push(entries);
      count += entries.length;
    }
    return out;
  }

  /** The last `n` entries, oldest first. */
  recent(n: number): AuditRecord[] {
    const blocks: AuditDbRow[][] = [];
    let count = 0;
    for (const b of this.sql().exec<BlockRow>("SELECT entries FROM audit_blocks ORDER BY last_seq DESC")) {
      if (count >= n) break;
      const entries = JSON.parse(b.entries) as AuditDbRow[];
      blocks.unshift(entries);
      count += entries.length;
    }
    return blocks
      .flat()
      .slice(-n)
      .map((r) => ({ seq: r.seq, at: r.at, type: r.type, data: JSON.parse(r.data) as unknown }));
  }

  /** Whether a block past `seq` marked the index row stale. */
  indexStaleAfter(seq: number): boolean {
    return this.sql().exec("SELECT 1 FROM audit_blocks WHERE last_seq > ? AND index_stale = 1 LIMIT 1", seq).toArray().length > 0;
  }
}
