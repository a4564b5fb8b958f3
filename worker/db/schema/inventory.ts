import { primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { tenants } from "./tenants";

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
