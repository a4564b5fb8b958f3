import { toMinor } from "../../domain/money";
import {
  at,
  bodyHmacVerifier,
  firstInstant,
  idText,
  isRecord,
  mappingFailure,
  parseFailure,
  parseJsonObject,
  text,
  validateEvents,
} from "./common";
import type { HeaderGetter, ParseResult, SourceAdapter } from "./types";
import { parseWooStock, WOO_PRODUCT_TOPICS, wooGmt } from "./woocommerce-stock";

/**
 * WooCommerce webhooks (REST API v3 payloads): `X-WC-Webhook-Signature` is
 * base64 HMAC-SHA256 of the raw body keyed with the webhook's secret (its PHP:
 * base64_encode(hash_hmac('sha256', $payload, $secret, true))), the same rule
 * as Shopify's. `X-WC-Webhook-Topic` says what the body is.
 */
const verify = bodyHmacVerifier("X-WC-Webhook-Signature");

/**
 * Saving a webhook in WooCommerce posts `webhook_id=<n>` (form-encoded,
 * unsigned) and keeps the webhook only if the answer is exactly 200.
 */
function ping(raw: Uint8Array, headers: HeaderGetter): string | null {
  if (raw.length > 40 || headers("x-wc-webhook-signature") !== null) return null;
  const m = /^webhook_id=(\d{1,20})$/.exec(new TextDecoder().decode(raw).trim());
  return m?.[1] ?? null;
}

const ORDER_TOPICS = new Set(["order.created", "order.updated"]);

type Body = Record<string, unknown>;
type Draft = { type: string; occurred_at: unknown; data: Record<string, unknown> };

/** WooCommerce's `*_gmt` fields are UTC without an offset ("2026-11-20T19:28:02"); other instants pass through. */
function gmt(v: unknown): unknown {
  const utc = wooGmt(v);
  return utc === v ? v : firstInstant(utc);
}

function money(amount: unknown, currency: unknown): Record<string, unknown> | undefined {
  if (amount === undefined || amount === null || amount === "") return undefined;
  if (typeof currency !== "string") throw new Error(`amount ${JSON.stringify(amount)} has no currency`);
  if (typeof amount !== "string" && typeof amount !== "number") throw new Error(`amount ${JSON.stringify(amount)} is not a decimal`);
  return { amount_minor: toMinor(amount, currency), currency: currency.toUpperCase() };
}

/** `price` is WooCommerce's line total / quantity as a float (3.3333…): kept only when it is an exact amount. */
function unitPrice(price: unknown, currency: unknown): number | undefined {
  try {
    const m = money(price, currency);
    return typeof m?.amount_minor === "number" ? m.amount_minor : undefined;
  } catch {
    return undefined;
  }
}

function lineItems(items: unknown, currency: unknown): Record<string, unknown>[] | undefined {
  if (!Array.isArray(items)) return undefined;
  return items.map((li) => {
    const variation = idText(at(li, "variation_id"));
    const item: Record<string, unknown> = {
      // Stores without SKUs are common; the variation, then the product, is the next most stable handle.
      sku: text(at(li, "sku")) ?? (variation !== undefined && variation !== "0" ? variation : undefined) ?? idText(at(li, "product_id")) ?? text(at(li, "name")) ?? "",
      quantity: at(li, "quantity"),
    };
    const unit = unitPrice(at(li, "price"), currency);
    if (unit !== undefined) item.unit_price_minor = unit;
    return item;
  });
}

function address(a: unknown): unknown {
  if (!isRecord(a)) return a === undefined ? undefined : a;
  const name = [text(a.first_name), text(a.last_name)].filter((s) => s !== undefined).join(" ");
  const out: Record<string, unknown> = {
    name: name === "" ? undefined : name,
    address1: text(a.address_1),
    address2: text(a.address_2),
    city: text(a.city),
    province: text(a.state),
    zip: text(a.postcode),
    country_code: text(a.country),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

function orderData(p: Body): Record<string, unknown> {
  const data: Record<string, unknown> = {
    customer_email: text(at(p, "billing", "email")) ?? null,
    source_name: text(p.created_via) ?? null,
    note: typeof p.customer_note === "string" && p.customer_note !== "" ? p.customer_note : null,
  };
  const total = money(p.total, p.currency);
  if (total !== undefined) data.total = total;
  const items = lineItems(p.line_items, p.currency);
  if (items !== undefined) data.line_items = items;
  const shipping = address(p.shipping);
  if (shipping !== undefined) data.shipping_address = shipping;
  return data;
}

function payment(p: Body, orderId: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    // The gateway's transaction when WooCommerce knows it, else the order itself: one payment per order either way.
    payment_id: text(p.transaction_id) ?? `woocommerce:${orderId}`,
    gateway: text(p.payment_method) ?? "woocommerce",
  };
  const total = money(p.total, p.currency);
  if (total !== undefined) out.amount = total;
  return out;
}

/** Refunded: everything refunded so far (WooCommerce lists each refund with a negative total). */
function refundedSoFar(p: Body): Record<string, unknown> | undefined {
  const refunds = Array.isArray(p.refunds) ? p.refunds : [];
  if (refunds.length === 0) return money(p.total, p.currency);
  let minor = 0;
  for (const r of refunds) {
    const raw = at(r, "total");
    const amount = typeof raw === "string" ? raw.replace(/^-/, "") : typeof raw === "number" ? Math.abs(raw) : raw;
    const m = money(amount, p.currency);
    if (typeof m?.amount_minor !== "number") throw new Error("a refund has no total");
    minor += m.amount_minor;
  }
  return { amount_minor: minor, currency: String(p.currency).toUpperCase() };
}

/**
 * The order event for the topic, then what its status says happened. A status
 * with no canonical meaning (pending, on-hold: awaiting a bank transfer or a
 * manual review, custom statuses) records the order only.
 */
function mapOrder(topic: string, p: Body, orderId: string): Draft[] {
  const modified = gmt(p.date_modified_gmt);
  const drafts: Draft[] =
    topic === "order.created"
      ? [{ type: "order.created", occurred_at: gmt(p.date_created_gmt) ?? modified, data: orderData(p) }]
      : [{ type: "order.updated", occurred_at: modified, data: orderData(p) }];
  const paidAt = gmt(p.date_paid_gmt) ?? modified;
  switch (p.status) {
    case "processing":
      drafts.push({ type: "payment.captured", occurred_at: paidAt, data: payment(p, orderId) });
      break;
    case "completed":
      // Completed means paid and fulfilled by the store: the capture, and the parcel on its way.
      drafts.push({ type: "payment.captured", occurred_at: paidAt, data: payment(p, orderId) });
      drafts.push({ type: "shipment.shipped", occurred_at: gmt(p.date_completed_gmt) ?? modified, data: {} });
      break;
    case "cancelled":
      drafts.push({ type: "order.cancelled", occurred_at: modified, data: { reason: null } });
      break;
    case "failed":
      drafts.push({ type: "payment.failed", occurred_at: modified, data: { ...payment(p, orderId), reason: "failed" } });
      break;
    case "refunded": {
      const amount = refundedSoFar(p);
      const pay = payment(p, orderId);
      drafts.push({
        type: "payment.refunded",
        occurred_at: modified,
        // The order's status is refunded only once everything is: a full refund, reported as the running total.
        data: { payment_id: pay.payment_id, gateway: pay.gateway, ...(amount === undefined ? {} : { amount }), full: true, cumulative: true },
      });
      break;
    }
  }
  return drafts;
}

function parse({ raw, headers, source }: { raw: Uint8Array; headers: HeaderGetter; source: string }): ParseResult {
  const body = parseJsonObject(raw);
  if (!body.ok) return body;
  const p = body.value;

  const topic = headers("x-wc-webhook-topic")?.trim().toLowerCase() ?? "";
  if (topic === "") return parseFailure("unsupported_event", "X-WC-Webhook-Topic header is missing");
  if (!ORDER_TOPICS.has(topic)) return parseFailure("unsupported_event", `WooCommerce topic '${topic}' is not handled`, { supported: [...ORDER_TOPICS, ...WOO_PRODUCT_TOPICS] });

  const deliveryId = text(headers("x-wc-webhook-delivery-id"));
  if (deliveryId === undefined) return parseFailure("schema_mismatch", "X-WC-Webhook-Delivery-ID header is missing; cannot deduplicate");
  const orderId = idText(p.id);
  if (orderId === undefined) return parseFailure("order_id_missing", `WooCommerce ${topic} payload has no usable 'id'`);
  const status = text(p.status);
  if (status === undefined) return parseFailure("schema_mismatch", `WooCommerce ${topic} payload has no status`);
  // WooCommerce's delivery id is a hash of the webhook id and the current second, so two updates
  // of one order within a second share it: the order's modification time and status tell them apart.
  const idempotencyKey = `${source}:${topic}:${deliveryId.trim()}:${orderId}:${String(p.date_modified_gmt)}:${status}`;

  let drafts: Draft[];
  try {
    drafts = mapOrder(topic, p, orderId);
  } catch (err) {
    return mappingFailure(err);
  }
  const checked = validateEvents(
    drafts.map((d, i) => ({ id: `${idempotencyKey}#${i}`, type: d.type, order_id: orderId, occurred_at: d.occurred_at, source, data: d.data })),
  );
  if (!checked.ok) return checked;
  return { ok: true, idempotencyKey, orderId, events: checked.events };
}

export const woocommerce = {
  kind: "woocommerce",
  evidenceHeaders: [
    "x-wc-webhook-topic",
    "x-wc-webhook-resource",
    "x-wc-webhook-event",
    "x-wc-webhook-id",
    "x-wc-webhook-delivery-id",
    "x-wc-webhook-source",
    "x-wc-webhook-signature",
  ],
  ping,
  verify,
  parse,
  parseStock: parseWooStock,
} satisfies SourceAdapter;
