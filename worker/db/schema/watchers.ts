import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
