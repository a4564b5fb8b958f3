import { readFileSync } from "node:fs";
import path from "node:path";
import type { PlannedEvent, PlannedOrder } from "./campaign";
import { SENDER_TEMPLATE_FILES, type SenderTemplates } from "./sender-payloads";

/**
 * Raw bodies as each sender would post them, made from the senders' real
 * sample payloads in test/fixtures. Shopify ids exceed 2^53, so Shopify
 * bodies are never parsed and re-serialised: the fixture's id digits and
 * timestamps are replaced in the text, and each replacement must hit.
 */

const FIXTURES = path.resolve(import.meta.dirname, "..", "..", "test", "fixtures");

/** The id, name and times every Shopify fixture is written around. */
const FIXTURE_ORDER_ID = "820982911946154508";
const FIXTURE_CREATED = "2026-11-20T10:00:00-05:00";
const FIXTURE_PAID = "2026-11-20T14:30:05-05:00";

export interface Templates extends SenderTemplates {
  shopifyCreate: string;
  shopifyPaid: string;
  stripeAuthorized: string;
  stripeSucceeded: string;
}

export function loadTemplates(dir = FIXTURES): Templates {
  const read = (p: string) => readFileSync(path.join(dir, p), "utf8");
  const others = Object.fromEntries(Object.entries(SENDER_TEMPLATE_FILES).map(([k, f]) => [k, read(f)])) as Record<keyof SenderTemplates, string>;
  return {
    ...others,
    shopifyCreate: read("shopify/orders-create.json"),
    shopifyPaid: read("shopify/orders-paid.json"),
    stripeAuthorized: read("stripe/payment_intent.amount_capturable_updated.json"),
    stripeSucceeded: read("stripe/payment_intent.succeeded.json"),
  };
}

function replaceAll(text: string, from: string, to: string, what: string): string {
  const parts = text.split(from);
  if (parts.length < 2) throw new Error(`fixture drifted: ${what} ('${from}') not found`);
  return parts.join(to);
}

function replaceOnce(text: string, pattern: RegExp, to: string, what: string): string {
  if (!pattern.test(text)) throw new Error(`fixture drifted: ${what} not found`);
  return text.replace(pattern, to);
}

/** Shopify order webhook body (orders/create or orders/paid) for one planned order. */
export function shopifyOrderBody(
  template: string,
  order: Pick<PlannedOrder, "id" | "number" | "flow">,
  times: { created: string; paid?: string },
  financialStatus: "paid" | "authorized",
): string {
  let body = replaceAll(template, FIXTURE_ORDER_ID, order.id, "order id");
  body = replaceAll(body, FIXTURE_CREATED, times.created, "created_at");
  if (body.includes(FIXTURE_PAID)) body = replaceAll(body, FIXTURE_PAID, times.paid ?? times.created, "updated_at");
  body = replaceOnce(body, /"name": "#1001"/, `"name": "#${order.number}"`, "order name");
  body = replaceOnce(body, /"order_number": 1001,/, `"order_number": ${order.number},`, "order_number");
  body = replaceOnce(body, /"financial_status": "[a-z_]+"/, `"financial_status": "${financialStatus}"`, "financial_status");
  // A paid order owes nothing: the engine reads the captured amount as the total less total_outstanding.
  if (financialStatus === "paid") body = replaceOnce(body, /"total_outstanding": "[0-9.]+"/, `"total_outstanding": "0.00"`, "total_outstanding");
  if (order.flow === "stripe_capture" || order.flow === "never_captured") {
    body = replaceAll(body, `"shopify_payments"`, `"stripe"`, "payment gateway");
  }
  return body;
}

interface StripeEvent {
  id: string;
  created: number;
  type: string;
  data: { object: { id: string; description?: string; metadata: Record<string, string> } & Record<string, unknown> };
}

function isStripeEvent(v: unknown): v is StripeEvent {
  if (typeof v !== "object" || v === null) return false;
  const data = (v as { data?: unknown }).data;
  if (typeof data !== "object" || data === null) return false;
  const obj = (data as { object?: unknown }).object;
  return typeof obj === "object" && obj !== null && typeof (obj as { metadata?: unknown }).metadata === "object";
}

/**
 * Stripe bodies hold no integers beyond 2^53 (amounts are minor units, times
 * Unix seconds), so these are edited as JSON. `amountMinor` sets the amounts
 * to another cart's total (the fixture's match Shopify's).
 */
export function stripeBody(template: string, order: Pick<PlannedOrder, "id" | "number" | "paymentIntent">, event: Pick<PlannedEvent, "deliveryId">, occurredAtMs: number, amountMinor?: number): string {
  const parsed: unknown = JSON.parse(template);
  if (!isStripeEvent(parsed)) throw new Error("fixture drifted: Stripe event has no data.object.metadata");
  const intent = order.paymentIntent ?? `pi_${order.id}`;
  parsed.id = event.deliveryId;
  parsed.created = Math.floor(occurredAtMs / 1000);
  parsed.data.object.id = intent;
  parsed.data.object.client_secret = `${intent}_secret_sim`;
  parsed.data.object.description = `Order #${order.number}`;
  parsed.data.object.metadata = { ...parsed.data.object.metadata, order_id: order.id, shopify_order_name: `#${order.number}` };
  if (amountMinor !== undefined) {
    const obj = parsed.data.object;
    for (const field of ["amount", "amount_capturable", "amount_received"]) if (typeof obj[field] === "number" && (field === "amount" || obj[field] !== 0)) obj[field] = amountMinor;
  }
  return JSON.stringify(parsed);
}

/** A Standard Webhooks envelope: `{ type, order_id, occurred_at, data }`. */
export function standardBody(type: string, orderId: string, occurredAtMs: number, data: Record<string, unknown>): string {
  return JSON.stringify({ type, order_id: orderId, occurred_at: new Date(occurredAtMs).toISOString(), data });
}

const CAMPAIGNS = ["bf-2026", "cyber-week", "holiday-gifts", "newsletter-nov"] as const;
const CHANNELS = ["email", "paid_social", "search", "affiliate"] as const;

/** The CRM's attribution clean-up after capture: varied but fixed per order. */
export function attributionData(orderNumber: number): Record<string, unknown> {
  const campaign = CAMPAIGNS[orderNumber % CAMPAIGNS.length] ?? "bf-2026";
  const channel = CHANNELS[Math.floor(orderNumber / CAMPAIGNS.length) % CHANNELS.length] ?? "email";
  return { attribution: { utm_source: channel === "email" ? "newsletter" : channel, utm_medium: channel, utm_campaign: campaign, channel, campaign_id: `cmp_${orderNumber % 97}` } };
}
