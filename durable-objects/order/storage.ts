import type { ChainEntry } from "../../domain/order/audit-runs";
import { BREACHES_TABLE } from "./breach-rows";
import type { AttemptRecord, BreachRecord, CancellationRecord, ExportRecord, TimerRecord } from "../../domain/order/effects";

/**
 * The object's own SQLite schema. Applied idempotently on every start, so an
 * object created by an older deploy picks up new tables without a migration step.
 * Tables keyed by text or several columns are WITHOUT ROWID: a rowid table keeps
 * such a key in a second b-tree, so every insert was two billed rows written
 * (bench/results/cost.md). Objects created before keep their rowid tables; the
 * statements are the same for both.
 * The statements run as one exec, joined by ";": none may end in a `--` comment,
 * which would swallow the separator after it.
 */
export const ORDER_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID`,
  // The state is the fact set. A new fact rides on its commit's audit block
  // (below; fact-rows.ts): this table holds the facts of objects from before,
  // and of a commit that wrote no block, one row each.
  `CREATE TABLE IF NOT EXISTS facts (
     id TEXT PRIMARY KEY,
     occurred_ms INTEGER NOT NULL,
     json TEXT NOT NULL
   ) WITHOUT ROWID`,
  // The topic each body (by raw SHA-256) was first accepted under: the same
  // signed bytes re-labelled with another unsigned topic are refused.
  `CREATE TABLE IF NOT EXISTS body_topics (
     raw_sha256 TEXT PRIMARY KEY,
     topic TEXT NOT NULL,
     receipt_id TEXT NOT NULL
   ) WITHOUT ROWID`,
  // The audit chain, one row per commit (audit-store.ts): `entries` holds the
  // commit's links as JSON, each with its own seq and hash; `last_seq`/`hash`
  // are the chain's head after the commit. A commit that took an inbound
  // delivery carries its receipt (JSON) and the idempotency key it dedupes by:
  // idempotency keys live as long as the order (Stripe redelivers for 3 days, and
  // a late duplicate must still get its original receipt). Objects from before
  // also hold a `receipts` table (store.ts reads it; no new object creates it).
  // `facts`: the facts the commit added (JSON), each write small as a fact's
  // own row was, never one ever-growing value against the 2 MB row limit.
  // `drained`: the drain watermark when the commit was written (store.ts, outbox).
  `CREATE TABLE IF NOT EXISTS audit_blocks (
     last_seq INTEGER PRIMARY KEY,
     hash TEXT NOT NULL,
     entries TEXT NOT NULL,
     index_stale INTEGER NOT NULL DEFAULT 0,
     receipt_key TEXT,
     receipt TEXT,
     facts TEXT,
     drained INTEGER
   )`,
  // One alarm per object, multiplexed: the alarm is always set to the earliest
  // of MIN(due_at) and the SLA clocks, which have no row (clocks.ts).
  // An export's deliver/ack/ttl timers are columns of its row (export-rows.ts).
  // kind = task | cancel | cancel_ack | stock | drain (a failed drain's retry) |
  // a failed handler's deferred retry; `attempts` counts handler failures.
  `CREATE TABLE IF NOT EXISTS timers (
     kind TEXT NOT NULL,
     key TEXT NOT NULL,
     due_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (kind, key)
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS exports (
     export_id TEXT PRIMARY KEY,
     action TEXT NOT NULL,
     version INTEGER NOT NULL,
     body TEXT NOT NULL,
     status TEXT NOT NULL,
     consumer_url TEXT,
     consumer_secret TEXT,
     requires_ack INTEGER NOT NULL,
     first_attempt_at INTEGER,
     delivered_at INTEGER,
     acked_at INTEGER,
     ack TEXT,
     ack_redeliveries INTEGER NOT NULL DEFAULT 0,
     deliver_at INTEGER,
     ack_due_at INTEGER,
     ttl_at INTEGER
   ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS attempts (
     export_id TEXT NOT NULL,
     n INTEGER NOT NULL,
     at INTEGER NOT NULL,
     status INTEGER,
     latency_ms INTEGER NOT NULL,
     error_class TEXT,
     outcome TEXT NOT NULL,
     next_attempt_at INTEGER,
     PRIMARY KEY (export_id, n)
   ) WITHOUT ROWID`,
  // SLA breaches and their escalation (breach-rows.ts).
  BREACHES_TABLE,
  // One row per export we asked the consumer to drop (cancellation.ts); its
  // delivery attempts live in attempts under the cancellation id.
  `CREATE TABLE IF NOT EXISTS cancellations (
     export_id TEXT PRIMARY KEY,
     cancellation_id TEXT NOT NULL,
     body TEXT NOT NULL,
     status TEXT NOT NULL,
     reason TEXT NOT NULL,
     superseded_by TEXT,
     requested_at INTEGER NOT NULL,
     first_attempt_at INTEGER,
     delivered_at INTEGER,
     acked_at INTEGER,
     ack TEXT,
     redeliveries INTEGER NOT NULL DEFAULT 0
   ) WITHOUT ROWID`,
  // Watchers' notices a commit decided (domain/notify/watchers.ts), until the drain hands them to the notifier.
  `CREATE TABLE IF NOT EXISTS notices_out (
     key TEXT PRIMARY KEY,
     body TEXT NOT NULL
   ) WITHOUT ROWID`,
  // Manual tasks about this order; the full task (with evidence) is the JSON.
  `CREATE TABLE IF NOT EXISTS tasks (
     task_id TEXT PRIMARY KEY,
     status TEXT NOT NULL,
     sla_due INTEGER NOT NULL,
     json TEXT NOT NULL
   ) WITHOUT ROWID`,
];

/** `trace:<export id>`: the traceparent of the commit that issued the export, the parent of its delivery spans. */
/** `drained_seq` / `index_pending`: what D1 still lacks (the outbox, see OrderStore). */
export type MetaKey = "tenant" | "order_id" | "rules" | "default_owner" | "directory" | "allocation" | "drain_error" | "drain_attempts" | "drained_seq" | "index_pending" | `trace:${string}`;

/** A chain entry as the object's SQL hands it back. */
export interface AuditDbRow extends ChainEntry, Record<string, SqlStorageValue> {}

export interface ReceiptDbRow extends Record<string, SqlStorageValue> {
  idempotency_key: string;
  id: string;
  source: string;
  events: string;
  raw_sha256: string;
  received_at: string;
}

export interface TimerDbRow extends TimerRecord, Record<string, SqlStorageValue> {
  attempts: number;
}

/** With its timer columns (export-rows.ts); null in a row of an object from before until its timers move there. */
export interface ExportDbRow extends ExportRecord, Record<string, SqlStorageValue> {
  deliver_at: number | null;
  ack_due_at: number | null;
  ttl_at: number | null;
}

export interface AttemptDbRow extends AttemptRecord, Record<string, SqlStorageValue> {}

export interface BreachDbRow extends BreachRecord, Record<string, SqlStorageValue> {}

export interface CancellationDbRow extends CancellationRecord, Record<string, SqlStorageValue> {}
