import { FIXTURE_ORDER_ID, shopifyFixtures, shopifyTopic, standardFixtures, stripeFixtures } from "./fixtures";
import { call, SECRETS } from "./http";
import { nowSeconds, shopifyHeaders, standardHeaders, stripeHeaders } from "../../cli/sign";

/** The fixtures' order, shared by every sender so a whole lifecycle can be played. */
export const ORDER_ID = FIXTURE_ORDER_ID;
export const SHOPIFY = shopifyFixtures;
export const STRIPE = stripeFixtures;
export const STANDARD = standardFixtures;

export interface DeliveryOptions {
  /** Replace the fixture's body (still signed correctly unless `signature` is given). */
  body?: string;
  /** Delivery id: X-Shopify-Webhook-Id / webhook-id. Stripe's comes from the body's event id. */
  id?: string;
  timestampSec?: number;
  secret?: string;
  headers?: Record<string, string>;
}

export async function shopify(tenant: string, topic: keyof typeof SHOPIFY, o: DeliveryOptions = {}): Promise<Response> {
  const body = o.body ?? SHOPIFY[topic];
  const headers = await shopifyHeaders({
    topic: shopifyTopic(topic),
    body,
    secret: o.secret ?? SECRETS.shopify,
    webhookId: o.id ?? `wh-${topic}`,
  });
  return call("POST", `/v1/tenants/${tenant}/webhooks/shop`, { raw: body, headers: { ...headers, ...o.headers } });
}

export async function stripe(tenant: string, type: keyof typeof STRIPE, o: DeliveryOptions = {}): Promise<Response> {
  const body = o.body ?? STRIPE[type];
  const headers = await stripeHeaders({ body, secret: o.secret ?? SECRETS.stripe, timestampSec: o.timestampSec ?? nowSeconds() });
  return call("POST", `/v1/tenants/${tenant}/webhooks/stripe`, { raw: body, headers: { ...headers, ...o.headers } });
}

export async function standard(
  tenant: string,
  source: "wms" | "carrier",
  type: keyof typeof STANDARD,
  o: DeliveryOptions = {},
): Promise<Response> {
  const body = o.body ?? STANDARD[type];
  const headers = await standardHeaders({ body, secret: o.secret ?? SECRETS.standard, id: o.id ?? `msg_${type}`, timestampSec: o.timestampSec ?? nowSeconds() });
  return call("POST", `/v1/tenants/${tenant}/webhooks/${source}`, { raw: body, headers: { ...headers, ...o.headers } });
}
