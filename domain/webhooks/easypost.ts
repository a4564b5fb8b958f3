import { fromHex, hmacSha256, hmacSha256Verify, toHex, utf8 } from "../crypto";

/**
 * EasyPost: `X-Hmac-Signature: hmac-sha256-hex=<hex>`, the HMAC-SHA256 of the
 * raw body keyed with the webhook secret's UTF-8 bytes after Unicode NFKD
 * normalisation (as its client libraries validate it), so a secret typed with
 * composed or compatibility characters keys the same HMAC on both sides.
 */
export const EASYPOST_PREFIX = "hmac-sha256-hex=";

function easypostKey(secret: string): Uint8Array {
  return utf8(secret.normalize("NFKD"));
}

export async function signEasyPost(body: Uint8Array, secret: string): Promise<string> {
  return `${EASYPOST_PREFIX}${toHex(await hmacSha256(easypostKey(secret), body))}`;
}

/** Whether the header is EasyPost's form and its HMAC matches the body. */
export async function verifyEasyPost(body: Uint8Array, header: string, secret: string): Promise<boolean> {
  const value = header.trim();
  if (!value.toLowerCase().startsWith(EASYPOST_PREFIX)) return false;
  const sig = fromHex(value.slice(EASYPOST_PREFIX.length));
  if (sig === null || sig.length !== 32) return false;
  return hmacSha256Verify(easypostKey(secret), body, sig);
}
