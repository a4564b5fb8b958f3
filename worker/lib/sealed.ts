import { fromBase64, toBase64, utf8 } from "../../domain/crypto";

/**
 * Source signing secrets must be readable (we HMAC with them), so they cannot be
 * hashed like API keys; they are sealed with AES-GCM under SECRETS_KEY instead,
 * so a D1 dump alone does not let anyone forge webhooks.
 */
async function key(secretsKey: string): Promise<CryptoKey> {
  const raw = fromBase64(secretsKey);
  if (!raw || raw.length !== 32) throw new Error("SECRETS_KEY must be base64 of 32 bytes");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function seal(plaintext: string, secretsKey: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await key(secretsKey), utf8(plaintext)));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return toBase64(out);
}

export async function unseal(sealed: string, secretsKey: string): Promise<string> {
  const bytes = fromBase64(sealed);
  if (!bytes || bytes.length < 13) throw new Error("sealed secret is corrupt");
  const pt = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.subarray(0, 12) },
    await key(secretsKey),
    bytes.subarray(12),
  );
  return new TextDecoder().decode(pt);
}
