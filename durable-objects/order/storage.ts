/**
 * The object's own SQLite schema. Applied idempotently on every start, so an
 * object created by an older deploy picks up new tables without a migration step.
 */
export const ORDER_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`,
  // Idempotency keys live as long as the order: Stripe redelivers for 3 days, and
  // a late duplicate must still get its original receipt.
  `CREATE TABLE IF NOT EXISTS receipts (
     idempotency_key TEXT PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     source TEXT NOT NULL,
     events TEXT NOT NULL,
     raw_sha256 TEXT NOT NULL,
     received_at TEXT NOT NULL
   )`,
  `CREATE TABLE IF NOT EXISTS audit (
     seq INTEGER PRIMARY KEY,
     at TEXT NOT NULL,
     type TEXT NOT NULL,
     data TEXT NOT NULL,
     prev_hash TEXT NOT NULL,
     hash TEXT NOT NULL
   )`,
  // What still has to reach D1. `kind` = audit (key = seq) or index (key = 'order').
  `CREATE TABLE IF NOT EXISTS outbox (
     kind TEXT NOT NULL,
     key TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     PRIMARY KEY (kind, key)
   )`,
  // One alarm per object, multiplexed: the alarm is always set to MIN(due_at).
  `CREATE TABLE IF NOT EXISTS timers (
     kind TEXT NOT NULL,
     key TEXT NOT NULL,
     due_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (kind, key)
   )`,
];

export type MetaKey = "tenant" | "order_id" | "state" | "drain_error" | "drain_attempts";

export interface AuditDbRow extends Record<string, SqlStorageValue> {
  seq: number;
  at: string;
  type: string;
  data: string;
  prev_hash: string;
  hash: string;
}

export interface ReceiptDbRow extends Record<string, SqlStorageValue> {
  idempotency_key: string;
  id: string;
  source: string;
  events: string;
  raw_sha256: string;
  received_at: string;
}

export interface TimerDbRow extends Record<string, SqlStorageValue> {
  kind: string;
  key: string;
  due_at: number;
  attempts: number;
}
