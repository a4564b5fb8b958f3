import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt } from "./columns";
import { tenants } from "./tenants";

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
    /**
     * Stored while the tenant had a contact or rotation, so every name was checked against the
     * directory: order objects then gate exports against the directory as it is now (a contact
     * deleted later blocks them). False: free-text names from before contacts existed, never gated.
     */
    namesChecked: integer("names_checked", { mode: "boolean" }).notNull().default(false),
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

/** SLA breaches and escalations, one row per (order, step, run, level): a step that restarts breaches again as its next run. */
export const slaBreaches = sqliteTable(
  "sla_breaches",
  {
    tenantId: text("tenant_id").notNull(),
    orderId: text("order_id").notNull(),
    step: text("step").notNull(),
    /** Which run of the step's clock (0 the first that breached); rows from before runs are 0. */
    run: integer("run").notNull().default(0),
    level: integer("level").notNull(),
    contact: text("contact").notNull(),
    owningParty: text("owning_party").notNull(),
    dueAt: text("due_at").notNull(),
    breachedAt: text("breached_at").notNull(),
    resolvedAt: text("resolved_at"),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.orderId, t.step, t.run, t.level] }), index("sla_breaches_tenant_open").on(t.tenantId, t.resolvedAt, t.step)],
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

export type OwnershipRulesRow = typeof ownershipRules.$inferSelect;
export type HandoffRow = typeof handoffs.$inferSelect;
export type HandoffInsert = typeof handoffs.$inferInsert;
export type SlaBreachRow = typeof slaBreaches.$inferSelect;
export type SlaBreachInsert = typeof slaBreaches.$inferInsert;
export type TaskRow = typeof tasks.$inferSelect;
export type TaskInsert = typeof tasks.$inferInsert;
