import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/**
 * sha256 of a string's UTF-8 bytes, as lowercase hex: the same bytes as
 * `createHash("sha256").update(text).digest("hex")` (lone surrogates become
 * U+FFFD in both), proven on random text in test/domain/sha256.unit.test.ts.
 * In JavaScript because workerd's node:crypto wraps the native hash in a
 * JavaScript Buffer layer that cost 5.5–8 µs per short id, against ~3 µs here,
 * and the what-if replay hashes a task id for nearly every decision.
 */
const UTF8 = new TextEncoder();

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(UTF8.encode(text)));
}
