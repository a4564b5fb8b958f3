import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
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

/**
 * Where each of a tenant's stock channels (marketplaces, the storefront)
 * receives stock levels. The secret is sealed (AES-GCM, SECRETS_KEY) and
 * never returned; the inventory objects unseal it at the moment of sending.
 */
export const stockChannels = sqliteTable(
  "stock_channels",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    channel: text("channel").notNull(),
    url: text("url").notNull(),
    secretCiphertext: text("secret_ciphertext").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.channel] })],
);

/**
 * Drift per SKU (issue 17 item 4): each WMS snapshot that had an earlier one
 * to compare with, against the level the engine had computed for that moment.
 * Written once per snapshot by the SKU's inventory object (its alarm), read by
 * the `inventory` analytics export and the weekly drift notebook.
 */
export const inventoryDrift = sqliteTable(
  "inventory_drift",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    sku: text("sku").notNull(),
    snapshotId: text("snapshot_id").notNull(),
    location: text("location").notNull(),
    /** The snapshot's as-of time: the export's window and order. */
    at: text("at").notNull(),
    expected: integer("expected").notNull(),
    reported: integer("reported").notNull(),
    drift: integer("drift").notNull(),
    recordedAt: text("recorded_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.sku, t.snapshotId] }), index("inventory_drift_tenant_at").on(t.tenantId, t.at, t.sku, t.snapshotId)],
);

/**
 * The SKUs a tenant tracks stock for: those whose inventory object holds a
 * stock fact. Written once per SKU by that object (its alarm), after its first
 * stock report. Read through the 30 s config cache on the webhook path, so an
 * order asks only tracked SKUs' objects to reserve (docs/decisions.md,
 * "Only tracked SKUs are asked to reserve"), and when a stock channel is added,
 * so every SKU sends the new channel its current level at once. Never deleted:
 * stock facts are never deleted either, so a SKU once tracked stays tracked.
 */
export const stockSkus = sqliteTable(
  "stock_skus",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    sku: text("sku").notNull(),
    since: text("since").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.sku] })],
);
