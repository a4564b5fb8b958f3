/**
 * WebCrypto helpers that run unchanged in workerd and Node 20, so the pure
 * adapters can be unit-tested without the Workers runtime.
 */
const encoder = new TextEncoder();

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/** Returns null for anything that is not valid base64 (signatures come from attackers). */
export function fromBase64(s: string): Uint8Array | null {
  const clean = s.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) return null;
  try {
    const bin = atob(clean);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(s: string): Uint8Array | null {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return null;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function importHmacKey(key: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await importHmacKey(key);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data));
}

/**
 * Constant-time check: WebCrypto's HMAC verify compares inside the runtime
 * rather than with an early-exit loop in JS.
 */
export async function hmacSha256Verify(key: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.length !== 32) return false;
  const k = await importHmacKey(key);
  return crypto.subtle.verify("HMAC", k, signature, data);
}

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? utf8(data) : data;
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** Constant-time string equality for bearer tokens (hash both sides so length leaks nothing). */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([sha256Hex(a), sha256Hex(b)]);
  let diff = 0;
  for (let i = 0; i < ha.length; i++) diff |= ha.charCodeAt(i) ^ hb.charCodeAt(i);
  return diff === 0;
}

export function randomToken(bytes = 32): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  return toBase64(b).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * A secret's public fingerprint: `sha256:` + 8 hex of an HMAC keyed by a key
 * derived from SECRETS_KEY. Keyed, so a short or guessable secret cannot be
 * found by hashing candidates; 8 hex tell two secrets apart (and match the
 * fingerprint its owner computes with the same deployment) without revealing
 * any of its characters, as a "last 4" hint would.
 */
export async function secretFingerprint(secret: string, secretsKey: string): Promise<string> {
  const fingerprintKey = await hmacSha256(fromBase64(secretsKey) ?? utf8(secretsKey), utf8("handoff secret fingerprint v1"));
  return `sha256:${toHex(await hmacSha256(fingerprintKey, utf8(secret))).slice(0, 8)}`;
}
