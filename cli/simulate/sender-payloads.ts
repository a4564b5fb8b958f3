import type { PlannedEvent, PlannedOrder } from "./campaign";
import type { CartSender } from "./senders";

/**
 * Bodies of the senders beyond Shopify, Stripe and Standard Webhooks, made
 * from their sample payloads in test/fixtures (WooCommerce REST v3 orders,
 * Adyen standard notifications, EasyPost tracker events, Lemon Squeezy's
 * order_created for the hmac preset). Signing is cli/sign.ts's, through
 * cli/demo-senders.ts, never here.
 */

export interface SenderTemplates {
  wooCreated: string;
  wooProcessing: string;
  adyenAuthorisation: string;
  adyenCapture: string;
  easypostInTransit: string;
  easypostDelivered: string;
  lemonOrderCreated: string;
}

export const SENDER_TEMPLATE_FILES: Record<keyof SenderTemplates, string> = {
  wooCreated: "woocommerce/order.created.json",
  wooProcessing: "woocommerce/order.updated-processing.json",
  adyenAuthorisation: "adyen/authorisation.json",
  adyenCapture: "adyen/capture.json",
  easypostInTransit: "easypost/tracker.updated-in_transit.json",
  easypostDelivered: "easypost/tracker.updated-delivered.json",
  lemonOrderCreated: "hmac/lemonsqueezy-order_created.json",
};

type Json = Record<string, unknown>;

function object(v: unknown, what: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`fixture drifted: ${what} is not an object`);
  return v as Json;
}

/** The order total every payment of an order must match: the cart fixture's, in minor units. */
export function cartTotal(templates: { shopifyCreate: string; wooCreated: string }, cart: CartSender): { minor: number; currency: string } {
  if (cart === "shopify") {
    const m = /"total_price": "(\d+)\.(\d{2})"/.exec(templates.shopifyCreate);
    const cur = /"currency": "([A-Z]{3})"/.exec(templates.shopifyCreate);
    if (!m?.[1] || !m[2] || !cur?.[1]) throw new Error("fixture drifted: Shopify total_price or currency not found");
    return { minor: Number(m[1]) * 100 + Number(m[2]), currency: cur[1] };
  }
  const woo = object(JSON.parse(templates.wooCreated), "WooCommerce order");
  const m = /^(\d+)\.(\d{2})$/.exec(String(woo.total));
  if (!m?.[1] || !m[2] || typeof woo.currency !== "string") throw new Error("fixture drifted: WooCommerce total or currency not found");
  return { minor: Number(m[1]) * 100 + Number(m[2]), currency: woo.currency };
}

/** WooCommerce's `*_gmt` times: UTC without an offset, to the second. */
function wooGmt(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
}

/**
 * A WooCommerce order webhook: order.created at checkout ("processing" when
 * paid there, else "pending" until the gateway reports), or order.updated
 * "processing" when the merchant marks it paid. The id is a number in the
 * body, written as its digits: ours exceed 2^53, as Shopify's do.
 */
export function wooOrderBody(template: string, order: Pick<PlannedOrder, "id" | "number">, times: { created: number; modified: number }, status: "processing" | "pending"): string {
  const p = object(JSON.parse(template), "WooCommerce order");
  const marker = "__handoff_order_id__";
  p.id = marker;
  p.number = String(order.number);
  p.order_key = `wc_order_sim${order.number}`;
  p.status = status;
  p.date_created_gmt = wooGmt(times.created);
  p.date_created = p.date_created_gmt;
  p.date_modified_gmt = wooGmt(times.modified);
  p.date_modified = p.date_modified_gmt;
  const paid = status === "processing";
  p.date_paid_gmt = paid ? wooGmt(times.modified) : null;
  p.date_paid = p.date_paid_gmt;
  p.transaction_id = paid ? `woo_sim_${order.number}` : "";
  return JSON.stringify(p).replace(`"${marker}"`, order.id);
}

/** One NotificationRequestItem for an order (unsigned: signAdyenNotification signs the batch). */
export function adyenItem(template: string, order: Pick<PlannedOrder, "id" | "paymentIntent">, event: Pick<PlannedEvent, "deliveryId">, occurredAtMs: number, amount: { minor: number; currency: string }): Json {
  const body = object(JSON.parse(template), "Adyen notification");
  const list = body.notificationItems;
  const first: unknown = Array.isArray(list) ? list[0] : undefined;
  const item = object(object(first, "notificationItems[0]").NotificationRequestItem, "NotificationRequestItem");
  item.merchantReference = order.id;
  item.pspReference = event.deliveryId;
  // A capture modifies the authorisation: its originalReference.
  if ("originalReference" in item) item.originalReference = adyenAuthReference(order);
  else item.pspReference = adyenAuthReference(order);
  item.eventDate = new Date(Math.floor(occurredAtMs)).toISOString();
  item.amount = { currency: amount.currency, value: amount.minor };
  item.additionalData = { ...object(item.additionalData ?? {}, "additionalData"), hmacSignature: "" };
  return { NotificationRequestItem: item };
}

/** The authorisation's pspReference: fixed by the order's gateway payment, so the capture can name it. */
export function adyenAuthReference(order: Pick<PlannedOrder, "id" | "paymentIntent">): string {
  return (order.paymentIntent ?? `pi_${order.id}`).slice(3, 19).toUpperCase().padEnd(16, "0");
}

/** A notification POST carrying these items, as Adyen batches them. */
export function adyenBatch(items: readonly Json[]): string {
  return JSON.stringify({ live: "false", notificationItems: items });
}

/**
 * An EasyPost tracker.updated Event for the order's parcel. A Tracker names
 * no order: the simulator's source reads it at `$.result.reference`.
 */
export function easypostBody(template: string, orderId: string, eventId: string, tracking: string, occurredAtMs: number): string {
  const e = object(JSON.parse(template), "EasyPost event");
  const t = object(e.result, "EasyPost Tracker");
  const at = new Date(Math.floor(occurredAtMs)).toISOString().replace(/\.\d{3}Z$/, "Z");
  e.id = eventId;
  e.created_at = at;
  e.updated_at = at;
  t.reference = orderId;
  t.tracking_code = tracking;
  t.updated_at = at;
  if (Array.isArray(t.tracking_details)) t.tracking_details = t.tracking_details.map((d: unknown) => ({ ...object(d, "TrackingDetail"), datetime: at }));
  return JSON.stringify(e);
}

/** Lemon Squeezy's order_created (through the hmac preset): the payment of this order. */
export function lemonBody(template: string, order: Pick<PlannedOrder, "id">, event: Pick<PlannedEvent, "deliveryId">, occurredAtMs: number, amount: { minor: number; currency: string }): string {
  const b = object(JSON.parse(template), "Lemon Squeezy event");
  const meta = object(b.meta, "meta");
  meta.custom_data = { ...object(meta.custom_data ?? {}, "custom_data"), order_id: order.id };
  const data = object(b.data, "data");
  data.id = event.deliveryId;
  const attrs = object(data.attributes, "attributes");
  const at = new Date(Math.floor(occurredAtMs)).toISOString();
  Object.assign(attrs, { total: amount.minor, total_usd: amount.minor, subtotal: amount.minor, subtotal_usd: amount.minor, tax: 0, tax_usd: 0, currency: amount.currency, created_at: at, updated_at: at });
  return JSON.stringify(b);
}
