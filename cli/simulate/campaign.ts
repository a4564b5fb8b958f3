import { hash32, Rng } from "./rng";
import { chooseSenders, DEFAULT_MIX, type OrderSenders, type SenderMix } from "./senders";

/**
 * The campaign generator: which orders arrive when, how each is paid, and
 * which sender reports what. Pure and seeded: the same options give the same
 * campaign, byte for byte. Times are campaign milliseconds from the start —
 * the merchant's clock, before --time-factor compresses it.
 *
 * What happens downstream (WMS acceptance, carrier shipment) is not planned
 * here: it follows the engine's exports, which the consumers receive at run
 * time. Their pace is `CONSUMER_TIMING`, drawn per export with `unit()`.
 */

export type Flow =
  /** The cart captures at checkout: Shopify orders/create with financial_status "paid", WooCommerce order.created "processing". */
  | "paid_at_checkout"
  /** Card pre-authorised through the payment gateway (Stripe, Adyen; the hmac preset only captures), captured later by the merchant. */
  | "stripe_capture"
  /** Authorised at checkout, captured later from the cart's admin (Shopify orders/paid, WooCommerce order.updated "processing"). */
  | "shopify_capture"
  /** Pre-authorised through the gateway and never captured: the engine must escalate it, not forget it. */
  | "never_captured";

/** A realistic mix for a merchant running Stripe for part of its traffic. */
export const FLOW_MIX: readonly (readonly [Flow, number])[] = [
  ["paid_at_checkout", 0.4],
  ["stripe_capture", 0.4],
  ["shopify_capture", 0.1],
  ["never_captured", 0.1],
];

export type InboundKind =
  | "shopify.orders/create"
  | "shopify.orders/paid"
  | "stripe.payment_intent.amount_capturable_updated"
  | "stripe.payment_intent.succeeded"
  | "standard.attribution.updated"
  | "woocommerce.order.created"
  | "woocommerce.order.updated"
  | "adyen.AUTHORISATION"
  | "adyen.CAPTURE"
  /** Lemon Squeezy's order_created through the hmac preset: a captured payment. */
  | "hmac.order_created";

/** Which of the tenant's senders reports an inbound kind. */
export type InboundSource = "shop" | "stripe" | "crm" | "woo" | "adyen" | "hmac";

export const SOURCE_OF: Record<InboundKind, InboundSource> = {
  "shopify.orders/create": "shop",
  "shopify.orders/paid": "shop",
  "stripe.payment_intent.amount_capturable_updated": "stripe",
  "stripe.payment_intent.succeeded": "stripe",
  "standard.attribution.updated": "crm",
  "woocommerce.order.created": "woo",
  "woocommerce.order.updated": "woo",
  "adyen.AUTHORISATION": "adyen",
  "adyen.CAPTURE": "adyen",
  "hmac.order_created": "hmac",
};

export interface PlannedEvent {
  /** Unique in the campaign; the fault model decides per key. */
  key: string;
  orderId: string;
  kind: InboundKind;
  /** When it happened (campaign ms): the payload's own timestamp. */
  at: number;
  /** The sender's delivery identity, stable across its retries: Shopify webhook id, Stripe event id, webhook-id, WooCommerce delivery id, Adyen pspReference, the preset's body id. */
  deliveryId: string;
  /** Shopify's X-Shopify-Event-Id (one merchant action); null for other senders. */
  eventId: string | null;
  /** The cart's order creation only: the financial status Shopify reports (WooCommerce: processing or pending). */
  financialStatus: "paid" | "authorized" | null;
}

export interface PlannedOrder {
  /** Shopify-style 19-digit id: above 2^53 on purpose, so any lossy JSON handling shows. */
  id: string;
  number: number;
  flow: Flow;
  createdAt: number;
  /** The gateway's payment for the gateway flows: a Stripe PaymentIntent id (Adyen's pspReference is derived from it). */
  paymentIntent: string | null;
  events: PlannedEvent[];
  /** The WMS reports it out of stock first and accepts it after a restock. */
  stockout: boolean;
  /** Which cart, payment and carrier senders report it. */
  senders: OrderSenders;
}

export interface CampaignOptions {
  orders: number;
  seed: number;
  /** Namespaces order ids so two runs against one tenant never collide (ids, not behaviour). */
  runId: string;
  /** Arrival rate (a Poisson process), in campaign time. */
  ordersPerHour?: number;
  /** Share of captured orders that get a later attribution.updated from the CRM. */
  attributionRate?: number;
  /** Share of routed orders the WMS first reports out of stock. */
  stockoutRate?: number;
  /** Which senders play cart, payment and carrier (default Shopify, Stripe, Standard Webhooks). */
  senders?: SenderMix;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const DEFAULT_ORDERS_PER_HOUR = 1000;
export const DEFAULT_ATTRIBUTION_RATE = 0.3;
export const DEFAULT_STOCKOUT_RATE = 0.03;

/** [min, max] in campaign ms. Chosen so each consumer step ends well inside the demo's SLAs at --time-factor 60. */
export const CAMPAIGN_TIMING = {
  preauthAfterCreate: [2 * SECOND, 20 * SECOND],
  captureAfterCreate: [5 * MINUTE, 60 * MINUTE],
  attributionAfterCapture: [5 * MINUTE, 60 * MINUTE],
} as const;

export const CONSUMER_TIMING = {
  /** WMS acks the routing export after receiving it. */
  wmsAck: [5 * SECOND, 60 * SECOND],
  /** …and reports the pick accepted (or out of stock). */
  wmsDecision: [2 * MINUTE, 30 * MINUTE],
  /** An out-of-stock order is accepted after a restock. */
  restock: [30 * MINUTE, 2 * HOUR],
  /** Carrier picks the parcel up after the shipment request. */
  carrierShip: [10 * MINUTE, 60 * MINUTE],
  /** Express transit. */
  carrierDeliver: [30 * MINUTE, 3 * HOUR],
} as const;

export function orderIdFor(seed: number, runId: string, index: number): string {
  // "7" + 12 digits + 6-digit index: 19 digits, above 2^53, below 2^63 − 1 like Shopify's int64 ids.
  const prefix = String(hash32(`${seed}:${runId}`) % 1_000_000).padStart(6, "0") + String(hash32(`${runId}:${seed}`) % 1_000_000).padStart(6, "0");
  return `7${prefix}${String(index).padStart(6, "0")}`;
}

function between(rng: Rng, [min, max]: readonly [number, number]): number {
  return Math.round(rng.between(min, max));
}

export function generateCampaign(opts: CampaignOptions): PlannedOrder[] {
  if (!Number.isInteger(opts.orders) || opts.orders < 1 || opts.orders > 999_999) throw new Error("orders must be an integer from 1 to 999999");
  const rate = opts.ordersPerHour ?? DEFAULT_ORDERS_PER_HOUR;
  if (!(rate > 0)) throw new Error("ordersPerHour must be positive");
  const attributionRate = opts.attributionRate ?? DEFAULT_ATTRIBUTION_RATE;
  const stockoutRate = opts.stockoutRate ?? DEFAULT_STOCKOUT_RATE;
  const rng = new Rng(opts.seed, `campaign:${opts.runId}`);
  const orders: PlannedOrder[] = [];
  let clock = 0;
  for (let i = 0; i < opts.orders; i++) {
    // The first order opens the campaign; the rest arrive as a Poisson process.
    if (i > 0) clock += rng.exponential(HOUR / rate);
    const createdAt = Math.round(clock);
    const id = orderIdFor(opts.seed, opts.runId, i);
    const number = 1001 + i;
    const flow = rng.weighted(FLOW_MIX);
    const stripe = flow === "stripe_capture" || flow === "never_captured";
    const paymentIntent = stripe ? `pi_${rng.base62(24)}` : null;
    const senders = chooseSenders(opts.seed, id, opts.senders ?? DEFAULT_MIX);
    const events: PlannedEvent[] = [];
    const add = (kind: InboundKind, at: number, financialStatus: PlannedEvent["financialStatus"] = null): void => {
      const source = SOURCE_OF[kind];
      const deliveryId = newDeliveryId(rng, source);
      events.push({
        key: `${id}#${events.length}`,
        orderId: id,
        kind,
        at,
        deliveryId,
        eventId: source === "shop" ? rng.uuid() : null,
        financialStatus,
      });
    };
    const kinds = KINDS[senders.cart];
    const gateway = GATEWAY_KINDS[senders.payment];
    add(kinds.create, createdAt, flow === "paid_at_checkout" ? "paid" : "authorized");
    let capturedAt: number | null = null;
    // Drawn whatever the gateway, so the stream stays aligned; the hmac preset has no authorisation to report.
    const preauthAt = stripe ? createdAt + between(rng, CAMPAIGN_TIMING.preauthAfterCreate) : null;
    if (preauthAt !== null && gateway.authorize !== null) add(gateway.authorize, preauthAt);
    if (flow === "paid_at_checkout") capturedAt = createdAt;
    if (flow === "stripe_capture" || flow === "shopify_capture") {
      capturedAt = createdAt + between(rng, CAMPAIGN_TIMING.captureAfterCreate);
      add(flow === "stripe_capture" ? gateway.capture : kinds.paid, capturedAt);
    }
    // Drawn for every order so the stream stays aligned whatever the flow.
    const attributed = rng.next() < attributionRate;
    const attributionDelay = between(rng, CAMPAIGN_TIMING.attributionAfterCapture);
    if (capturedAt !== null && attributed) add("standard.attribution.updated", capturedAt + attributionDelay);
    const stockout = rng.next() < stockoutRate;
    orders.push({ id, number, flow, createdAt, paymentIntent, events, stockout, senders });
  }
  return orders;
}

const KINDS: Record<OrderSenders["cart"], { create: InboundKind; paid: InboundKind }> = {
  shopify: { create: "shopify.orders/create", paid: "shopify.orders/paid" },
  woocommerce: { create: "woocommerce.order.created", paid: "woocommerce.order.updated" },
};

const GATEWAY_KINDS: Record<OrderSenders["payment"], { authorize: InboundKind | null; capture: InboundKind }> = {
  stripe: { authorize: "stripe.payment_intent.amount_capturable_updated", capture: "stripe.payment_intent.succeeded" },
  adyen: { authorize: "adyen.AUTHORISATION", capture: "adyen.CAPTURE" },
  hmac: { authorize: null, capture: "hmac.order_created" },
};

/** A delivery id shaped like the sender's own. */
function newDeliveryId(rng: Rng, source: InboundSource): string {
  switch (source) {
    case "shop":
      return rng.uuid();
    case "stripe":
      return `evt_${rng.base62(24)}`;
    case "crm":
      return `msg_${rng.base62(27)}`;
    case "woo":
      // WooCommerce's is a sha1 hex of the webhook id and the second.
      return rng.hex(40);
    case "adyen":
      // A pspReference: 16 upper-case letters and digits.
      return rng.base62(16).toUpperCase();
    case "hmac":
      return String(rng.int(100_000, 999_999_999));
  }
}

/** Campaign ms from the first arrival to the last planned inbound event. */
export function campaignSpan(orders: readonly PlannedOrder[]): number {
  let last = 0;
  for (const o of orders) for (const e of o.events) last = Math.max(last, e.at);
  return last;
}
