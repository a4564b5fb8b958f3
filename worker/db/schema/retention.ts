import { check, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { sql } from "drizzle-orm";
import { createdAt } from "./columns";
import { tenants } from "./tenants";

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
