/**
 * D1 holds the cross-order views and the audit trail. The per-order truth lives
 * in each OrderDO; everything here is written by idempotent outbox drains or by
 * admin calls, never on the webhook acknowledgement path.
 */

// One file per resource; drizzle-kit reads this barrel (drizzle.config.ts), so every table must be re-exported here.
export * from "./schema/tenants";
export * from "./schema/orders";
export * from "./schema/handoffs";
export * from "./schema/retention";
export * from "./schema/notify";
export * from "./schema/watchers";
export * from "./schema/inventory";
export * from "./schema/rule-templates";
export * from "./schema/what-if";
