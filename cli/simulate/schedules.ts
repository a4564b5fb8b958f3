/**
 * How each sender redelivers a webhook that was not answered with a 2xx, in
 * the sender's own (uncompressed) time. The simulator replays these schedules
 * divided by --time-factor, so a run takes minutes instead of days.
 *
 * Shopify — "Webhooks will now be retried a total of 8 times over 4 hours using
 *   an exponential backoff schedule" (shopify.dev changelog, "Updates to webhook
 *   retry mechanism", 2024-09-10); a delivery fails unless a 2xx arrives within
 *   5 s (1 s to connect). The individual intervals are not published, so we use
 *   the doubling schedule that fits the documented envelope exactly: 8 retries,
 *   each twice the previous, summing to 4 h — 56.5 s, 1.9 min, 3.8 min, 7.5 min,
 *   15 min, 30 min, 60 min, 2 h. After the 8th failure Shopify gives up (an
 *   Admin-API subscription is then deleted).
 *
 * Stripe — "In live mode, Stripe attempts to deliver a given event to your
 *   webhook endpoint for up to 3 days with an exponential back off" (Stripe
 *   docs, Webhooks); individual intervals are not stated (the Dashboard shows
 *   the next attempt). We use doubling from 1 h — 1, 2, 4, 8, 16, 32 h — and a
 *   last attempt at the 3-day mark (72 h after the first). Stripe does not
 *   publish a response timeout either; 10 s is assumed.
 *
 * Standard Webhooks senders (WMS, carrier, CRM: typically Svix-based) — Svix
 *   documents its schedule (docs.svix.com/retries): immediately, then 5 s, 5 min,
 *   30 min, 2 h, 5 h, 10 h, 10 h; a 2xx within 15 s counts as delivered.
 *
 * WooCommerce — does not redeliver: WC_Webhook::deliver() posts once and a
 *   failure only counts towards disabling the webhook (after 5 consecutive
 *   ones, `woocommerce_max_webhook_delivery_failures`). A lost WooCommerce
 *   webhook is lost; its timeout is `woocommerce_webhook_deliver_timeout`, 5 s.
 *
 * Adyen — three quick retries (9, 18 and 27 s after the first attempt), then
 *   its retry queue: 2, 5, 10, 15, 30 min, 1, 2, 4, 8 h, and on for up to 30
 *   days (docs.adyen.com, "Troubleshoot webhooks"; we stop after the 8 h one).
 *   An answer must come within 10 s.
 *
 * EasyPost — "a progressive backoff scheme" for up to 24 hours (EasyPost
 *   support, webhook URL down); the intervals are not published, so we double
 *   from 1 min and make the last attempt at the 24 h mark. 7 s timeout (assumed).
 *
 * The `hmac` preset stands for the long tail, whose schedules vary; we play
 *   three retries at 5 s, 25 s and 125 s (assumed, the shape many small
 *   senders use) and a 10 s timeout.
 */

export type SenderKind = "shopify" | "stripe" | "standard" | "woocommerce" | "adyen" | "easypost" | "hmac";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const SHOPIFY_WINDOW_MS = 4 * HOUR;
const SHOPIFY_RETRIES = 8;
/** base · (2^8 − 1) = 4 h. */
const SHOPIFY_BASE_MS = SHOPIFY_WINDOW_MS / (2 ** SHOPIFY_RETRIES - 1);

/** Delay before retry n (index n − 1), measured from the previous attempt's failure. */
export const RETRY_SCHEDULES: Record<SenderKind, readonly number[]> = {
  shopify: Array.from({ length: SHOPIFY_RETRIES }, (_, i) => Math.round(SHOPIFY_BASE_MS * 2 ** i)),
  stripe: [1 * HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR, 32 * HOUR, 72 * HOUR - 63 * HOUR],
  standard: [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR],
  woocommerce: [],
  adyen: [9 * SECOND, 9 * SECOND, 9 * SECOND, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, 1 * HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR],
  easypost: [...Array.from({ length: 10 }, (_, i) => MINUTE * 2 ** i), 24 * HOUR - 1023 * MINUTE],
  hmac: [5 * SECOND, 25 * SECOND, 125 * SECOND],
};

/**
 * How long the sender waits for an answer before it counts the attempt as
 * failed. Real time, never compressed: it is about the engine's latency.
 */
export const RESPONSE_TIMEOUT_MS: Record<SenderKind, number> = {
  shopify: 5 * SECOND,
  stripe: 10 * SECOND,
  standard: 15 * SECOND,
  woocommerce: 5 * SECOND,
  adyen: 10 * SECOND,
  easypost: 7 * SECOND,
  hmac: 10 * SECOND,
};

/** Sender time → wall-clock time of the simulation. */
export function compress(ms: number, timeFactor: number): number {
  if (!(timeFactor > 0) || !Number.isFinite(timeFactor)) throw new Error(`time factor must be a positive number, not ${timeFactor}`);
  return ms / timeFactor;
}

/** Delay before the given retry (1-based) in sender time, or null when the sender has given up. */
export function retryDelayMs(kind: SenderKind, retry: number): number | null {
  if (!Number.isInteger(retry) || retry < 1) throw new Error(`retry must be a positive integer, not ${retry}`);
  return RETRY_SCHEDULES[kind][retry - 1] ?? null;
}

/** Total attempts a sender makes for one webhook: the first plus its retries. */
export function maxAttempts(kind: SenderKind): number {
  return RETRY_SCHEDULES[kind].length + 1;
}

/** From the first attempt to the last, in sender time. */
export function retryWindowMs(kind: SenderKind): number {
  return RETRY_SCHEDULES[kind].reduce((a, b) => a + b, 0);
}
