/**
 * Signing as each sender does: the inverse of the adapters' verify(). Used by the
 * tests, the CLI's demo sender, the simulator and the load bench, never by the
 * Worker itself. WebCrypto only, so the same code runs in Node and in workerd.
 */
import { concatBytes, hmacSha256, toBase64, toHex, utf8 } from "../domain/crypto";
import { signAdyen } from "../domain/webhooks/adyen";
import { signEasyPost } from "../domain/webhooks/easypost";
import { encodeSignature, hmac } from "../domain/webhooks/hmac";
import { presetSignedBytes, type HmacPresetConfig } from "../domain/webhooks/preset";
import { signStandard } from "../domain/webhooks/standard";

type Body = string | Uint8Array;

function bytes(body: Body): Uint8Array {
  return typeof body === "string" ? utf8(body) : body;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Value of X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body, keyed with the secret's UTF-8 bytes. */
export async function signShopify(body: Body, secret: string): Promise<string> {
  return toBase64(await hmacSha256(utf8(secret), bytes(body)));
}

/** Value of Stripe-Signature: `t=<unix>,v1=<hex HMAC of "t.body">`, keyed with the whole "whsec_…" string. */
export async function signStripe(body: Body, secret: string, timestampSec: number): Promise<string> {
  const mac = await hmacSha256(utf8(secret), concatBytes(utf8(`${timestampSec}.`), bytes(body)));
  return `t=${timestampSec},v1=${toHex(mac)}`;
}

/** Value of webhook-signature: the codec the Worker verifies with and the order object signs with. */
export { signStandard } from "../domain/webhooks/standard";

export interface ShopifyHeaderOptions {
  topic: string;
  body: Body;
  secret: string;
  /** X-Shopify-Webhook-Id; a fresh UUID when omitted. */
  webhookId?: string;
  /** X-Shopify-Event-Id; omitted from the headers unless given. */
  eventId?: string;
  triggeredAt?: string;
  shopDomain?: string;
  apiVersion?: string;
}

export async function shopifyHeaders(o: ShopifyHeaderOptions): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-shopify-topic": o.topic,
    "x-shopify-hmac-sha256": await signShopify(o.body, o.secret),
    "x-shopify-shop-domain": o.shopDomain ?? "handoff-demo.myshopify.com",
    "x-shopify-api-version": o.apiVersion ?? "2026-10",
    "x-shopify-webhook-id": o.webhookId ?? crypto.randomUUID(),
    "x-shopify-triggered-at": o.triggeredAt ?? new Date().toISOString(),
  };
  if (o.eventId !== undefined) headers["x-shopify-event-id"] = o.eventId;
  return headers;
}

export interface StripeHeaderOptions {
  body: Body;
  secret: string;
  /** Unix seconds; now when omitted. */
  timestampSec?: number;
}

export async function stripeHeaders(o: StripeHeaderOptions): Promise<Record<string, string>> {
  return {
    "content-type": "application/json",
    "stripe-signature": await signStripe(o.body, o.secret, o.timestampSec ?? nowSeconds()),
  };
}

export interface StandardHeaderOptions {
  body: Body;
  secret: string;
  /** webhook-id; a fresh `msg_<uuid>` when omitted. */
  id?: string;
  /** Unix seconds; now when omitted. */
  timestampSec?: number;
}

export async function standardHeaders(o: StandardHeaderOptions): Promise<Record<string, string>> {
  const id = o.id ?? `msg_${crypto.randomUUID()}`;
  const ts = o.timestampSec ?? nowSeconds();
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": await signStandard(id, ts, o.body, o.secret),
  };
}

export interface WooCommerceHeaderOptions {
  topic: string;
  body: Body;
  secret: string;
  /** X-WC-Webhook-ID; 7 when omitted. */
  webhookId?: string;
  /** X-WC-Webhook-Delivery-ID; a fresh hash-like value when omitted. */
  deliveryId?: string;
  source?: string;
}

/** The headers that name a WooCommerce delivery: its topic (split into resource and event as WC_Webhook does), webhook and delivery ids. */
export function wooCommerceDeliveryHeaders(topic: string, webhookId: string, deliveryId: string): Record<string, string> {
  const [resource = "", event = ""] = topic.split(".");
  return {
    "x-wc-webhook-topic": topic,
    "x-wc-webhook-resource": resource,
    "x-wc-webhook-event": event,
    "x-wc-webhook-id": webhookId,
    "x-wc-webhook-delivery-id": deliveryId,
  };
}

/** As WooCommerce's WC_Webhook::deliver sends them; the signature is Shopify's rule (base64 HMAC-SHA256 of the body). */
export async function wooCommerceHeaders(o: WooCommerceHeaderOptions): Promise<Record<string, string>> {
  return {
    "content-type": "application/json",
    "user-agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)",
    "x-wc-webhook-source": o.source ?? "https://shop.example/",
    "x-wc-webhook-signature": await signShopify(o.body, o.secret),
    ...wooCommerceDeliveryHeaders(o.topic, o.webhookId ?? "7", o.deliveryId ?? toHex(crypto.getRandomValues(new Uint8Array(16)))),
  };
}

/**
 * An Adyen notification body with every item's additionalData.hmacSignature
 * set as Adyen sets it. Adyen signs fields, not bytes, so the body is
 * re-serialised (its amounts and references fit JSON numbers and strings).
 */
export async function signAdyenNotification(body: string, hexKey: string): Promise<string> {
  const parsed = JSON.parse(body) as { notificationItems?: { NotificationRequestItem?: Record<string, unknown> }[] };
  for (const entry of parsed.notificationItems ?? []) {
    const item = entry.NotificationRequestItem;
    if (item === undefined) continue;
    const extra = typeof item.additionalData === "object" && item.additionalData !== null ? (item.additionalData as Record<string, unknown>) : {};
    item.additionalData = { ...extra, hmacSignature: await signAdyen(item, hexKey) };
  }
  return JSON.stringify(parsed);
}

export async function easypostHeaders(o: { body: Body; secret: string }): Promise<Record<string, string>> {
  return { "content-type": "application/json", "user-agent": "EasyPost WebHook Agent 1.0", "x-hmac-signature": await signEasyPost(bytes(o.body), o.secret) };
}

/** Headers a sender configured as an `hmac` preset sends (the inverse of worker/sources/hmac.ts). */
export async function presetHeaders(config: HmacPresetConfig, o: { body: Body; secret: string; timestampSec?: number; deliveryId?: string }): Promise<Record<string, string>> {
  const ts = String(o.timestampSec ?? nowSeconds());
  const mac = await hmac(config.signature.algorithm, utf8(o.secret), presetSignedBytes(config.signature.signed_payload, bytes(o.body), ts));
  const headers: Record<string, string> = { "content-type": "application/json", [config.signature.header]: `${config.signature.prefix}${encodeSignature(mac, config.signature.encoding)}` };
  if (config.timestamp !== undefined) headers[config.timestamp.header] = ts;
  if ("header" in config.delivery_id) headers[config.delivery_id.header] = o.deliveryId ?? `dlv_${crypto.randomUUID()}`;
  return headers;
}

/** The adapters' HeaderGetter over a plain object, case-insensitively (as a Request's Headers would be). */
export function headerGetter(headers: Record<string, string>): (name: string) => string | null {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase()) ?? null;
}
