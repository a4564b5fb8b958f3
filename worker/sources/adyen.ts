import { adyenKey, verifyAdyenItem } from "../../domain/webhooks/adyen";
import { at, firstInstant, idText, isRecord, parseFailure, parseJsonObject, text, validateEvents, verifyFailure } from "./common";
import type { Delivery, HeaderGetter, ParseFailure, Received, SourceAdapter, VerifyInput, VerifyResult } from "./types";

/**
 * Adyen standard notifications: one POST carries `notificationItems`, each a
 * `NotificationRequestItem` signed on its own (domain/webhooks/adyen.ts), each
 * its own receipt, possibly for different orders (merchantReference). The
 * batch is all or nothing: every item must verify and map, or the whole POST
 * is refused (Adyen retries it; items already recorded then answer as
 * duplicates). Adyen expects `[accepted]` once everything is durable.
 */

/** More items than this is no notification batch Adyen sends; refuse to spend HMACs on it. */
export const MAX_ITEMS = 100;

function items(body: Record<string, unknown>): unknown[] | null {
  const list = body.notificationItems;
  if (!Array.isArray(list)) return null;
  return list.map((entry) => at(entry, "NotificationRequestItem"));
}

async function verify({ raw, secret }: VerifyInput): Promise<VerifyResult> {
  // The signatures live inside the body: one that does not parse carries none.
  const body = parseJsonObject(raw);
  const list = body.ok ? items(body.value) : null;
  if (list === null || list.length === 0) return verifyFailure("signature_missing", "No NotificationRequestItem to verify (is this an Adyen standard notification?)");
  if (list.length > MAX_ITEMS) return verifyFailure("signature_invalid", `More than ${MAX_ITEMS} notification items in one request`);
  const key = adyenKey(secret);
  if (key === null) return verifyFailure("signature_invalid", "Source's HMAC key is not hex");
  for (const [i, item] of list.entries()) {
    const signature = text(at(item, "additionalData", "hmacSignature"));
    if (!isRecord(item) || signature === undefined) return verifyFailure("signature_missing", `Notification item ${i} has no additionalData.hmacSignature`);
    if (!(await verifyAdyenItem(item, signature, key))) return verifyFailure("signature_invalid", `Notification item ${i}: hmacSignature does not match its fields`);
  }
  return { ok: true };
}

type Draft = { type: string; data: Record<string, unknown> };

function amountOf(item: Record<string, unknown>): Record<string, unknown> | undefined {
  const amount = item.amount;
  if (!isRecord(amount)) return undefined;
  // Adyen's value is already in minor units.
  return { amount_minor: amount.value, currency: amount.currency };
}

/** The payment a modification (capture, refund, cancellation) acts on is its originalReference. */
function mapItem(item: Record<string, unknown>): Draft | string {
  const code = text(item.eventCode) ?? "";
  const success = item.success === "true" || item.success === true;
  const psp = idText(item.pspReference);
  const original = idText(item.originalReference) ?? psp;
  const amount = amountOf(item);
  const base = { gateway: "adyen", ...(amount === undefined ? {} : { amount }) };
  const reason = text(item.reason) ?? null;
  switch (code) {
    case "AUTHORISATION":
      return success
        ? { type: "payment.authorized", data: { ...base, payment_id: psp } }
        : { type: "payment.failed", data: { ...base, payment_id: psp, reason } };
    case "CAPTURE":
      return success
        ? { type: "payment.captured", data: { ...base, payment_id: original } }
        : { type: "payment.failed", data: { ...base, payment_id: original, reason: reason ?? "capture refused" } };
    case "CAPTURE_FAILED":
      return { type: "payment.failed", data: { ...base, payment_id: original, reason: reason ?? "capture failed" } };
    case "CANCELLATION":
      // A cancelled authorisation is money that will not arrive; a refused cancellation changed nothing.
      return success ? { type: "payment.failed", data: { ...base, payment_id: original, reason: "authorisation cancelled" } } : "a refused CANCELLATION changes nothing";
    case "REFUND":
      return success
        ? { type: "payment.refunded", data: { ...base, payment_id: original, refund_id: psp, full: false, cumulative: false } }
        : "a refused REFUND changes nothing (Adyen reports it as REFUND_FAILED or REFUNDED_REVERSED if money moved back)";
    default:
      return `Adyen eventCode '${code}' is not handled`;
  }
}

function parseItem(item: unknown, index: number, source: string): Delivery | ParseFailure {
  const where = `Notification item ${index}`;
  if (!isRecord(item)) return parseFailure("schema_mismatch", `${where} is not an object`);
  const psp = idText(item.pspReference);
  const code = text(item.eventCode);
  if (psp === undefined || code === undefined) return parseFailure("schema_mismatch", `${where} has no pspReference or eventCode; cannot deduplicate`);
  // Adyen's own rule: eventCode + pspReference identify a notification (success kept too: it may flip on a retry).
  const idempotencyKey = `${source}:${code}:${psp}:${String(item.success)}`;
  const mapped = mapItem(item);
  if (typeof mapped === "string") return parseFailure("unsupported_event", `${where}: ${mapped}`, { item: index, eventCode: code });
  const orderId = idText(item.merchantReference);
  if (orderId === undefined) return parseFailure("order_id_missing", `${where} has no merchantReference`, { item: index });
  const checked = validateEvents([
    { id: `${idempotencyKey}#0`, type: mapped.type, order_id: orderId, occurred_at: firstInstant(item.eventDate), source, data: mapped.data },
  ]);
  if (!checked.ok) return { ...checked, details: { item: index, ...(isRecord(checked.details) ? checked.details : {}) } };
  return { idempotencyKey, orderId, events: checked.events };
}

function parse({ raw, source }: { raw: Uint8Array; headers: HeaderGetter; source: string }): Received {
  const body = parseJsonObject(raw);
  if (!body.ok) return body;
  const list = items(body.value);
  if (list === null || list.length === 0) return parseFailure("schema_mismatch", "Body has no notificationItems");
  const batch: Delivery[] = [];
  for (const [i, item] of list.entries()) {
    const one = parseItem(item, i, source);
    if ("ok" in one) return one;
    batch.push(one);
  }
  return { ok: true, batch };
}

export const adyen = {
  kind: "adyen",
  evidenceHeaders: [],
  verify,
  parse,
  acceptedBody: "[accepted]",
} satisfies SourceAdapter;
