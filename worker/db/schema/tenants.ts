import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { SOURCE_KINDS } from "../../sources/types";
import { createdAt } from "./columns";

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
  // No index on agency_id: no query looks keys up by agency (test/worker/db/indexes.happy.test.ts).
  (t) => [uniqueIndex("api_keys_hash").on(t.keyHash), index("api_keys_tenant").on(t.tenantId)],
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

export type Tenant = typeof tenants.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type Agency = typeof agencies.$inferSelect;
export type AdminAuditRow = typeof adminAudit.$inferSelect;
export type ConsoleSessionRow = typeof consoleSessions.$inferSelect;
export type Source = typeof sources.$inferSelect;
