import { fromBase64, fromHex, toBase64, toHex } from "../crypto";

/**
 * HMAC over any of the hashes senders use, on WebCrypto (the same code in
 * workerd and Node). Verification goes through `crypto.subtle.verify`, so the
 * comparison is constant-time inside the runtime, never an early-exit JS loop.
 */

export const HMAC_ALGORITHMS = ["sha1", "sha256", "sha512"] as const;
export type HmacAlgorithm = (typeof HMAC_ALGORITHMS)[number];
export const SIGNATURE_ENCODINGS = ["hex", "base64"] as const;
export type SignatureEncoding = (typeof SIGNATURE_ENCODINGS)[number];

const HASH: Record<HmacAlgorithm, { name: string; bytes: number }> = {
  sha1: { name: "SHA-1", bytes: 20 },
  sha256: { name: "SHA-256", bytes: 32 },
  sha512: { name: "SHA-512", bytes: 64 },
};

function importKey(algorithm: HmacAlgorithm, key: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", key, { name: "HMAC", hash: HASH[algorithm].name }, false, ["sign", "verify"]);
}

export async function hmac(algorithm: HmacAlgorithm, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await importKey(algorithm, key), data));
}

export async function hmacVerify(algorithm: HmacAlgorithm, key: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.length !== HASH[algorithm].bytes) return false;
  return crypto.subtle.verify("HMAC", await importKey(algorithm, key), signature, data);
}

export function encodeSignature(bytes: Uint8Array, encoding: SignatureEncoding): string {
  return encoding === "hex" ? toHex(bytes) : toBase64(bytes);
}

/** Null for text that is not a signature in that encoding (it comes from whoever posts to us). */
export function decodeSignature(text: string, encoding: SignatureEncoding): Uint8Array | null {
  return encoding === "hex" ? fromHex(text.trim()) : fromBase64(text.trim());
}
