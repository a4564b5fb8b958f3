import fc from "fast-check";
import { EVENT_TYPES, type EventType } from "../../domain/events/canonical";

/**
 * What each sender posts, as builders (the chaos scenarios' deliveries) and as
 * fast-check arbitraries (the fuzz suite's valid baseline). Hostile variants
 * live in test/fuzz/cases.ts, built on these.
 *
 * Bodies are JSON values that may hold RawToken leaves: number and nesting
 * spellings JSON.stringify cannot produce (1e400, 2^64 as digits, 20 000-deep
 * arrays), spliced into the text verbatim.
 */

export class RawToken {
  constructor(readonly text: string) {}
}
export type Json = null | boolean | number | string | RawToken | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
/** The senders the fuzz suite drives; the first three are built here, the rest in arbitraries-senders.ts. */
export type Sender = "shopify" | "stripe" | "standard" | "woocommerce" | "adyen" | "easypost" | "hmac";

export function isJsonObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RawToken);
}

/** JSON text with every RawToken spliced in as written. */
export function toJsonText(value: Json): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (!(v instanceof RawToken)) return v;
    raws.push(v.text);
    return `\u0000raw:${raws.length - 1}\u0000`;
  });
  return raws.reduce((t, raw, i) => t.replace(JSON.stringify(`\u0000raw:${i}\u0000`), raw), text);
}

/** Minor units → the sender's decimal string ("42.00" EUR, "4200" JPY, "4.200" KWD). */
export function decimal(minor: number, currency: string): string {
  const exp = ["JPY", "KRW", "CLP"].includes(currency.toUpperCase()) ? 0 : ["KWD", "BHD", "JOD"].includes(currency.toUpperCase()) ? 3 : 2;
  if (exp === 0) return String(minor);
  const s = String(minor).padStart(exp + 1, "0");
  return `${s.slice(0, -exp)}.${s.slice(-exp)}`;
}

/** Numeric ids go out as JSON numbers (Shopify's are 64-bit, so as raw digits); others as strings. */
function shopifyId(id: string): Json {
  return /^[1-9]\d*$/.test(id) ? new RawToken(id) : id;
}

/** `2026-11-20T10:00:00-05:00`: an instant written in a sender's local offset. */
export function isoAt(ms: number, offsetMin = 0): string {
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19);
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

// ---------------------------------------------------------------------------
// Builders

export interface LineItemInput {
  sku: string | null;
  variantId: number;
  quantity: number;
  priceMinor: number;
}

export interface ShopifyOrderInput {
  id: string;
  at: string;
  currency: string;
  totalMinor: number;
  financialStatus?: "pending" | "authorized" | "paid" | null;
  email?: string | null;
  note?: string | null;
  tags?: string;
  lineItems?: LineItemInput[];
  shipping?: Record<string, string> | null;
  landingSite?: string;
}

export function shopifyOrder(o: ShopifyOrderInput): JsonObject {
  const items = o.lineItems ?? [{ sku: "MUG-01", variantId: 4242, quantity: 2, priceMinor: Math.floor(o.totalMinor / 2) }];
  return {
    id: shopifyId(o.id),
    created_at: o.at,
    updated_at: o.at,
    processed_at: o.at,
    currency: o.currency,
    total_price: decimal(o.totalMinor, o.currency),
    financial_status: o.financialStatus ?? "pending",
    email: o.email === undefined ? "ada@example.com" : o.email,
    note: o.note ?? null,
    tags: o.tags ?? "vip, chaos",
    source_name: "web",
    payment_gateway_names: ["stripe"],
    landing_site: o.landingSite ?? "/?utm_source=newsletter&utm_campaign=chaos",
    referring_site: "https://news.example/",
    line_items: items.map((li) => ({ sku: li.sku, variant_id: li.variantId, quantity: li.quantity, price: decimal(li.priceMinor, o.currency) })),
    shipping_address: o.shipping === undefined ? { first_name: "Ada", last_name: "Lovelace", address1: "1 Loop Rd", city: "Lyon", zip: "69001", country_code: "FR" } : o.shipping,
  };
}

export type FulfillmentStatus = "pending" | "open" | "success" | "cancelled" | "error" | "failure";

export function shopifyFulfillment(o: { id: string; orderId: string; at: string; status: FulfillmentStatus; delivered?: boolean; trackingUrl?: string }): JsonObject {
  return {
    id: shopifyId(o.id),
    order_id: shopifyId(o.orderId),
    status: o.status,
    shipment_status: o.delivered === true ? "delivered" : null,
    created_at: o.at,
    updated_at: o.at,
    tracking_company: "FastShip",
    tracking_number: `FS${o.id}`,
    tracking_url: o.trackingUrl ?? `https://track.example/FS${o.id}`,
    location_id: new RawToken("905684977"),
  };
}

export function shopifyRefund(o: { id: string; orderId: string; at: string; amountMinor: number; currency: string }): JsonObject {
  return {
    id: shopifyId(o.id),
    order_id: shopifyId(o.orderId),
    created_at: o.at,
    processed_at: o.at,
    transactions: [{ kind: "refund", status: "success", amount: decimal(o.amountMinor, o.currency), currency: o.currency, gateway: "stripe" }],
    refund_line_items: [],
  };
}

export const STRIPE_TYPES = [
  "payment_intent.amount_capturable_updated",
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "charge.captured",
  "charge.refunded",
] as const;
export type StripeType = (typeof STRIPE_TYPES)[number];

export interface StripeEventInput {
  id: string;
  type: StripeType;
  orderId: string;
  amountMinor: number;
  /** Lower-case, as Stripe sends it. */
  currency: string;
  createdSec: number;
  intentId?: string;
  failure?: string | null;
  captureBeforeSec?: number;
}

export function stripeEvent(o: StripeEventInput): JsonObject {
  const pi = o.intentId ?? `pi_${o.id.replace(/^evt_/, "")}`;
  const metadata = { order_id: o.orderId };
  const object: JsonObject = o.type.startsWith("charge.")
    ? {
        id: `ch_${pi.slice(3)}`,
        object: "charge",
        payment_intent: pi,
        amount: o.amountMinor,
        amount_captured: o.amountMinor,
        amount_refunded: o.type === "charge.refunded" ? o.amountMinor : 0,
        refunded: o.type === "charge.refunded",
        currency: o.currency,
        metadata,
        refunds: { data: [{ id: `re_${pi.slice(3)}`, created: o.createdSec }] },
      }
    : {
        id: pi,
        object: "payment_intent",
        amount: o.amountMinor,
        amount_capturable: o.type === "payment_intent.amount_capturable_updated" ? o.amountMinor : 0,
        amount_received: o.type === "payment_intent.succeeded" ? o.amountMinor : 0,
        currency: o.currency,
        metadata,
        last_payment_error: o.failure ? { message: o.failure } : null,
        latest_charge: o.captureBeforeSec === undefined ? `ch_${pi.slice(3)}` : { payment_method_details: { card: { capture_before: o.captureBeforeSec } } },
      };
  return { id: o.id, object: "event", api_version: "2026-10-28.endive", created: o.createdSec, type: o.type, livemode: false, data: { object } };
}

export function standardEnvelope(type: string, orderId: string, occurredAt: string, data: JsonObject): JsonObject {
  return { type, order_id: orderId, occurred_at: occurredAt, data };
}

// ---------------------------------------------------------------------------
// Valid arbitraries: every value here is one the engine must take (2xx)

/** A delivery before signing: the body and the sender's own headers (never its signature). */
export interface Unsigned {
  sender: Sender;
  body: JsonObject;
  headers: Record<string, string>;
  /** Valid, and answered 200 `{ ignored, reason }`: nothing to record (a WooCommerce product without managed stock). */
  ignored?: boolean;
}

const YEAR_2020 = Date.UTC(2020, 0, 1);
const YEAR_2030 = Date.UTC(2030, 0, 1);

export const instantArb = fc
  .record({ ms: fc.integer({ min: YEAR_2020, max: YEAR_2030 }), offset: fc.integer({ min: -48, max: 56 }) })
  .map(({ ms, offset }) => isoAt(ms, offset * 15));

/** Unicode is fine anywhere a sender writes prose: graphemes, RTL, emoji, combining marks. */
export const proseArb = (max = 24) => fc.string({ unit: "grapheme", minLength: 1, maxLength: max });
const idPartArb = fc.stringMatching(/^[A-Za-z0-9]{6,18}$/);
/** Order ids as senders spell them: Shopify's 64-bit integers, or the printable set the engine allows. */
export const orderIdArb = fc.oneof(
  fc.bigInt({ min: 1000n, max: 2n ** 63n - 1n }).map(String),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,39}$/),
);
const currencyArb = fc.constantFrom("USD", "EUR", "GBP", "JPY", "KWD");
const minorArb = fc.integer({ min: 0, max: 10_000_000 });
const contentTypeArb = fc.constantFrom("application/json", "application/json; charset=utf-8", "application/json");

const lineItemArb: fc.Arbitrary<LineItemInput> = fc.record({
  sku: fc.option(proseArb(16), { nil: null }),
  variantId: fc.integer({ min: 1, max: 2 ** 40 }),
  quantity: fc.integer({ min: 0, max: 1000 }),
  priceMinor: minorArb,
});

const shippingArb = fc.option(fc.record({ first_name: proseArb(), last_name: proseArb(), address1: proseArb(40), city: proseArb(), zip: idPartArb, country_code: fc.constantFrom("FR", "US", "JP", "EG") }), { nil: null });

const shopifyOrderArb = fc.record({
  id: orderIdArb,
  at: instantArb,
  currency: currencyArb,
  totalMinor: minorArb,
  financialStatus: fc.constantFrom("pending", "authorized", "paid", null),
  email: fc.option(fc.emailAddress(), { nil: null }),
  note: fc.option(proseArb(200), { nil: null }),
  tags: fc.array(proseArb(12), { maxLength: 5 }).map((t) => t.join(", ")),
  lineItems: fc.array(lineItemArb, { minLength: 0, maxLength: 4 }),
  shipping: shippingArb,
  landingSite: fc.webUrl({ withQueryParameters: true }),
});

export const shopifyArb: fc.Arbitrary<Unsigned> = fc
  .record({
    kind: fc.constantFrom("orders/create", "orders/updated", "orders/paid", "orders/cancelled", "fulfillments/create", "fulfillments/update", "refunds/create"),
    order: shopifyOrderArb,
    child: fc.bigInt({ min: 1000n, max: 2n ** 62n }).map(String),
    status: fc.constantFrom<FulfillmentStatus>("pending", "open", "success", "cancelled", "error", "failure"),
    delivered: fc.boolean(),
    webhookId: fc.uuid(),
    eventId: fc.option(fc.uuid(), { nil: undefined }),
    contentType: contentTypeArb,
  })
  .map(({ kind, order, child, status, delivered, webhookId, eventId, contentType }) => {
    const body =
      kind.startsWith("orders/")
        ? {
            ...shopifyOrder(order),
            // What Shopify sends for these topics (a body that disagrees with its topic is refused: topic_mismatch).
            ...(kind === "orders/cancelled" ? { cancelled_at: order.at, cancel_reason: "customer" } : {}),
            ...(kind === "orders/paid" ? { financial_status: "paid" } : {}),
          }
        : kind === "refunds/create"
          ? shopifyRefund({ id: child, orderId: order.id, at: order.at, amountMinor: order.totalMinor, currency: order.currency })
          : shopifyFulfillment({ id: child, orderId: order.id, at: order.at, status, delivered });
    const headers: Record<string, string> = { "content-type": contentType, "x-shopify-topic": kind, "x-shopify-webhook-id": webhookId, "x-shopify-shop-domain": "fuzz.myshopify.com" };
    if (eventId !== undefined) headers["x-shopify-event-id"] = eventId;
    return { sender: "shopify" as const, body, headers };
  });

export const stripeArb: fc.Arbitrary<Unsigned> = fc
  .record({
    id: idPartArb.map((s) => `evt_${s}`),
    type: fc.constantFrom(...STRIPE_TYPES),
    orderId: orderIdArb,
    amountMinor: minorArb,
    currency: currencyArb.map((c) => c.toLowerCase()),
    createdSec: fc.integer({ min: YEAR_2020 / 1000, max: YEAR_2030 / 1000 }),
    failure: fc.option(proseArb(60), { nil: null }),
    captureBeforeSec: fc.option(fc.integer({ min: YEAR_2020 / 1000, max: YEAR_2030 / 1000 }), { nil: undefined }),
    contentType: contentTypeArb,
  })
  .map(({ contentType, ...o }) => ({ sender: "stripe" as const, body: stripeEvent(o), headers: { "content-type": contentType } }));

const moneyArb = fc.record({ amount_minor: minorArb, currency: currencyArb });
const paymentArb = fc.record({ amount: moneyArb, payment_id: idPartArb, gateway: fc.constantFrom("stripe", "adyen") }, { requiredKeys: [] });
const attributionArb = fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.option(proseArb(30), { nil: null }), { maxKeys: 4 });
const orderDataArb = fc.record(
  {
    total: moneyArb,
    line_items: fc.array(fc.record({ sku: proseArb(16), quantity: fc.integer({ min: 0, max: 1000 }), unit_price_minor: minorArb }), { maxLength: 4 }),
    shipping_address: fc.option(fc.record({ name: proseArb(), address1: proseArb(40), city: proseArb(), country_code: fc.constantFrom("FR", "US") }), { nil: null }),
    customer_email: fc.option(fc.emailAddress(), { nil: null }),
    tags: fc.array(proseArb(12), { maxLength: 5 }),
    note: fc.option(proseArb(200), { nil: null }),
    attribution: attributionArb,
  },
  { requiredKeys: [] },
);
const decisionArb = fc.record({ fulfillment_id: idPartArb, location: idPartArb, export_id: idPartArb }, { requiredKeys: [] });
const shipmentArb = fc.record({ fulfillment_id: idPartArb, carrier: proseArb(), tracking_number: idPartArb, tracking_url: fc.webUrl() }, { requiredKeys: [] });

const DATA: Record<EventType, fc.Arbitrary<JsonObject>> = {
  "order.created": orderDataArb,
  "order.updated": orderDataArb,
  "order.cancelled": fc.record({ reason: fc.option(proseArb(40), { nil: null }) }, { requiredKeys: [] }),
  "payment.authorized": fc.tuple(paymentArb, fc.option(instantArb, { nil: undefined })).map(([p, e]) => (e === undefined ? p : { ...p, expires_at: e })),
  "payment.captured": paymentArb,
  "payment.failed": fc.tuple(paymentArb, fc.option(proseArb(60), { nil: null })).map(([p, reason]) => ({ ...p, reason })),
  "payment.refunded": fc.tuple(paymentArb, fc.boolean(), fc.boolean(), idPartArb).map(([p, full, cumulative, refund_id]) => ({ ...p, full, cumulative, refund_id })),
  "fulfillment.requested": fc.record({ fulfillment_id: idPartArb, location: idPartArb }, { requiredKeys: [] }),
  "fulfillment.accepted": decisionArb,
  "fulfillment.rejected": fc
    .tuple(decisionArb, fc.constantFrom("out_of_stock", "address_invalid", "unserviceable", "other"), fc.option(proseArb(60), { nil: null }))
    .map(([d, code, reason]) => ({ ...d, code, reason })),
  "shipment.shipped": shipmentArb,
  "shipment.delivered": fc.record({ fulfillment_id: idPartArb, carrier: proseArb(), tracking_number: idPartArb }, { requiredKeys: [] }),
  "attribution.updated": attributionArb.map((attribution) => ({ attribution })),
};

export const standardArb: fc.Arbitrary<Unsigned> = fc
  .constantFrom(...EVENT_TYPES)
  .chain((type) => fc.record({ type: fc.constant(type), orderId: orderIdArb, at: instantArb, data: DATA[type], id: fc.uuid(), contentType: contentTypeArb }))
  .map(({ type, orderId, at, data, id, contentType }) => ({
    sender: "standard" as const,
    body: standardEnvelope(type, orderId, at, data),
    headers: { "content-type": contentType, "webhook-id": `msg_${id}` },
  }));

export const VALID: Record<"shopify" | "stripe" | "standard", fc.Arbitrary<Unsigned>> = { shopify: shopifyArb, stripe: stripeArb, standard: standardArb };

// ---------------------------------------------------------------------------
// Hostile values: what a broken or malicious sender puts where a field belongs

const surrogateArb = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const nastyText = [
  "\ud800",
  "tail\udfff",
  "\ud83d",
  "\u202eevil\u202c.exe",
  "\u0000",
  "nul\u0000inside",
  "\ufeffbom",
  "e\u0301\u0301\u0301",
  "\u200b\u200d",
  "👩‍👩‍👧‍👦",
  "Ω≈ç√∫",
  "   ",
  "\r\n\t",
  "__proto__",
  "constructor",
  "'; DROP TABLE orders; --",
  "../../etc/passwd",
];

/** Unicode a parser must survive: lone surrogates, RTL overrides, NUL, BOM, zero-width, and runs of them. */
export const hostileTextArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...nastyText),
  fc.string({ unit: fc.oneof(surrogateArb, fc.constantFrom("\u0000", "\u202e", "\u200f", "\ufffe", "\uffff")), minLength: 1, maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  // Past every field's limit (512 for short text, 4096 for notes), and well past.
  fc.integer({ min: 513, max: 70_000 }).map((n) => "x".repeat(n)),
);

/** Spellings of numbers that break naive code: overflow to Infinity, 2^64, -0, underflow, exponents. */
export const hugeNumberArb: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -1, 0.5, -0.000001, Number.MIN_VALUE),
  fc.constantFrom("1e400", "-1e400", "18446744073709551617", "-0", "1e-400", "1.0e+2", "123456789012345678901234567890").map((t) => new RawToken(t)),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 200n }).map((n) => new RawToken(String(n))),
);

/** Arrays or objects nested deeper than any recursive walker's stack. */
export const deepArb: fc.Arbitrary<Json> = fc
  .tuple(fc.integer({ min: 64, max: 20_000 }), fc.boolean())
  .map(([d, arrays]) => new RawToken(arrays ? `${"[".repeat(d)}${"]".repeat(d)}` : `${'{"a":'.repeat(d)}null${"}".repeat(d)}`));

function fromFc(v: fc.JsonValue): Json {
  if (Array.isArray(v)) return v.map(fromFc);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (x === undefined ? [] : [[k, fromFc(x)]])));
  return v;
}

/** Whatever a field should not hold. */
export const hostileValueArb: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }).map(fromFc) },
  { weight: 3, arbitrary: hostileTextArb },
  { weight: 2, arbitrary: hugeNumberArb },
  { weight: 1, arbitrary: deepArb },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, {}, [], true, "", [null]) },
);

/** Header values a sender might mangle (ASCII: fetch refuses NUL and control bytes in headers before we could). */
export const hostileHeaderArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", " ", "\t", "x".repeat(600), "a b c", "../../x", "%00", "null", "undefined", "0", "-1"),
  fc.string({ unit: "binary-ascii", maxLength: 40 }).map((s) => s.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, "")),
);
