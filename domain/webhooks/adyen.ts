import { fromBase64, fromHex, hmacSha256, hmacSha256Verify, toBase64, utf8 } from "../crypto";

/**
 * Adyen standard notifications sign each NotificationRequestItem, not the
 * body: HMAC-SHA256, keyed with the hex-decoded HMAC key, over eight fields
 * joined by ':' in this fixed order (an absent one is empty), base64 in
 * `additionalData.hmacSignature`. The same rule as @adyen/api-library's
 * HmacValidator.getDataToSign for a notification item (no escaping there:
 * escaping belongs to the key-sorted form Adyen uses for other payloads).
 */

/** One NotificationRequestItem as JSON; only the eight signed fields are read. */
export type AdyenSignedFields = Readonly<Record<string, unknown>>;

function part(v: unknown): string {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : "";
}

function amountPart(amount: unknown, key: "value" | "currency"): string {
  return typeof amount === "object" && amount !== null && !Array.isArray(amount) ? part((amount as Record<string, unknown>)[key]) : "";
}

export function adyenSigningString(item: AdyenSignedFields): string {
  return [
    part(item["pspReference"]),
    part(item["originalReference"]),
    part(item["merchantAccountCode"]),
    part(item["merchantReference"]),
    amountPart(item["amount"], "value"),
    amountPart(item["amount"], "currency"),
    part(item["eventCode"]),
    part(item["success"]),
  ].join(":");
}

/** Adyen's HMAC keys are hex (64 digits for the 32-byte keys the Customer Area generates); null when it is not hex. */
export function adyenKey(hexKey: string): Uint8Array | null {
  const key = fromHex(hexKey.trim());
  return key !== null && key.length > 0 ? key : null;
}

/** The value Adyen puts in additionalData.hmacSignature. */
export async function signAdyen(item: AdyenSignedFields, hexKey: string): Promise<string> {
  const key = adyenKey(hexKey);
  if (key === null) throw new Error("Adyen HMAC key must be hex");
  return toBase64(await hmacSha256(key, utf8(adyenSigningString(item))));
}

export async function verifyAdyenItem(item: AdyenSignedFields, signature: string, key: Uint8Array): Promise<boolean> {
  const sig = fromBase64(signature);
  if (sig === null) return false;
  return hmacSha256Verify(key, utf8(adyenSigningString(item)), sig);
}
