/**
 * Signing as each sender does: the inverse of the adapters' verify(). Used by the
 * tests, the CLI's demo sender, the simulator and the load bench, never by the
 * Worker itself. WebCrypto only, so the same code runs in Node and in workerd.
 */
import { concatBytes, hmacSha256, toBase64, toHex, utf8 } from "../domain/crypto";
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

/** The adapters' HeaderGetter over a plain object, case-insensitively (as a Request's Headers would be). */
export function headerGetter(headers: Record<string, string>): (name: string) => string | null {
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return (name) => lower.get(name.toLowerCase()) ?? null;
}
