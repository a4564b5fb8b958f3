import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { SOURCE_KINDS } from "../sources/types";

/**
 * D1 holds the cross-order views and the audit trail. The per-order truth lives
 * in each OrderDO; everything here is written by idempotent outbox drains or by
 * admin calls, never on the webhook acknowledgement path.
 */

const createdAt = () =>
  text("created_at")
    .notNull()
    .default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`);

/** An agency runs fulfillment for many merchants (tenants); its keys act on every one of them. */
export const agencies = sqliteTable("agencies", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: createdAt(),
});

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** The agency that owns this merchant; null for a stand-alone tenant. */
  agencyId: text("agency_id").references(() => agencies.id),
  /**
   * Who owns what no ownership rule names (worker/tenant-owner.ts). Required
   * for new tenants; null only for tenants created before it existed, until an
   * admin sets it (their watcher tasks go to "unassigned" meanwhile).
   */
  defaultOwner: text("default_owner"),
  createdAt: createdAt(),
});

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    /** A merchant key belongs to one tenant, an agency key to one agency: exactly one is set. */
    tenantId: text("tenant_id").references(() => tenants.id),
    agencyId: text("agency_id").references(() => agencies.id),
    /** SHA-256 of the key; the key itself is shown once and never stored. */
    keyHash: text("key_hash").notNull(),
    /** First characters of the key, so operators can tell keys apart (and name one to revoke). */
    prefix: text("prefix").notNull(),
    /** The person or system the key belongs to: recorded as the actor of everything done with it. */
    name: text("name").notNull().default("unnamed key"),
    /** domain/access/scopes.ts; keys issued before scopes existed could do everything a tenant could. */
    scope: text("scope", { enum: ["agency_admin", "merchant_admin", "operator", "read"] }).notNull().default("merchant_admin"),
    expiresAt: text("expires_at"),
    /** The name of whoever issued it. */
    createdBy: text("created_by"),
    createdAt: createdAt(),
    revokedAt: text("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.keyHash), index("api_keys_tenant").on(t.tenantId), index("api_keys_agency").on(t.agencyId)],
);

/**
 * The admin audit: rules, sources, keys (and later contacts) changed, by whom.
 * One SHA-256 chain per tenant (`agency:<id>` for an agency's own keys), the
 * same chain function as the order trail; append-only by trigger.
 */
export const adminAudit = sqliteTable(
  "admin_audit",
  {
    tenantId: text("tenant_id").notNull(),
    seq: integer("seq").notNull(),
    at: text("at").notNull(),
    type: text("type").notNull(),
    /** The acting key's name (or `admin` for the bootstrap token, or the console operator). */
    actor: text("actor").notNull(),
    /** Exact JSON text that was hashed (it includes the actor). */
    data: text("data").notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.seq] }), index("admin_audit_tenant_at").on(t.tenantId, t.at)],
);

/**
 * Console sessions, server-side: the cookie names a row here, so signing out,
 * revoking or expiring the key behind it ends the session on the next request.
 */
export const consoleSessions = sqliteTable("console_sessions", {
  sid: text("sid").primaryKey(),
  /** The tenant signed into, or the agency (then every merchant of it is in view). */
  tenantId: text("tenant_id"),
  agencyId: text("agency_id"),
  keyHash: text("key_hash").notNull(),
  operator: text("operator").notNull(),
  createdAt: createdAt(),
  expiresAt: text("expires_at").notNull(),
  endedAt: text("ended_at"),
});

export const sources = sqliteTable(
  "sources",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    name: text("name").notNull(),
    kind: text("kind", { enum: SOURCE_KINDS }).notNull(),
    /** AES-GCM ciphertext (base64 iv||ct) of the signing secret, keyed by SECRETS_KEY. */
    secretCiphertext: text("secret_ciphertext").notNull(),
    /** `{ silence_after }` (ISO-8601) or null: how long this sender may stay quiet before a watcher says so. */
    watch: text("watch", { mode: "json" }).$type<{ silence_after: string }>(),
    /** The kind's own settings (the `hmac` preset, EasyPost's order-id path), validated when stored; null for most. */
    config: text("config", { mode: "json" }).$type<unknown>(),
    createdAt: createdAt(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.name] })],
);

/** Append-only: migration 0001 adds triggers that refuse UPDATE and DELETE. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    tenantId: text("tenant_id").notNull(),
    orderId: text("order_id").notNull(),
    seq: integer("seq").notNull(),
    at: text("at").notNull(),
    type: text("type").notNull(),
    /** The exact JSON text that was hashed; stored verbatim so the chain can be recomputed. */
    data: text("data").notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.orderId, t.seq] }), index("audit_log_tenant_at").on(t.tenantId, t.at)],
);

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
  // (tenant, state, updated_at) costs two rows written per drain (every drain moves updated_at),
  // but the stuck-order watcher seeks the in-flight states through it (worker/watchers/stuck.ts).
  (t) => [
    primaryKey({ columns: [t.tenantId, t.orderId] }),
    index("orders_tenant_state").on(t.tenantId, t.state, t.updatedAt),
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

/**
 * Versioned per tenant: a PUT appends version n+1 and never rewrites an older
 * one, so an export can name the exact rules it was decided under.
 */
export const ownershipRules = sqliteTable(
  "ownership_rules",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    version: integer("version").notNull(),
    /** OwnershipRules as JSON; each consumer.secret is AES-GCM ciphertext under SECRETS_KEY. */
    rules: text("rules").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.version] })],
);

/** Every export an order issued, as its object last reported it: the cross-order view of handoffs. */
export const handoffs = sqliteTable(
  "handoffs",
  {
    tenantId: text("tenant_id").notNull(),
    exportId: text("export_id").notNull(),
    orderId: text("order_id").notNull(),
    action: text("action").notNull(),
    step: text("step").notNull(),
    version: integer("version").notNull(),
    status: text("status").notNull(),
    owningParty: text("owning_party").notNull(),
    owner: text("owner").notNull(),
    consumerUrl: text("consumer_url"),
    attempts: integer("attempts").notNull(),
    lastStatus: integer("last_status"),
    lastErrorClass: text("last_error_class"),
    issuedAt: text("issued_at").notNull(),
    deliveredAt: text("delivered_at"),
    ackedAt: text("acked_at"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.exportId] }), index("handoffs_tenant_status").on(t.tenantId, t.status, t.issuedAt)],
);

/** SLA breaches and escalations, one row per (order, step, level). */
export const slaBreaches = sqliteTable(
  "sla_breaches",
  {
    tenantId: text("tenant_id").notNull(),
    orderId: text("order_id").notNull(),
    step: text("step").notNull(),
    level: integer("level").notNull(),
    contact: text("contact").notNull(),
    owningParty: text("owning_party").notNull(),
    dueAt: text("due_at").notNull(),
    breachedAt: text("breached_at").notNull(),
    resolvedAt: text("resolved_at"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.orderId, t.step, t.level] }), index("sla_breaches_tenant_open").on(t.tenantId, t.resolvedAt, t.step)],
);

/**
 * The manual queue. Tasks about an order are owned by that order's object
 * (opened, escalated, claimed, resolved there, drained here); tasks about a
 * rejected inbound delivery have no order yet and are written here directly.
 */
export const tasks = sqliteTable(
  "tasks",
  {
    tenantId: text("tenant_id").notNull(),
    taskId: text("task_id").notNull(),
    orderId: text("order_id"),
    rejectionId: text("rejection_id"),
    type: text("type").notNull(),
    status: text("status").notNull(),
    /** The workflow step whose owners the task belongs to. */
    step: text("step").notNull().default("routing"),
    /** What opened it: a hold's fact id, `sla:<step>`, or the rejection id. */
    ref: text("ref").notNull().default(""),
    owner: text("owner").notNull(),
    owningParty: text("owning_party").notNull(),
    /** JSON array of contacts: owner, backup, on-call. */
    escalation: text("escalation", { mode: "json" }).$type<string[]>().notNull(),
    level: integer("level").notNull(),
    slaDue: text("sla_due").notNull(),
    title: text("title").notNull(),
    evidence: text("evidence", { mode: "json" }).$type<unknown>().notNull(),
    valueMinor: integer("value_minor"),
    currency: text("currency"),
    openedAt: text("opened_at").notNull(),
    claimedAt: text("claimed_at"),
    claimedBy: text("claimed_by"),
    resolvedAt: text("resolved_at"),
    resolvedBy: text("resolved_by"),
    resolution: text("resolution"),
    justification: text("justification"),
    action: text("action"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.taskId] }),
    index("tasks_tenant_status_due").on(t.tenantId, t.status, t.slaDue),
    index("tasks_tenant_order").on(t.tenantId, t.orderId),
  ],
);

/** Per-tenant retention windows (domain/retention/policy.ts); a tenant without a row keeps the defaults. */
export const retentionPolicies = sqliteTable("retention_policies", {
  tenantId: text("tenant_id")
    .primaryKey()
    .references(() => tenants.id),
  /** RetentionPolicy as JSON, complete (defaults filled in at PUT time). */
  policy: text("policy").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/**
 * One row per archived (tenant, table, UTC day), written only by the retention
 * job: 'archived' once the R2 objects are in place, 'deleting' only inside the
 * transaction that deletes the rows (the audit_log trigger allows a DELETE
 * under such a row and nothing else), 'done' after. The CHECK makes that
 * transaction fail unless the rows still live equal the rows archived.
 */
export const retentionCheckpoints = sqliteTable(
  "retention_checkpoints",
  {
    tenantId: text("tenant_id").notNull(),
    tbl: text("tbl").notNull(),
    day: text("day").notNull(),
    status: text("status", { enum: ["archived", "deleting", "done"] }).notNull(),
    rows: integer("rows").notNull(),
    /** Rows still in the table when deletion began; must equal `rows`. */
    liveRows: integer("live_rows"),
    manifestKey: text("manifest_key").notNull(),
    manifestSha256: text("manifest_sha256").notNull(),
    checkpointHash: text("checkpoint_hash").notNull(),
    createdAt: createdAt(),
    doneAt: text("done_at"),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.tbl, t.day] }),
    check("retention_checkpoints_status", sql`${t.status} IN ('archived', 'deleting', 'done')`),
    check("retention_checkpoints_complete", sql`${t.liveRows} IS NULL OR ${t.liveRows} = ${t.rows}`),
  ],
);

/**
 * Who notifications reach (issue 14). Channels are JSON: each entry keeps its
 * type, the channel sealed whole under SECRETS_KEY (webhook URLs and keys are
 * credentials) and the redacted view responses show.
 */
export const contacts = sqliteTable(
  "contacts",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    contactId: text("contact_id").notNull(),
    name: text("name").notNull(),
    channels: text("channels", { mode: "json" }).$type<{ type: string; sealed: string; view: Record<string, string> }[]>().notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.contactId] })],
);

/** On-call rotations: members take turns of `shift`, from `starts_at`; overrides replace a turn. */
export const rotations = sqliteTable(
  "rotations",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    rotationId: text("rotation_id").notNull(),
    name: text("name").notNull(),
    members: text("members", { mode: "json" }).$type<string[]>().notNull(),
    shift: text("shift").notNull(),
    startsAt: text("starts_at").notNull(),
    overrides: text("overrides", { mode: "json" }).$type<{ contact_id: string; from: string; to: string }[]>().notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.rotationId] })],
);

/**
 * Inbound volume per sender and hour: `kind` is "verified" (receipts the order
 * objects recorded, counted by their drains) or a refusal code (counted when
 * the refusal is recorded). What the silence watcher learns its baseline from.
 */
export const sourceCounts = sqliteTable(
  "source_counts",
  {
    tenantId: text("tenant_id").notNull(),
    source: text("source").notNull(),
    /** Start of the UTC hour, `YYYY-MM-DDTHH`. */
    hour: text("hour").notNull(),
    kind: text("kind").notNull(),
    n: integer("n").notNull(),
    /** The latest arrival counted in this bucket. */
    lastAt: text("last_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.source, t.hour, t.kind] })],
);

/** Dated artifacts a watcher keeps: one row per tenant, kind and UTC day (the daily missing-acks report). */
export const reports = sqliteTable(
  "reports",
  {
    tenantId: text("tenant_id").notNull(),
    kind: text("kind").notNull(),
    day: text("day").notNull(),
    body: text("body", { mode: "json" }).$type<unknown>().notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.kind, t.day] })],
);

export type Tenant = typeof tenants.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type Agency = typeof agencies.$inferSelect;
export type AdminAuditRow = typeof adminAudit.$inferSelect;
export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;
export type Source = typeof sources.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;
export type AuditInsert = typeof auditLog.$inferInsert;
export type OrderRow = typeof orders.$inferSelect;
export type OrderInsert = typeof orders.$inferInsert;
export type RejectionRow = typeof rejections.$inferSelect;
export type RejectionInsert = typeof rejections.$inferInsert;
export type HandoffRow = typeof handoffs.$inferSelect;
export type HandoffInsert = typeof handoffs.$inferInsert;
export type SlaBreachRow = typeof slaBreaches.$inferSelect;
export type SlaBreachInsert = typeof slaBreaches.$inferInsert;
export type TaskRow = typeof tasks.$inferSelect;
export type TaskInsert = typeof tasks.$inferInsert;
export type OwnershipRulesRow = typeof ownershipRules.$inferSelect;
export type ContactRow = typeof contacts.$inferSelect;
export type RotationRow = typeof rotations.$inferSelect;

/**
 * Which SKU a sender's own stock item names (Shopify's inventory_item_id):
 * set by the tenant, read (cached) on the webhook path to route a stock
 * message to the SKU's inventory object.
 */
export const inventoryItems = sqliteTable(
  "inventory_items",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    system: text("system", { enum: ["shopify"] }).notNull(),
    itemId: text("item_id").notNull(),
    sku: text("sku").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.system, t.itemId] })],
);
