import { idText, parseFailure, parseJsonObject, text } from "./common";
import { inventoryEvents } from "./inventory";
import type { HeaderGetter, Ignored, InventoryParse, ParseFailure } from "./types";

export const WOO_PRODUCT_TOPICS: ReadonlySet<string> = new Set(["product.created", "product.updated"]);

/** WooCommerce's `*_gmt` fields are UTC without an offset ("2026-11-20T19:28:02"). */
export function wooGmt(v: unknown): unknown {
  return typeof v === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(v) ? `${v}Z` : v;
}

/**
 * WooCommerce `product.created` / `product.updated` (REST v3 product): when the
 * product manages its stock, `stock_quantity` is its absolute count, a snapshot
 * of its `sku` as of `date_modified_gmt`. A product that does not manage stock,
 * or has no SKU, says nothing about inventory: ignored, not refused. The body is
 * the product itself: a variable product's `variations` are ids only, so their
 * stock is not in it (a variation saved on its own arrives as its own body, with
 * its own sku, and maps the same way).
 */
export function parseWooStock({ raw, headers, source }: { raw: Uint8Array; headers: HeaderGetter; source: string }): InventoryParse | Ignored | ParseFailure | null {
  const topic = headers("x-wc-webhook-topic")?.trim().toLowerCase() ?? "";
  if (!WOO_PRODUCT_TOPICS.has(topic)) return null;
  const body = parseJsonObject(raw);
  if (!body.ok) return body;
  const p = body.value;
  const deliveryId = text(headers("x-wc-webhook-delivery-id"));
  if (deliveryId === undefined) return parseFailure("schema_mismatch", "X-WC-Webhook-Delivery-ID header is missing; cannot deduplicate");
  const productId = idText(p.id);
  if (productId === undefined) return parseFailure("schema_mismatch", `WooCommerce ${topic} payload has no usable 'id'`);
  if (p.manage_stock !== true) return { ok: true, ignored: `WooCommerce product ${productId} does not manage its stock (manage_stock: ${JSON.stringify(p.manage_stock ?? null)})` };
  const sku = text(p.sku);
  if (sku === undefined) return { ok: true, ignored: `WooCommerce product ${productId} has no SKU` };
  // As with orders, the delivery id repeats within a second: the modification time and the count tell two updates apart.
  const key = `${source}:${topic}:${deliveryId.trim()}:${productId}:${String(p.date_modified_gmt)}:${String(p.stock_quantity)}`;
  return inventoryEvents(key, source, [{ type: "inventory.snapshot", sku, occurred_at: wooGmt(p.date_modified_gmt), data: { sku, on_hand: p.stock_quantity } }]);
}
