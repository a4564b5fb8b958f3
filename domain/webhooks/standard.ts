import { concatBytes, fromBase64, hmacSha256, hmacSha256Verify, toBase64, utf8 } from "../crypto";
import { timestampProblem } from "./timestamp";

/**
 * Standard Webhooks (standardwebhooks.com), the one implementation: what the
 * edge verifies from OMS/WMS/carrier/CRM senders and from consumers' acks, what
 * the order object signs its deliveries with, and what the CLI and tests sign
 * with. `webhook-signature` is a space-separated list of `v1,<base64>`
 * HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${raw body}`, keyed with
 * the base64-decoded part of the `whsec_…` secret.
 *
 * Ours rather than the `standardwebhooks` library's (which stays the oracle the
 * tests check us against): its verify reads Date.now() (the order object's
 * clock is injected), checks the timestamp before the signature (we refuse a
 * forged message as forged, and call only an authentic old one stale), takes
 * text rather than the raw bytes, and answers every failure with one error
 * type, where the API promises distinct codes. WebCrypto keeps the HMAC compare
 * constant-time in both workerd and Node.
 */

export const SECRET_PREFIX = "whsec_";
export const STANDARD_HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;
/** More than a handful of signatures is not a key rotation; refuse to spend HMACs on it. */
const MAX_SIGNATURES = 8;

export type StandardVerifyResult =
  | { ok: true }
  | {
      ok: false;
      code: "signature_missing" | "signature_invalid" | "timestamp_stale";
      message: string;
      /** The signature matched; only the signed timestamp is out of tolerance. */
      authentic?: true;
    };

/** The key bytes of a `whsec_<base64>` secret; a bare base64 secret is accepted too. */
export function standardSecretKey(secret: string): Uint8Array | null {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = fromBase64(b64);
  return key === null || key.length === 0 ? null : key;
}

function signedContent(id: string, timestampSec: string | number, body: string | Uint8Array): Uint8Array {
  return concatBytes(utf8(`${id}.${timestampSec}.`), typeof body === "string" ? utf8(body) : body);
}

/** The `webhook-signature` value for one message: `v1,<base64>`. Throws when the secret is not a whsec_<base64> key. */
export async function signStandard(id: string, timestampSec: number, body: string | Uint8Array, secret: string): Promise<string> {
  const key = standardSecretKey(secret);
  if (key === null) throw new Error("Standard Webhooks secret must be whsec_<base64>");
  return `v1,${toBase64(await hmacSha256(key, signedContent(id, timestampSec, body)))}`;
}

function present(v: string | null): v is string {
  return v !== null && v.trim() !== "";
}

/** Checks one message's signature on its raw bytes, then (only if authentic) its age against `now` (ms). */
export async function verifyStandard(input: {
  raw: Uint8Array;
  headers: (name: string) => string | null;
  secret: string;
  now: number;
}): Promise<StandardVerifyResult> {
  const { raw, headers, secret, now } = input;
  const id = headers("webhook-id");
  const timestamp = headers("webhook-timestamp");
  const signature = headers("webhook-signature");
  if (!present(id) || !present(timestamp) || !present(signature)) {
    const missing = Object.entries({ "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature })
      .filter(([, v]) => !present(v))
      .map(([name]) => name);
    return { ok: false, code: "signature_missing", message: `Missing Standard Webhooks header(s): ${missing.join(", ")}` };
  }
  if (!/^\d{1,12}$/.test(timestamp.trim())) return { ok: false, code: "signature_invalid", message: "webhook-timestamp is not unix seconds" };

  const v1 = signature
    .split(" ")
    .filter((s) => s.startsWith("v1,"))
    .map((s) => s.slice(3));
  if (v1.length === 0) return { ok: false, code: "signature_missing", message: "webhook-signature carries no v1 signature" };
  if (v1.length > MAX_SIGNATURES) return { ok: false, code: "signature_invalid", message: "webhook-signature carries too many signatures" };

  const key = standardSecretKey(secret);
  if (key === null) return { ok: false, code: "signature_invalid", message: "Source secret is not a whsec_<base64> key" };

  const signed = signedContent(id, timestamp.trim(), raw);
  let matched = false;
  for (const b64 of v1) {
    const sig = fromBase64(b64);
    if (sig !== null && (await hmacSha256Verify(key, signed, sig))) {
      matched = true;
      break;
    }
  }
  if (!matched) return { ok: false, code: "signature_invalid", message: "No v1 signature in webhook-signature matches the body" };

  // After the HMAC, so "stale" always means an authentic but old (replayed or delayed) message.
  const problem = timestampProblem(Number(timestamp.trim()), now);
  return problem === null ? { ok: true } : { ok: false, code: "timestamp_stale", message: problem, authentic: true };
}
