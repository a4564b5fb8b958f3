import { z } from "zod";

/**
 * Canonical inventory events: stock facts about one SKU, with no order id.
 * `inventory.snapshot` is an absolute count a WMS took at `occurred_at` (its
 * as-of time); `inventory.adjusted` is a delta (a receipt, a return, damage).
 * Every sender's stock messages (Standard Webhooks senders, Shopify
 * `inventory_levels/update`) are normalised into these at the edge.
 */

export const INVENTORY_EVENT_TYPES = ["inventory.snapshot", "inventory.adjusted"] as const;
export const InventoryEventType = z.enum(INVENTORY_EVENT_TYPES);
export type InventoryEventType = z.infer<typeof InventoryEventType>;

/** SKUs name a Durable Object (tenant + SKU): printable and bounded. */
export const Sku = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:#-]+$/, "SKU may hold letters, digits and . _ : # -");

/** Stock is counted per location; a sender that names none counts in `default`. */
export const DEFAULT_LOCATION = "default";
const Location = z.string().min(1).max(128);
const Units = z.number().int().min(-1_000_000_000).max(1_000_000_000);

const base = {
  /** Stable per event (`<idempotency key>#<index>`): duplicates share it. */
  id: z.string().min(1).max(400),
  sku: Sku,
  occurred_at: z.iso.datetime({ offset: true }),
  source: z.string().min(1).max(64),
};

export const InventorySnapshot = z.object({
  ...base,
  type: z.literal("inventory.snapshot"),
  data: z.object({ sku: Sku, on_hand: Units, location: Location.optional() }),
});
export const InventoryAdjusted = z.object({
  ...base,
  type: z.literal("inventory.adjusted"),
  data: z.object({ sku: Sku, delta: Units, location: Location.optional(), reason: z.string().max(128).optional() }),
});
export const InventoryEvent = z.discriminatedUnion("type", [InventorySnapshot, InventoryAdjusted]);
export type InventoryEvent = z.infer<typeof InventoryEvent>;

export function isInventoryEventType(t: string): t is InventoryEventType {
  return (INVENTORY_EVENT_TYPES as readonly string[]).includes(t);
}

/** The same event under another SKU name (a sender's item id resolved through the tenant's mapping). */
export function withSku(e: InventoryEvent, sku: string): InventoryEvent {
  return e.type === "inventory.snapshot" ? { ...e, sku, data: { ...e.data, sku } } : { ...e, sku, data: { ...e.data, sku } };
}
