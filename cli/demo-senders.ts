import { readFileSync } from "node:fs";
import path from "node:path";
import { easypostHeaders, presetHeaders, shopifyHeaders, signAdyenNotification, standardHeaders, stripeHeaders, wooCommerceHeaders } from "./sign";
import { HmacPresetConfig } from "../domain/webhooks/preset";

/**
 * The demo tenant's senders: what `npm start` registers and how `demo:send`
 * signs each one's sample payloads (test/fixtures/<dir>). Every kind the
 * engine understands has one.
 */
export const DEMO_SENDERS = {
  shop: { kind: "shopify", dir: "shopify" },
  stripe: { kind: "stripe", dir: "stripe" },
  wms: { kind: "standard", dir: "standard" },
  carrier: { kind: "standard", dir: "standard" },
  woo: { kind: "woocommerce", dir: "woocommerce" },
  adyen: { kind: "adyen", dir: "adyen" },
  easypost: { kind: "easypost", dir: "easypost" },
  lemon: { kind: "hmac", dir: "hmac" },
} as const;
export type DemoSource = keyof typeof DEMO_SENDERS;

export function isDemoSource(s: string): s is DemoSource {
  return s in DEMO_SENDERS;
}

const FIXTURES = path.join(import.meta.dirname, "..", "test", "fixtures");

/** The Lemon Squeezy preset (an `hmac` source) and the sample its configuration is dry-run against. */
export function lemonPreset(): { config: unknown; sample: unknown } {
  const read = (f: string): unknown => JSON.parse(readFileSync(path.join(FIXTURES, "hmac", f), "utf8"));
  return { config: read("lemonsqueezy.config.json"), sample: read("lemonsqueezy-order_created.json") };
}

/** The PUT …/sources/:name body for each demo sender; EasyPost orders are keyed by the tracking code (a Tracker names no order). */
export function demoSources(secrets: Record<string, string | undefined>): Record<string, { kind: string; secret: string; config?: unknown }> {
  const out: Record<string, { kind: string; secret: string; config?: unknown }> = {};
  for (const [name, { kind }] of Object.entries(DEMO_SENDERS)) {
    const secret = secrets[name];
    if (secret === undefined) continue;
    if (kind === "easypost") out[name] = { kind, secret, config: { order_id: "$.result.tracking_code" } };
    else if (kind === "hmac") {
      const { config, sample } = lemonPreset();
      out[name] = { kind, secret, config: { ...(config as object), sample } };
    } else out[name] = { kind, secret };
  }
  return out;
}

/** Shopify fixture file name → the X-Shopify-Topic it is sent with: orders-create-paid → orders/create, inventory-levels-update → inventory_levels/update. */
export function shopifyTopic(fixture: string): string {
  const m = /^(inventory-levels|[a-z]+)-([a-z]+)/.exec(fixture);
  return m?.[1] && m[2] ? `${m[1].replace("-", "_")}/${m[2]}` : fixture;
}

/** Every kind of sender the engine understands. */
export type SenderKind = (typeof DEMO_SENDERS)[DemoSource]["kind"];

export interface SignOptions {
  body: string;
  secret: string;
  /** Shopify's X-Shopify-Topic, WooCommerce's X-WC-Webhook-Topic. */
  topic?: string;
  /** The sender's delivery id where it travels in a header (Shopify, Standard Webhooks, WooCommerce); fresh when omitted. */
  deliveryId?: string;
  /** Shopify's X-Shopify-Event-Id and X-Shopify-Triggered-At. */
  eventId?: string;
  triggeredAt?: string;
  /** The `hmac` preset's signature rule (default: the demo's Lemon Squeezy preset). */
  preset?: HmacPresetConfig;
}

/**
 * The body (Adyen's carries its signatures) and headers a sender of this kind
 * posts: the one signer behind `demo:send` and the simulator's senders.
 */
export async function signAs(kind: SenderKind, o: SignOptions): Promise<{ body: string; headers: Record<string, string> }> {
  const { body, secret } = o;
  switch (kind) {
    case "shopify":
      return { body, headers: await shopifyHeaders({ topic: o.topic ?? "orders/create", body, secret, webhookId: o.deliveryId, eventId: o.eventId, triggeredAt: o.triggeredAt }) };
    case "stripe":
      return { body, headers: await stripeHeaders({ body, secret }) };
    case "standard":
      return { body, headers: await standardHeaders({ body, secret, id: o.deliveryId }) };
    case "woocommerce":
      return { body, headers: await wooCommerceHeaders({ topic: o.topic ?? "order.created", body, secret, deliveryId: o.deliveryId }) };
    case "adyen":
      return { body: await signAdyenNotification(body, secret), headers: { "content-type": "application/json" } };
    case "easypost":
      return { body, headers: await easypostHeaders({ body, secret }) };
    case "hmac":
      return { body, headers: await presetHeaders(o.preset ?? demoPreset(), { body, secret, deliveryId: o.deliveryId }) };
  }
}

/** The demo's `hmac` sender: Lemon Squeezy's signature rule. */
export function demoPreset(): HmacPresetConfig {
  return HmacPresetConfig.parse(lemonPreset().config);
}

/** The body and headers a demo sender posts for one fixture. */
export function signDemo(source: DemoSource, fixture: string, body: string, secret: string): Promise<{ body: string; headers: Record<string, string> }> {
  const kind = DEMO_SENDERS[source].kind;
  // Shopify fixture names are the topic (orders-create); WooCommerce's the topic, then the status they show (order.updated-processing).
  const topic = kind === "shopify" ? shopifyTopic(fixture) : kind === "woocommerce" ? fixture.replace(/-.*$/, "") : undefined;
  return signAs(kind, { body, secret, topic });
}
