import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * What-if jobs as a tenant lists them (issue 16). The job object holds the
 * truth (cursor, totals, parts); this row is its listing copy, written when
 * the job starts and again at the end of every alarm, so a list is one D1
 * read instead of a call per job object.
 */
export const whatIfJobs = sqliteTable(
  "what_if_jobs",
  {
    tenantId: text("tenant_id").notNull(),
    id: text("id").notNull(),
    status: text("status").notNull(),
    ordersDone: integer("orders_done").notNull(),
    ordersTotal: integer("orders_total").notNull(),
    from: text("from").notNull(),
    to: text("to").notNull(),
    /** The acting key's name that started it. */
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull(),
    finishedAt: text("finished_at"),
    /** When its result is deleted (finish + retention); null while it runs. */
    expiresAt: text("expires_at"),
  },
  // The list reads a tenant's jobs newest first, keyset-paged by (created_at, id).
  (t) => [primaryKey({ columns: [t.tenantId, t.id] }), index("what_if_jobs_tenant_created").on(t.tenantId, t.createdAt, t.id)],
);
export type WhatIfJobRow = typeof whatIfJobs.$inferSelect;
