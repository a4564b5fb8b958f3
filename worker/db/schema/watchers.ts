import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

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

/**
 * Campaign pre-flights (domain/watchers/campaign.ts): the inbound volume an
 * owner signed off on per source, which replaces the learned baseline while
 * the campaign runs. Cancelled, never deleted: a shortfall task names it.
 */
export const campaigns = sqliteTable(
  "campaigns",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    name: text("name").notNull(),
    startsAt: text("starts_at").notNull(),
    endsAt: text("ends_at").notNull(),
    /** `{ <source>: { per_hour } }`. */
    expected: text("expected", { mode: "json" }).$type<Record<string, { per_hour: number }>>().notNull(),
    signedOffBy: text("signed_off_by").notNull(),
    /** The acting key's name that created it (the admin audit has the rest). */
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull(),
    cancelledAt: text("cancelled_at"),
    cancelledBy: text("cancelled_by"),
    cancelReason: text("cancel_reason"),
  },
  // The watcher seeks campaigns not yet ended; the list reads them newest first.
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("campaigns_tenant_ends").on(t.tenantId, t.endsAt)],
);
export type CampaignRow = typeof campaigns.$inferSelect;
