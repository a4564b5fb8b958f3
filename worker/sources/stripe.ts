import { concatBytes, fromHex, hmacSha256Verify, utf8 } from "../../domain/crypto";
import {
  at,
  idText,
  isRecord,
  parseFailure,
  parseJsonObject,
  staleFailure,
  text,
  timestampProblem,
  unixToIso,
  validateEvents,
  verifyFailure,
} from "./common";
import type { HeaderGetter, ParseResult, SourceAdapter, VerifyResult } from "./types";

/**
 * Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]` where each
 * v1 is HMAC-SHA256 over `${t}.${raw body}`, keyed with the endpoint secret
 * string exactly as shown in the dashboard ("whsec_…" included) — the same key
 * Stripe's own libraries use. Several v1 values appear while a secret rolls.
 */

/** More v1 entries than this is not a secret roll; refuse to spend HMACs on it. */
const MAX_SIGNATURES = 8;

async function verify({ raw, headers, secret, now }: { raw: Uint8Array; headers: HeaderGetter; secret: string; now: number }): Promise<VerifyResult> {
  const header = headers("stripe-signature");
  if (header === null || header.trim() === "") return verifyFailure("signature_missing", "Stripe-Signature header is missing");

  let timestamp: string | undefined;
  const v1: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) return verifyFailure("signature_invalid", "Stripe-Signature is malformed (expected key=value pairs)");
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t") timestamp = value;
    else if (key === "v1") v1.push(value);
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    return verifyFailure("signature_invalid", "Stripe-Signature has no valid t= timestamp");
  }
  if (v1.length === 0) return verifyFailure("signature_missing", "Stripe-Signature carries no v1 signature");
  if (v1.length > MAX_SIGNATURES) return verifyFailure("signature_invalid", "Stripe-Signature carries too many signatures");
  if (secret === "") return verifyFailure("signature_invalid", "Source has an empty signing secret");

  const key = utf8(secret);
  const signed = concatBytes(utf8(`${timestamp}.`), raw);
  let matched = false;
  for (const hex of v1) {
    const sig = fromHex(hex);
    if (sig !== null && (await hmacSha256Verify(key, signed, sig))) {
      matched = true;
      break;
    }
  }
  if (!matched) return verifyFailure("signature_invalid", "No v1 signature in Stripe-Signature matches the body");

  // Checked after the HMAC so "stale" always means an authentic but old (replayed or delayed) delivery.
  const problem = timestampProblem(Number(timestamp), now);
  return problem === null ? { ok: true } : staleFailure(problem);
}

type Draft = { type: string; data: Record<string, unknown> };

const HANDLED_TYPES = new Set([
  "payment_intent.amount_capturable_updated",
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "charge.captured",
  "charge.refunded",
]);

function amountOf(obj: Record<string, unknown>, field: string): { amount_minor: unknown; currency: unknown } {
  const currency = typeof obj.currency === "string" ? obj.currency.toUpperCase() : obj.currency;
  return { amount_minor: obj[field], currency };
}

/** A charge's PaymentIntent id when it has one (expanded or not); legacy charges stand alone. */
function intentId(charge: Record<string, unknown>): string | undefined {
  return idText(charge.payment_intent) ?? idText(at(charge, "payment_intent", "id")) ?? idText(charge.id);
}

/**
 * The refund that triggered this charge.refunded, when the charge carries its
 * refunds list (older API versions embed it; newer ones only when expanded).
 * Picked by `created`, not list position, so the list's sort order is no assumption.
 */
function latestRefundId(charge: Record<string, unknown>): string | undefined {
  const list = at(charge, "refunds", "data");
  if (!Array.isArray(list)) return undefined;
  let latest: { id: string; created: number } | undefined;
  for (const r of list) {
    const id = idText(at(r, "id"));
    const created = at(r, "created");
    if (id === undefined) continue;
    const when = typeof created === "number" ? created : Number.NEGATIVE_INFINITY;
    if (latest === undefined || when > latest.created) latest = { id, created: when };
  }
  return latest?.id;
}

/**
 * Webhooks never expand `latest_charge`, but an event re-fetched through the
 * API may; when it is expanded, the card tells us when the authorization lapses.
 */
function captureBefore(intent: Record<string, unknown>): string | undefined {
  return unixToIso(at(intent, "latest_charge", "payment_method_details", "card", "capture_before"));
}

function mapObject(type: string, obj: Record<string, unknown>): Draft | null {
  switch (type) {
    case "payment_intent.amount_capturable_updated": {
      const expires_at = captureBefore(obj);
      return {
        type: "payment.authorized",
        data: {
          amount: amountOf(obj, "amount_capturable"),
          payment_id: idText(obj.id),
          gateway: "stripe",
          ...(expires_at === undefined ? {} : { expires_at }),
        },
      };
    }
    case "payment_intent.succeeded":
      return { type: "payment.captured", data: { amount: amountOf(obj, "amount_received"), payment_id: idText(obj.id), gateway: "stripe" } };
    case "charge.captured":
      return { type: "payment.captured", data: { amount: amountOf(obj, "amount_captured"), payment_id: intentId(obj), gateway: "stripe" } };
    case "payment_intent.payment_failed":
      return {
        type: "payment.failed",
        data: {
          amount: amountOf(obj, "amount"),
          payment_id: idText(obj.id),
          gateway: "stripe",
          reason: text(at(obj, "last_payment_error", "message")) ?? null,
        },
      };
    case "charge.refunded": {
      const refund_id = latestRefundId(obj);
      return {
        type: "payment.refunded",
        data: {
          // amount_refunded is the charge's running total, so the view takes the
          // largest such report per payment instead of adding them up.
          amount: amountOf(obj, "amount_refunded"),
          payment_id: intentId(obj),
          gateway: "stripe",
          full: obj.refunded === true,
          cumulative: true,
          ...(refund_id === undefined ? {} : { refund_id }),
        },
      };
    }
    default:
      return null;
  }
}

function parse({ raw, source }: { raw: Uint8Array; headers: HeaderGetter; source: string }): ParseResult {
  const body = parseJsonObject(raw);
  if (!body.ok) return body;
  const event = body.value;

  const type = text(event.type);
  if (type === undefined) return parseFailure("unsupported_event", "Stripe event has no type");
  if (!HANDLED_TYPES.has(type)) return parseFailure("unsupported_event", `Stripe event type '${type}' is not handled`);
  const obj = at(event, "data", "object");
  if (!isRecord(obj)) return parseFailure("schema_mismatch", "Stripe event has no data.object");
  const draft = mapObject(type, obj);
  if (draft === null) return parseFailure("unsupported_event", `Stripe event type '${type}' is not handled`);

  const eventId = text(event.id);
  if (eventId === undefined) return parseFailure("schema_mismatch", "Stripe event has no id; cannot deduplicate");
  const idempotencyKey = `${source}:${eventId}`;

  // Stripe knows nothing of our orders: the checkout puts the order id in metadata.
  const orderId = text(at(obj, "metadata", "order_id"));
  if (orderId === undefined) return parseFailure("order_id_missing", `Stripe ${type} object has no metadata.order_id`);

  const checked = validateEvents([
    { id: `${idempotencyKey}#0`, type: draft.type, order_id: orderId, occurred_at: unixToIso(event.created), source, data: draft.data },
  ]);
  if (!checked.ok) return checked;
  return { ok: true, idempotencyKey, orderId, events: checked.events };
}

export const stripe = {
  kind: "stripe",
  evidenceHeaders: ["stripe-signature"],
  verify,
  parse,
} satisfies SourceAdapter;
