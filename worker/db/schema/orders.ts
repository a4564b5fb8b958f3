import { index, integer, primaryKey, sqliteTable, sqliteView, text } from "drizzle-orm/sqlite-core";

/** An audit entry's columns: `audit_log`'s, and the view `audit_entries` that reads it with the blocks (fresh builders for each). */
function auditEntryColumns() {
  return {
    tenantId: text("tenant_id").notNull(),
    orderId: text("order_id").notNull(),
    seq: integer("seq").notNull(),
    at: text("at").notNull(),
    type: text("type").notNull(),
    /** The exact JSON text that was hashed; stored verbatim so the chain can be recomputed. */
    data: text("data").notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  };
}

/**
 * Append-only: migration 0001 adds triggers that refuse UPDATE and DELETE. Holds the
 * chains that are not an order's (`~watchers`, `~notify…`, `~retention`) and order
 * entries drained before `audit_blocks`; read both through the view `audit_entries`.
 */
export const auditLog = sqliteTable(
  "audit_log",
  auditEntryColumns(),
  (t) => [primaryKey({ columns: [t.tenantId, t.orderId, t.seq] }), index("audit_log_tenant_at").on(t.tenantId, t.at)],
);

/**
 * The order chains' audit entries, one row per run of a commit's entries that
 * share one `at` (in practice one row per commit): `seq` is the run's first,
 * `entries` a JSON array of `[seq, type, data, prev_hash, hash]`, each entry's
 * own link and hash as the order object made them. D1 bills the row and each of
 * its index entries, so a commit of three entries costs 3 rows written here
 * instead of 9 in `audit_log` (bench/results/cost.md). Readers see both tables
 * as the view `audit_entries` (migration 0024), with `audit_log`'s columns.
 * Append-only like `audit_log` (the same triggers).
 */
export const auditBlocks = sqliteTable(
  "audit_blocks",
  {
    tenantId: text("tenant_id").notNull(),
    orderId: text("order_id").notNull(),
    seq: integer("seq").notNull(),
    at: text("at").notNull(),
    entries: text("entries").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.orderId, t.seq] }), index("audit_blocks_tenant_at").on(t.tenantId, t.at)],
);

/** Every entry of both tables, as `audit_log` rows (the view is migration 0024's SQL; drizzle-kit leaves it alone). */
export const auditEntries = sqliteView("audit_entries", auditEntryColumns()).existing();

/** One row per order: the index that queues, reports and sweeps read. */
export const orders = sqliteTable(
  "orders",
  {
    tenantId: text("tenant_id").notNull(),
    orderId: text("order_id").notNull(),
    state: text("state").notNull(),
    locked: integer("locked", { mode: "boolean" }).notNull(),
    valueMinor: integer("value_minor"),
    currency: text("currency"),
    /** The sender that first told us about the order. */
    source: text("source"),
    milestones: text("milestones", { mode: "json" }).$type<Record<string, string>>().notNull(),
    attribution: text("attribution", { mode: "json" }).$type<Record<string, string | null>>().notNull(),
    holds: integer("holds").notNull().default(0),
    conflicts: integer("conflicts").notNull().default(0),
    /** Open SLA breaches (any level). */
    breaches: integer("breaches").notNull().default(0),
    /** Exports issued and not yet acknowledged (or given up on). */
    openExports: integer("open_exports").notNull().default(0),
    /** Earliest running SLA deadline: what a stuck-order sweep looks at. */
    nextDueAt: text("next_due_at"),
    /** Audit seq this row reflects; drains only move it forward. */
    version: integer("version").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  // The stuck-order watcher seeks the in-flight states created before a cutoff (worker/watchers/stuck.ts).
  // No column that every drain moves (updated_at, version): a drain that leaves state and
  // created_at alone rewrites only the table row (durable-objects/order/drain.ts).
  (t) => [
    primaryKey({ columns: [t.tenantId, t.orderId] }),
    index("orders_tenant_state_created").on(t.tenantId, t.state, t.createdAt),
  ],
);

/** Every inbound delivery we refused after the tenant was known, kept for inspection and replay. */
export const rejections = sqliteTable(
  "rejections",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    source: text("source").notNull(),
    status: integer("status").notNull(),
    code: text("code").notNull(),
    reason: text("reason").notNull(),
    details: text("details", { mode: "json" }).$type<unknown>(),
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull(),
    /** Raw body, base64, up to the 1 MiB limit (exact bytes, so a replay can re-verify). */
    bodyBase64: text("body_base64").notNull(),
    bodyTruncated: integer("body_truncated", { mode: "boolean" }).notNull(),
    bodySha256: text("body_sha256").notNull(),
    /** Refused after the signature verified: the stored body is genuine and safe to replay. */
    signatureVerified: integer("signature_verified", { mode: "boolean" }).notNull().default(false),
    /** Set once a replay of this body was accepted (the cause had been fixed). */
    replayedAt: text("replayed_at"),
    replayReceiptId: text("replay_receipt_id"),
    bodyBytes: integer("body_bytes").notNull(),
    receivedAt: text("received_at").notNull(),
  },
  (t) => [index("rejections_tenant_received").on(t.tenantId, t.receivedAt)],
);

/**
 * Refusals past the full-record budget: counted, not stored. One row per
 * budget bucket and window, written by the budget object's alarm.
 */
export const rejectionOverflow = sqliteTable(
  "rejection_overflow",
  {
    tenantId: text("tenant_id").notNull(),
    /** "<tenant>\n<source>", "<tenant>\n*unknown-source" or "<tenant>\n*ack". */
    bucket: text("bucket").notNull(),
    windowStart: text("window_start").notNull(),
    /** Answered with their 4xx but not recorded. */
    counted: integer("counted").notNull(),
    /** Answered 429 rate_limited. */
    limited: integer("limited").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.bucket, t.windowStart] })],
);

export type AuditRow = typeof auditLog.$inferSelect;
export type AuditInsert = typeof auditLog.$inferInsert;
export type OrderRow = typeof orders.$inferSelect;
export type OrderInsert = typeof orders.$inferInsert;
export type RejectionRow = typeof rejections.$inferSelect;
export type RejectionInsert = typeof rejections.$inferInsert;
