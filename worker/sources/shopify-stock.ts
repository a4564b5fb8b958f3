import { firstInstant, idText, parseFailure, parseJsonObject, text } from "./common";
import { inventoryEvents } from "./inventory";
import type { HeaderGetter, InventoryParse, ParseFailure } from "./types";

export const SHOPIFY_STOCK_TOPIC = "inventory_levels/update";

/** The SKU placeholder a Shopify stock message carries until the tenant's mapping names the real SKU. */
export function shopifyItemRef(itemId: string): string {
  return `shopify-item:${itemId}`;
}

/**
 * Shopify `inventory_levels/update`: `{ inventory_item_id, location_id,
 * available, updated_at }`. `available` is Shopify's absolute count at that
 * location, so it is a snapshot as of `updated_at`. Shopify names an inventory
 * item, not a SKU: the Worker resolves it through the tenant's mapping
 * (`PUT /v1/tenants/:tenant/inventory-items`) before the SKU's object sees it.
 */
export function parseShopifyStock({ raw, headers, source }: { raw: Uint8Array; headers: HeaderGetter; source: string }): InventoryParse | ParseFailure | null {
  const topic = headers("x-shopify-topic")?.trim().toLowerCase();
  if (topic !== SHOPIFY_STOCK_TOPIC) return null;
  const body = parseJsonObject(raw);
  if (!body.ok) return body;
  const p = body.value;
  const deliveryId = text(headers("x-shopify-event-id")) ?? text(headers("x-shopify-webhook-id"));
  if (deliveryId === undefined) return parseFailure("schema_mismatch", "Neither X-Shopify-Event-Id nor X-Shopify-Webhook-Id is present; cannot deduplicate");
  const itemId = idText(p.inventory_item_id);
  if (itemId === undefined) return parseFailure("schema_mismatch", "inventory_levels/update has no usable inventory_item_id");
  // Untracked items report `available: null`: there is no level to record.
  if (p.available === null) return parseFailure("unsupported_event", `Inventory item ${itemId} is not tracked by Shopify (available is null)`);
  const location = idText(p.location_id);
  const sku = shopifyItemRef(itemId);
  const parsed = inventoryEvents(`${source}:${topic}:${deliveryId.trim()}`, source, [
    {
      type: "inventory.snapshot",
      sku,
      occurred_at: firstInstant(p.updated_at) ?? p.updated_at,
      data: { sku, on_hand: p.available, ...(location === undefined ? {} : { location: `shopify:${location}` }) },
    },
  ]);
  return parsed.ok ? { ...parsed, item: { system: "shopify", id: itemId } } : parsed;
}
