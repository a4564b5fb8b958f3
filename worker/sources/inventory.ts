import { InventoryEvent, isInventoryEventType } from "../../domain/inventory/events";
import { firstInstant, parseFailure } from "./common";
import type { InventoryParse, ParseFailure } from "./types";

/** One stock observation as a sender reports it, before validation. */
export interface StockReport {
  type: "inventory.snapshot" | "inventory.adjusted";
  sku: unknown;
  occurred_at: unknown;
  /** `on_hand` for a snapshot, `delta` for an adjustment; plus `location`, `reason`. */
  data: unknown;
}

/**
 * The one way any adapter (Standard Webhooks, Shopify `inventory_levels/update`,
 * WooCommerce product stock) turns stock reports into canonical inventory events
 * routed to the SKU's inventory object. Ids are `<idempotency key>#<index>`,
 * so a redelivery carries the same facts. All reports must name one SKU.
 */
export function inventoryEvents(idempotencyKey: string, source: string, reports: readonly StockReport[]): InventoryParse | ParseFailure {
  const events: InventoryEvent[] = [];
  const issues: { event: number; path: string; message: string }[] = [];
  reports.forEach((r, index) => {
    const res = InventoryEvent.safeParse({
      id: `${idempotencyKey}#${index}`,
      type: r.type,
      sku: r.sku,
      occurred_at: firstInstant(r.occurred_at) ?? r.occurred_at,
      source,
      data: r.data,
    });
    if (res.success) events.push(res.data);
    else for (const i of res.error.issues) issues.push({ event: index, path: i.path.map(String).join("."), message: i.message });
  });
  const first = issues[0];
  if (first) return parseFailure("schema_mismatch", `Stock event does not match the canonical schema (${first.path || "event"}: ${first.message})`, { issues: issues.slice(0, 20) });
  const sku = events[0]?.sku;
  if (sku === undefined) return parseFailure("schema_mismatch", "No stock event in the delivery");
  if (events.some((e) => e.sku !== sku)) return parseFailure("schema_mismatch", "A delivery's stock events must name one SKU");
  return { ok: true, idempotencyKey, sku, events };
}

export function isStockType(t: string): t is StockReport["type"] {
  return isInventoryEventType(t);
}
