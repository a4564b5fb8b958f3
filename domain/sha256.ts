import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

/**
 * sha256 of a string's UTF-8 bytes, as lowercase hex: the same bytes as
 * `createHash("sha256").update(text).digest("hex")` (lone surrogates become
 * U+FFFD in both), proven on random text in test/domain/sha256.unit.test.ts.
 * In JavaScript because workerd's node:crypto wraps the native hash in a
 * JavaScript Buffer layer that cost 5.5–8 µs per short id, against ~3 µs here,
 * and the what-if replay hashes a task id for nearly every decision.
 *
 * One hasher is reused, reset from a fresh one by noble's own `_cloneInto` (its state
 * words and counters), and the text is encoded into one scratch buffer: per id, noble's
 * `sha256(bytes)` built a hasher, its block buffer and views, the encoded bytes and a copy
 * of the digest, and zeroed them all after, which cost more than the compression itself.
 */
const UTF8 = new TextEncoder();
const FRESH = sha256.create();
const work = sha256.create();
const digest = new Uint8Array(32);
let scratch = new Uint8Array(256);

export function sha256Hex(text: string): string {
  // encodeInto writes at most 3 bytes per UTF-16 unit.
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  const { written } = UTF8.encodeInto(text, scratch);
  FRESH._cloneInto(work);
  work.update(scratch.subarray(0, written));
  work.digestInto(digest);
  return bytesToHex(digest);
}
