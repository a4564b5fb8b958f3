import type { Attribution } from "../../domain/events/canonical";
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
import { nestedRefunds, topicDisagreement } from "./shopify-topics";
import { parseShopifyStock } from "./shopify-stock";
import type { HeaderGetter, ParseResult, SourceAdapter } from "./types";

/**
 * Shopify webhooks: `X-Shopify-Hmac-Sha256` is the base64 HMAC-SHA256 of the
 * raw body keyed with the app's client secret. Nothing in it is timestamped,
 * so there is no staleness window; replays are caught by the idempotency key.
 */
const verify = bodyHmacVerifier("X-Shopify-Hmac-Sha256");

const ORDER_TOPICS = ["orders/create", "orders/updated", "orders/paid", "orders/cancelled"] as const;
const OTHER_TOPICS = ["fulfillments/create", "fulfillments/update", "refunds/create"] as const;
type Topic = (typeof ORDER_TOPICS)[number] | (typeof OTHER_TOPICS)[number];

function isTopic(t: string): t is Topic {
  return isOrderTopic(t) || (OTHER_TOPICS as readonly string[]).includes(t);
}

type OrderTopic = (typeof ORDER_TOPICS)[number];
function isOrderTopic(t: string): t is OrderTopic {
  return (ORDER_TOPICS as readonly string[]).includes(t);
}

type Body = Record<string, unknown>;
/** An event before the canonical schema has had its say (it validates every field we pass through). */
type Draft = { type: string; occurred_at: string | undefined; data: Record<string, unknown> };

type MoneyDraft = { amount_minor: number; currency: string };

/** Absent amount → undefined; an amount we cannot read exactly → throw (a schema mismatch, not a guess). */
function money(amount: unknown, currency: unknown): MoneyDraft | undefined {
  if (amount === undefined || amount === null) return undefined;
  if (typeof currency !== "string") throw new Error(`amount ${JSON.stringify(amount)} has no currency`);
  if (typeof amount !== "string" && typeof amount !== "number") throw new Error(`amount ${JSON.stringify(amount)} is not a decimal`);
  return { amount_minor: toMinor(amount, currency), currency: currency.toUpperCase() };
}

/** Canonical fields are optional-not-nullable; Shopify sends null for "unset". */
function definedOnly(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out;
}

/**
 * What the customer gets now: an edited order keeps removed items in
 * line_items with current_quantity 0. Those are dropped (not sent on with
 * quantity 0) so nothing downstream can route them; bodies from before
 * current_quantity existed fall back to quantity.
 */
function currentLineItems(items: unknown, currency: unknown): Record<string, unknown>[] | undefined {
  if (!Array.isArray(items)) return undefined;
  return items.filter((li) => at(li, "current_quantity") !== 0).map((li) => lineItem(li, currency));
}

function lineItem(li: unknown, currency: unknown): Record<string, unknown> {
  const item: Record<string, unknown> = {
    // Shops without SKUs are common; the variant is the next most stable handle for inventory.
    sku:
      text(at(li, "sku")) ??
      idText(at(li, "variant_id")) ??
      idText(at(li, "product_id")) ??
      text(at(li, "title")) ??
      text(at(li, "name")) ??
      idText(at(li, "id")) ??
      "",
    quantity: at(li, "current_quantity") ?? at(li, "quantity"),
  };
  const unit = money(at(li, "price"), currency);
  if (unit) item.unit_price_minor = unit.amount_minor;
  // Whether the order needs a shipping address at all: the QA gate reads it (domain/handoff/gate.ts).
  const ships = at(li, "requires_shipping");
  if (typeof ships === "boolean") item.requires_shipping = ships;
  return item;
}

function address(a: unknown): unknown {
  // Anything but an object goes to the schema as-is, so a malformed address is a mismatch, not a silent drop.
  if (!isRecord(a)) return a;
  const joined = [text(a.first_name), text(a.last_name)].filter((s) => s !== undefined).join(" ");
  return definedOnly({
    name: text(a.name) ?? (joined === "" ? undefined : joined),
    address1: text(a.address1),
    address2: text(a.address2),
    city: text(a.city),
    province: text(a.province),
    zip: text(a.zip),
    country_code: text(a.country_code),
  });
}

/** utm_* from the landing URL plus the referrer; values capped so a long URL can't sink the order. */
function attribution(p: Body): Attribution | undefined {
  const out: Attribution = {};
  const landing = text(p.landing_site);
  if (landing) {
    try {
      const url = new URL(landing, "https://landing.invalid");
      for (const [key, value] of url.searchParams) {
        const k = key.toLowerCase();
        if (k.startsWith("utm_") && k.length <= 64 && !(k in out)) out[k] = value.slice(0, 512);
      }
    } catch {
      // An unparseable landing_site only costs us attribution, never the order.
    }
  }
  const referrer = text(p.referring_site);
  if (referrer) out.referring_site = referrer.slice(0, 512);
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * What the customer owes now, in the shop's currency: an edited (or partly
 * refunded) order's current_total_price, else total_price. This is the value
 * the engine locks and compares captures against.
 */
function orderTotal(p: Body): MoneyDraft | undefined {
  return money(p.current_total_price ?? p.total_price, p.currency);
}

/**
 * The same amount in the currency the customer was charged in (multi-currency
 * shops). Kept beside the shop-currency total, never instead of it.
 */
function presentmentTotal(p: Body): MoneyDraft | undefined {
  const set = at(p, "current_total_price_set", "presentment_money") ?? at(p, "total_price_set", "presentment_money");
  return money(at(set, "amount"), at(set, "currency_code"));
}

function orderData(p: Body): Record<string, unknown> {
  // `null` fields below are meaningful ("no email"), so they bypass definedOnly.
  const tags = typeof p.tags === "string" ? p.tags.split(",").map((t) => t.trim()).filter((t) => t !== "") : undefined;
  return {
    ...definedOnly({ total: orderTotal(p), presentment_total: presentmentTotal(p), line_items: currentLineItems(p.line_items, p.currency) }),
    ...(p.shipping_address === undefined ? {} : { shipping_address: address(p.shipping_address) }),
    customer_email: text(p.email) ?? text(p.contact_email) ?? null,
    source_name: text(p.source_name) ?? null,
    ...definedOnly({ tags, attribution: attribution(p) }),
    note: typeof p.note === "string" ? p.note : null,
  };
}

function gatewayPayment(p: Body, amount: MoneyDraft | undefined): Record<string, unknown> {
  return definedOnly({ amount, gateway: text(at(p, "payment_gateway_names", 0)) });
}

/**
 * What has been taken: the order's current total less what is still
 * outstanding. A capture always carries its amount and currency, so the order
 * object can compare it with the total (a partial capture is not "paid").
 */
function capturedAmount(p: Body): MoneyDraft {
  const total = orderTotal(p);
  if (total === undefined) throw new Error("a paid order carries no total_price");
  const outstanding = money(p.total_outstanding, p.currency);
  if (outstanding === undefined) return total;
  return { amount_minor: Math.max(0, total.amount_minor - outstanding.amount_minor), currency: total.currency };
}

function mapOrder(topic: OrderTopic, p: Body, triggeredAt: string | null): Draft[] {
  switch (topic) {
    case "orders/create": {
      const when = firstInstant(p.created_at, p.processed_at, triggeredAt);
      const drafts: Draft[] = [{ type: "order.created", occurred_at: when, data: orderData(p) }];
      // Pre-auth vs capture is decided here: an authorized order must be captured before it lapses.
      if (p.financial_status === "authorized") drafts.push({ type: "payment.authorized", occurred_at: when, data: gatewayPayment(p, orderTotal(p)) });
      if (p.financial_status === "paid") drafts.push({ type: "payment.captured", occurred_at: when, data: gatewayPayment(p, capturedAmount(p)) });
      return drafts;
    }
    case "orders/updated":
      return [{ type: "order.updated", occurred_at: firstInstant(p.updated_at, triggeredAt), data: orderData(p) }];
    case "orders/paid":
      // updated_at moves when the order becomes paid; processed_at is when it was placed (maybe days earlier).
      return [{ type: "payment.captured", occurred_at: firstInstant(p.updated_at, p.processed_at, triggeredAt), data: gatewayPayment(p, capturedAmount(p)) }];
    case "orders/cancelled":
      // A cancellation that refunded the customer carries the refunds: each is
      // recorded as its own payment.refunded (by refund id, so a refunds/create for
      // the same refund counts once).
      return [
        {
          type: "order.cancelled",
          occurred_at: firstInstant(p.cancelled_at, p.updated_at, triggeredAt),
          data: { reason: text(p.cancel_reason) ?? null },
        },
        ...nestedRefunds(p).flatMap((r) => mapRefund(r, triggeredAt)),
      ];
  }
}

const REQUESTED = new Set(["pending", "open"]);
const REJECTED = new Set(["cancelled", "error", "failure"]);

function mapFulfillment(p: Body, triggeredAt: string | null): Draft[] | { unsupported: string } {
  const status = typeof p.status === "string" ? p.status : "";
  const when = firstInstant(p.updated_at, p.created_at, triggeredAt);
  const fulfillment_id = idText(p.id);
  const location = idText(p.location_id);
  if (REQUESTED.has(status)) {
    return [{ type: "fulfillment.requested", occurred_at: when, data: definedOnly({ fulfillment_id, location }) }];
  }
  if (REJECTED.has(status)) {
    return [{ type: "fulfillment.rejected", occurred_at: when, data: definedOnly({ fulfillment_id, location, code: "other", reason: status }) }];
  }
  if (status === "success") {
    const carrier = text(p.tracking_company);
    const tracking_number = text(p.tracking_number) ?? text(at(p, "tracking_numbers", 0));
    if (p.shipment_status === "delivered") {
      return [{ type: "shipment.delivered", occurred_at: when, data: definedOnly({ fulfillment_id, carrier, tracking_number }) }];
    }
    const tracking_url = text(p.tracking_url) ?? text(at(p, "tracking_urls", 0));
    return [{ type: "shipment.shipped", occurred_at: when, data: definedOnly({ fulfillment_id, carrier, tracking_number, tracking_url }) }];
  }
  return { unsupported: `Fulfillment status ${JSON.stringify(p.status)} has no canonical mapping` };
}

/**
 * A refund's own transactions say how much moved. Shopify's sample leaves
 * their currency null, so fall back to the refund's line-item money sets.
 * Whether the refund is *full* cannot be known from the refund alone (no
 * order total in it), so it is always recorded as partial.
 */
function mapRefund(p: Body, triggeredAt: string | null): Draft[] {
  const txs = Array.isArray(p.transactions) ? p.transactions : [];
  const refunds = txs.filter((t) => at(t, "kind") === "refund" && at(t, "status") === "success");
  const currency =
    refunds.map((t) => text(at(t, "currency"))).find((c) => c !== undefined) ??
    text(at(p, "refund_line_items", 0, "subtotal_set", "shop_money", "currency_code")) ??
    text(at(p, "total_duties_set", "shop_money", "currency_code"));
  let amount: MoneyDraft | undefined;
  if (currency !== undefined) {
    let minor = 0;
    for (const t of refunds) {
      const part = money(at(t, "amount"), currency);
      if (part === undefined) throw new Error("a successful refund transaction has no amount");
      minor += part.amount_minor;
    }
    amount = { amount_minor: minor, currency: currency.toUpperCase() };
  } else if (refunds.length > 0) {
    throw new Error("refund transactions carry no currency and the refund has no money set to take it from");
  }
  return [
    {
      type: "payment.refunded",
      occurred_at: firstInstant(p.created_at, p.processed_at, triggeredAt),
      // Each refund is its own amount (not a running total), so refunds add up; the id lets a re-sent one count once.
      data: definedOnly({ amount, gateway: text(at(refunds, 0, "gateway")), refund_id: idText(p.id), full: false, cumulative: false }),
    },
  ];
}

function parse({ raw, headers, source }: { raw: Uint8Array; headers: HeaderGetter; source: string }): ParseResult {
  const body = parseJsonObject(raw);
  if (!body.ok) return body;
  const p = body.value;

  const topicHeader = headers("x-shopify-topic");
  const topic = topicHeader?.trim().toLowerCase() ?? "";
  if (topic === "") return parseFailure("unsupported_event", "X-Shopify-Topic header is missing");
  if (!isTopic(topic)) return parseFailure("unsupported_event", `Shopify topic '${topic}' is not handled`);

  const deliveryId = text(headers("x-shopify-event-id")) ?? text(headers("x-shopify-webhook-id"));
  if (deliveryId === undefined) {
    return parseFailure("schema_mismatch", "Neither X-Shopify-Event-Id nor X-Shopify-Webhook-Id is present; cannot deduplicate");
  }
  // One merchant action (one Event-Id) fires several topics, each with its own
  // events; only the same topic under the same Event-Id is a true repeat.
  const idempotencyKey = `${source}:${topic}:${deliveryId.trim()}`;

  const disagreement = topicDisagreement(topic, p);
  if (disagreement !== null) return parseFailure("topic_mismatch", `Body does not agree with X-Shopify-Topic '${topic}': ${disagreement}`);

  const orderField = isOrderTopic(topic) ? "id" : "order_id";
  const orderId = idText(p[orderField]);
  if (orderId === undefined) return parseFailure("order_id_missing", `Shopify ${topic} payload has no usable '${orderField}'`);

  const triggeredAt = headers("x-shopify-triggered-at");
  let drafts: Draft[];
  try {
    if (topic === "fulfillments/create" || topic === "fulfillments/update") {
      const mapped = mapFulfillment(p, triggeredAt);
      if (!Array.isArray(mapped)) return parseFailure("unsupported_event", mapped.unsupported);
      drafts = mapped;
    } else if (isOrderTopic(topic)) {
      drafts = mapOrder(topic, p, triggeredAt);
    } else {
      drafts = mapRefund(p, triggeredAt);
    }
  } catch (err) {
    return mappingFailure(err);
  }

  const checked = validateEvents(
    drafts.map((d, i) => ({ id: `${idempotencyKey}#${i}`, type: d.type, order_id: orderId, occurred_at: d.occurred_at, source, data: d.data })),
  );
  if (!checked.ok) return checked;
  return { ok: true, idempotencyKey, orderId, events: checked.events, topic };
}

export const shopify = {
  kind: "shopify",
  evidenceHeaders: [
    "x-shopify-topic",
    "x-shopify-shop-domain",
    "x-shopify-event-id",
    "x-shopify-webhook-id",
    "x-shopify-triggered-at",
    "x-shopify-api-version",
    "x-shopify-hmac-sha256",
  ],
  verify,
  parse,
  parseStock: parseShopifyStock,
} satisfies SourceAdapter;
