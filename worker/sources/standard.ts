import { EVENT_TYPES, type EventType } from "../../domain/events/canonical";
import { concatBytes, fromBase64, hmacSha256Verify, utf8 } from "../../domain/crypto";
import {
  firstInstant,
  idText,
  parseFailure,
  parseJsonObject,
  text,
  timestampProblem,
  validateEvents,
  verifyFailure,
} from "./common";
import type { HeaderGetter, ParseResult, SourceAdapter, VerifyResult } from "./types";

/**
 * Standard Webhooks (standardwebhooks.com), spoken by the OMS/WMS/carrier/CRM
 * senders: `webhook-signature` is a space-separated list of `v1,<base64>`
 * HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${raw body}`, keyed
 * with the base64-decoded part of the `whsec_…` secret. Their body is already
 * a canonical envelope; this adapter only checks it.
 */

const SECRET_PREFIX = "whsec_";
/** More than a handful of signatures is not a key rotation; refuse to spend HMACs on it. */
const MAX_SIGNATURES = 8;

/** The key bytes of a `whsec_<base64>` secret; a bare base64 secret is accepted too. */
export function standardSecretKey(secret: string): Uint8Array | null {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = fromBase64(b64);
  return key === null || key.length === 0 ? null : key;
}

function present(v: string | null): v is string {
  return v !== null && v.trim() !== "";
}

async function verify({ raw, headers, secret, now }: { raw: Uint8Array; headers: HeaderGetter; secret: string; now: number }): Promise<VerifyResult> {
  const id = headers("webhook-id");
  const timestamp = headers("webhook-timestamp");
  const signature = headers("webhook-signature");
  if (!present(id) || !present(timestamp) || !present(signature)) {
    const missing = Object.entries({ "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature })
      .filter(([, v]) => !present(v))
      .map(([name]) => name);
    return verifyFailure("signature_missing", `Missing Standard Webhooks header(s): ${missing.join(", ")}`);
  }
  if (!/^\d{1,12}$/.test(timestamp.trim())) return verifyFailure("signature_invalid", "webhook-timestamp is not unix seconds");

  const v1 = signature
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => s.slice(3));
  if (v1.length === 0) return verifyFailure("signature_missing", "webhook-signature carries no v1 signature");
  if (v1.length > MAX_SIGNATURES) return verifyFailure("signature_invalid", "webhook-signature carries too many signatures");

  const key = standardSecretKey(secret);
  if (key === null) return verifyFailure("signature_invalid", "Source secret is not a whsec_<base64> key");

  const signed = concatBytes(utf8(`${id}.${timestamp.trim()}.`), raw);
  let matched = false;
  for (const b64 of v1) {
    const sig = fromBase64(b64);
    if (sig !== null && (await hmacSha256Verify(key, signed, sig))) {
      matched = true;
      break;
    }
  }
  if (!matched) return verifyFailure("signature_invalid", "No v1 signature in webhook-signature matches the body");

  // After the HMAC, so "stale" always means an authentic but old (replayed or delayed) message.
  const problem = timestampProblem(Number(timestamp.trim()), now);
  return problem === null ? { ok: true } : verifyFailure("timestamp_stale", problem);
}

function isEventType(t: string): t is EventType {
  return (EVENT_TYPES as readonly string[]).includes(t);
}

function parse({ raw, headers, source }: { raw: Uint8Array; headers: HeaderGetter; source: string }): ParseResult {
  const body = parseJsonObject(raw);
  if (!body.ok) return body;
  const env = body.value;

  const type = text(env.type);
  if (type === undefined) return parseFailure("unsupported_event", "Envelope has no type");
  if (!isEventType(type)) {
    return parseFailure("unsupported_event", `Event type '${type}' is not a canonical type`, { supported: EVENT_TYPES });
  }

  const msgId = text(headers("webhook-id"));
  if (msgId === undefined) return parseFailure("schema_mismatch", "webhook-id header is missing; cannot deduplicate");
  const idempotencyKey = `${source}:${msgId.trim()}`;

  const orderId = idText(env.order_id);
  if (orderId === undefined) return parseFailure("order_id_missing", "Envelope has no order_id");

  const checked = validateEvents([
    {
      id: `${idempotencyKey}#0`,
      type,
      order_id: orderId,
      // A valid instant is normalised to UTC like every other sender's; anything else reaches the schema untouched.
      occurred_at: firstInstant(env.occurred_at) ?? env.occurred_at,
      source,
      data: env.data,
    },
  ]);
  if (!checked.ok) return checked;
  return { ok: true, idempotencyKey, orderId, events: checked.events };
}

export const standard: SourceAdapter = {
  kind: "standard",
  evidenceHeaders: ["webhook-id", "webhook-timestamp", "webhook-signature"],
  verify,
  parse,
};
