import type { SnapshotDrift, StockFact } from "../../domain/inventory/level";
import type { Reservation, ReservationStatus } from "../../domain/inventory/reserve";
import type { ChannelSlot, SlotStatus } from "../../domain/inventory/channels";
import type { WaitPosition } from "../../domain/inventory/waitlist";

/**
 * The inventory object's SQLite. Created by the first write (a read of a SKU
 * nobody stocked leaves no tables), applied idempotently on every start.
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`,
  // Dedup keys of stock deliveries: a redelivery gets its original receipt.
  `CREATE TABLE IF NOT EXISTS receipts (
     idempotency_key TEXT PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     source TEXT NOT NULL,
     events TEXT NOT NULL,
     raw_sha256 TEXT NOT NULL,
     received_at TEXT NOT NULL
   )`,
  // The stock facts (snapshots, deltas, consumptions), one per id: the level is derived from this set.
  `CREATE TABLE IF NOT EXISTS facts (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     location TEXT NOT NULL,
     at INTEGER NOT NULL,
     units INTEGER NOT NULL,
     source TEXT NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS reservations (
     order_id TEXT NOT NULL,
     line TEXT NOT NULL,
     requested INTEGER NOT NULL,
     reserved INTEGER NOT NULL,
     status TEXT NOT NULL,
     held_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     closed_at TEXT,
     reason TEXT,
     PRIMARY KEY (order_id, line)
   )`,
  `CREATE INDEX IF NOT EXISTS reservations_status ON reservations (status, expires_at)`,
  // Every snapshot's drift, one row per snapshot, until the alarm has written it to D1 (and its task, when above the threshold): never on the ack path.
  `CREATE TABLE IF NOT EXISTS drift_tasks (
     snapshot_id TEXT PRIMARY KEY,
     drift TEXT NOT NULL,
     found_at TEXT NOT NULL,
     written_at TEXT
   )`,
  // One slot per stock channel (domain/inventory/channels.ts): overwritten, never queued, so a channel that was down gets the latest level.
  `CREATE TABLE IF NOT EXISTS channel_slots (
     channel TEXT PRIMARY KEY,
     delivered_version INTEGER NOT NULL,
     pending_version INTEGER,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     first_attempt_at INTEGER,
     next_at INTEGER,
     last_error TEXT
   ) WITHOUT ROWID`,
  // The waitlist (domain/inventory/waitlist.ts): lines backordered here, served first come first served when stock arrives.
  `CREATE TABLE IF NOT EXISTS waitlist (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     order_id TEXT NOT NULL,
     line TEXT NOT NULL,
     since TEXT NOT NULL,
     left_at TEXT,
     reason TEXT,
     UNIQUE (order_id, line)
   )`,
  // Objects created before the waitlist: their open backorders join it in the order they were decided.
  `INSERT OR IGNORE INTO waitlist (order_id, line, since)
     SELECT order_id, line, held_at FROM reservations
     WHERE status IN ('held', 'committed') AND reserved < requested AND instr(line, '#') = 0
     ORDER BY held_at, rowid`,
  // Fills the waiting order has not answered yet: told from the alarm until it does (its answer is idempotent).
  `CREATE TABLE IF NOT EXISTS fill_offers (
     order_id TEXT NOT NULL,
     line TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     next_at INTEGER NOT NULL,
     last_error TEXT,
     PRIMARY KEY (order_id, line)
   ) WITHOUT ROWID`,
].join(";\n");

type Row = Record<string, SqlStorageValue>;

const num = (v: SqlStorageValue | undefined): number | null => (v === null || v === undefined ? null : Number(v));

function slotOf(r: Row): ChannelSlot {
  return {
    channel: String(r.channel),
    delivered_version: Number(r.delivered_version),
    pending_version: num(r.pending_version),
    status: String(r.status) as SlotStatus,
    attempts: Number(r.attempts),
    first_attempt_at: num(r.first_attempt_at),
    next_at: num(r.next_at),
    last_error: r.last_error === null ? null : String(r.last_error),
  };
}

function reservationOf(r: Row): Reservation {
  return {
    order_id: String(r.order_id),
    line: String(r.line),
    requested: Number(r.requested),
    reserved: Number(r.reserved),
    status: String(r.status) as ReservationStatus,
    held_at: String(r.held_at),
    expires_at: String(r.expires_at),
    closed_at: r.closed_at === null ? null : String(r.closed_at),
    reason: r.reason === null ? null : String(r.reason),
  };
}

export interface StoredInventoryReceipt {
  id: string;
  events: string[];
  received_at: string;
}

export class InventoryStore {
  private schema = false;
  constructor(private readonly sql: () => SqlStorage) {}

  hasSchema(): boolean {
    if (this.schema) return true;
    this.schema = this.sql().exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'facts'").toArray().length > 0;
    return this.schema;
  }

  migrate(): void {
    this.sql().exec(SCHEMA);
    this.schema = true;
  }

  getMeta(k: string): string | null {
    if (!this.hasSchema()) return null;
    const row = this.sql().exec("SELECT v FROM meta WHERE k = ?", k).toArray()[0];
    return row ? String(row.v) : null;
  }

  setMeta(k: string, v: string): void {
    this.sql().exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", k, v);
  }

  receipt(idempotencyKey: string): StoredInventoryReceipt | null {
    const row = this.sql().exec("SELECT id, events, received_at FROM receipts WHERE idempotency_key = ?", idempotencyKey).toArray()[0];
    return row ? { id: String(row.id), events: JSON.parse(String(row.events)) as string[], received_at: String(row.received_at) } : null;
  }

  putReceipt(key: string, r: StoredInventoryReceipt & { source: string; raw_sha256: string }): void {
    this.sql().exec(
      "INSERT INTO receipts (idempotency_key, id, source, events, raw_sha256, received_at) VALUES (?, ?, ?, ?, ?, ?)",
      key, r.id, r.source, JSON.stringify(r.events), r.raw_sha256, r.received_at,
    );
  }

  /** True when the fact is new (a fact id seen before changes nothing). */
  addFact(f: StockFact): boolean {
    const c = this.sql().exec(
      "INSERT OR IGNORE INTO facts (id, kind, location, at, units, source) VALUES (?, ?, ?, ?, ?, ?)",
      f.id, f.kind, f.location, f.at, f.units, f.source,
    );
    return c.rowsWritten > 0;
  }

  facts(): StockFact[] {
    if (!this.hasSchema()) return [];
    return this.sql()
      .exec("SELECT id, kind, location, at, units, source FROM facts")
      .toArray()
      .map((r) => ({ id: String(r.id), kind: r.kind === "snapshot" ? "snapshot" : "delta", location: String(r.location), at: Number(r.at), units: Number(r.units), source: String(r.source) }));
  }

  reservedUnits(): number {
    if (!this.hasSchema()) return 0;
    const row = this.sql().exec("SELECT COALESCE(SUM(reserved), 0) AS n FROM reservations WHERE status IN ('held', 'committed')").toArray()[0];
    return Number(row?.n ?? 0);
  }

  orderReservations(orderId: string): Reservation[] {
    if (!this.hasSchema()) return [];
    return this.sql().exec("SELECT * FROM reservations WHERE order_id = ? ORDER BY line", orderId).toArray().map(reservationOf);
  }

  /** Active reservations first (oldest first), then up to `closed` of the newest closed ones. */
  listReservations(limit: number): Reservation[] {
    if (!this.hasSchema()) return [];
    return this.sql()
      .exec(
        `SELECT * FROM reservations ORDER BY CASE WHEN status IN ('held', 'committed') THEN 0 ELSE 1 END,
           CASE WHEN status IN ('held', 'committed') THEN held_at ELSE '' END, closed_at DESC LIMIT ?`,
        limit,
      )
      .toArray()
      .map(reservationOf);
  }

  expiredHeld(now: number): Reservation[] {
    if (!this.hasSchema()) return [];
    return this.sql()
      .exec("SELECT * FROM reservations WHERE status = 'held' AND expires_at <= ?", new Date(now).toISOString())
      .toArray()
      .map(reservationOf);
  }

  nextHeldExpiry(): number | null {
    if (!this.hasSchema()) return null;
    const row = this.sql().exec("SELECT MIN(expires_at) AS t FROM reservations WHERE status = 'held'").toArray()[0];
    return row && row.t !== null ? Date.parse(String(row.t)) : null;
  }

  /** True when this snapshot's drift was not known yet. */
  noteDrift(d: SnapshotDrift, at: string): boolean {
    return this.sql().exec("INSERT OR IGNORE INTO drift_tasks (snapshot_id, drift, found_at) VALUES (?, ?, ?)", d.snapshot_id, JSON.stringify(d), at).rowsWritten > 0;
  }

  unwrittenDrifts(): { drift: SnapshotDrift; found_at: string }[] {
    if (!this.hasSchema()) return [];
    return this.sql()
      .exec("SELECT drift, found_at FROM drift_tasks WHERE written_at IS NULL ORDER BY found_at")
      .toArray()
      .map((r) => ({ drift: JSON.parse(String(r.drift)) as SnapshotDrift, found_at: String(r.found_at) }));
  }

  driftWritten(snapshotId: string, at: string): void {
    this.sql().exec("UPDATE drift_tasks SET written_at = ? WHERE snapshot_id = ?", at, snapshotId);
  }

  putReservation(r: Reservation): void {
    this.sql().exec(
      `INSERT INTO reservations (order_id, line, requested, reserved, status, held_at, expires_at, closed_at, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (order_id, line) DO UPDATE SET requested = excluded.requested, reserved = excluded.reserved, status = excluded.status,
         held_at = excluded.held_at, expires_at = excluded.expires_at, closed_at = excluded.closed_at, reason = excluded.reason`,
      r.order_id, r.line, r.requested, r.reserved, r.status, r.held_at, r.expires_at, r.closed_at, r.reason,
    );
  }

  /** A backordered line takes the next place; one asked again after its hold was swept keeps its place. */
  joinWaitlist(orderId: string, line: string, since: string): void {
    this.sql().exec(
      "INSERT INTO waitlist (order_id, line, since) VALUES (?, ?, ?) ON CONFLICT (order_id, line) DO UPDATE SET left_at = NULL, reason = NULL",
      orderId, line, since,
    );
  }

  /** The order's lines (or one of them) stop waiting. */
  leaveWaitlist(orderId: string, line: string | null, at: string, reason: string): void {
    if (line === null) this.sql().exec("UPDATE waitlist SET left_at = ?, reason = ? WHERE order_id = ? AND left_at IS NULL", at, reason, orderId);
    else this.sql().exec("UPDATE waitlist SET left_at = ?, reason = ? WHERE order_id = ? AND line = ? AND left_at IS NULL", at, reason, orderId, line);
  }

  /** The lines still on the waitlist, first come first, and every reservation of their orders. */
  waitlist(): { positions: WaitPosition[]; rows: Reservation[] } {
    if (!this.hasSchema()) return { positions: [], rows: [] };
    const positions = this.sql()
      .exec("SELECT seq, order_id, line, since FROM waitlist WHERE left_at IS NULL ORDER BY seq")
      .toArray()
      .map((r) => ({ seq: Number(r.seq), order_id: String(r.order_id), line: String(r.line), since: String(r.since) }));
    if (positions.length === 0) return { positions, rows: [] };
    const rows = this.sql()
      .exec("SELECT * FROM reservations WHERE order_id IN (SELECT order_id FROM waitlist WHERE left_at IS NULL)")
      .toArray()
      .map(reservationOf);
    return { positions, rows };
  }

  offerFill(orderId: string, line: string, at: number): void {
    this.sql().exec("INSERT OR IGNORE INTO fill_offers (order_id, line, attempts, next_at) VALUES (?, ?, 0, ?)", orderId, line, at);
  }

  /** Due offers by order: each order is told about all its unanswered fills at once. */
  offersDue(now: number): Map<string, { line: string; attempts: number }[]> {
    const out = new Map<string, { line: string; attempts: number }[]>();
    if (!this.hasSchema()) return out;
    for (const r of this.sql().exec("SELECT order_id, line, attempts FROM fill_offers WHERE next_at <= ? ORDER BY order_id, line", now).toArray()) {
      const list = out.get(String(r.order_id)) ?? [];
      list.push({ line: String(r.line), attempts: Number(r.attempts) });
      out.set(String(r.order_id), list);
    }
    return out;
  }

  offerFailed(orderId: string, line: string, nextAt: number, error: string): void {
    this.sql().exec("UPDATE fill_offers SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE order_id = ? AND line = ?", nextAt, error.slice(0, 500), orderId, line);
  }

  dropOffer(orderId: string, line: string): void {
    this.sql().exec("DELETE FROM fill_offers WHERE order_id = ? AND line = ?", orderId, line);
  }

  nextOfferDue(): number | null {
    if (!this.hasSchema()) return null;
    const row = this.sql().exec("SELECT MIN(next_at) AS t FROM fill_offers").toArray()[0];
    return row && row.t !== null ? Number(row.t) : null;
  }

  slot(channel: string): ChannelSlot | null {
    const row = this.sql().exec("SELECT * FROM channel_slots WHERE channel = ?", channel).toArray()[0];
    return row ? slotOf(row) : null;
  }

  slots(): ChannelSlot[] {
    if (!this.hasSchema()) return [];
    return this.sql().exec("SELECT * FROM channel_slots ORDER BY channel").toArray().map(slotOf);
  }

  putSlot(s: ChannelSlot): void {
    this.sql().exec(
      `INSERT INTO channel_slots (channel, delivered_version, pending_version, status, attempts, first_attempt_at, next_at, last_error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (channel) DO UPDATE SET delivered_version = excluded.delivered_version, pending_version = excluded.pending_version,
         status = excluded.status, attempts = excluded.attempts, first_attempt_at = excluded.first_attempt_at, next_at = excluded.next_at, last_error = excluded.last_error`,
      s.channel, s.delivered_version, s.pending_version, s.status, s.attempts, s.first_attempt_at, s.next_at, s.last_error,
    );
  }

  deleteSlot(channel: string): void {
    this.sql().exec("DELETE FROM channel_slots WHERE channel = ?", channel);
  }

  nextSlotDue(): number | null {
    if (!this.hasSchema()) return null;
    const row = this.sql().exec("SELECT MIN(next_at) AS t FROM channel_slots WHERE status = 'pending'").toArray()[0];
    return row && row.t !== null ? Number(row.t) : null;
  }
}
