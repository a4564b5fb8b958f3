import { z } from "zod";
import { fromBase64, hmacSha256Verify, utf8 } from "../../domain/crypto";
import { CanonicalEvent } from "../../domain/events/canonical";
import type { ParseFailure, VerifyFailure, VerifyInput, VerifyResult } from "./types";

/** Senders and we may disagree on clocks; both directions get the same window (shared with the Standard Webhooks codec). */
export { TOLERANCE_SECONDS, timestampProblem } from "../../domain/webhooks/timestamp";

export function verifyFailure(code: VerifyFailure["code"], message: string): VerifyFailure {
  return { ok: false, code, message };
}

/** An authentic delivery whose signed timestamp is out of tolerance (a replay or a delayed retry). */
export function staleFailure(problem: string): VerifyFailure {
  return { ok: false, code: "timestamp_stale", message: problem, authentic: true };
}

/**
 * The base64 HMAC-SHA256 of the raw body, keyed with the secret's UTF-8 bytes,
 * in one header: Shopify's X-Shopify-Hmac-Sha256 and WooCommerce's
 * X-WC-Webhook-Signature are the same rule. Nothing in it is timestamped, so
 * replays are caught by the idempotency key instead.
 */
export function bodyHmacVerifier(header: string) {
  return async ({ raw, headers, secret }: VerifyInput): Promise<VerifyResult> => {
    const value = headers(header.toLowerCase());
    if (value === null || value.trim() === "") return verifyFailure("signature_missing", `${header} header is missing`);
    const signature = fromBase64(value.trim());
    if (signature === null || signature.length !== 32) return verifyFailure("signature_invalid", `${header} is not a base64 HMAC-SHA256`);
    if (secret === "") return verifyFailure("signature_invalid", "Source has an empty signing secret");
    const ok = await hmacSha256Verify(utf8(secret), raw, signature);
    return ok ? { ok: true } : verifyFailure("signature_invalid", `${header} does not match the body`);
  };
}

export function parseFailure(code: ParseFailure["code"], message: string, details?: unknown): ParseFailure {
  return details === undefined ? { ok: false, code, message } : { ok: false, code, message, details };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Safe deep read of attacker-shaped JSON: any missing step yields undefined. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let cur: unknown = value;
  for (const key of path) {
    if (typeof key === "number") {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[key];
    } else {
      if (!isRecord(cur)) return undefined;
      cur = cur[key];
    }
  }
  return cur;
}

/** A non-blank string, or undefined. */
export function text(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() !== "" ? v : undefined;
}

/**
 * Ids arrive as JSON numbers (Shopify) or strings. Unsafe integers were
 * already turned into their exact digits by `parseJsonObject`.
 */
export function idText(v: unknown): string | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) ? String(v) : undefined;
  return text(v);
}

const isoWithOffset = z.iso.datetime({ offset: true });

/**
 * First candidate that is an ISO-8601 instant with an offset, re-expressed in
 * UTC so occurred_at values from every sender sort as plain strings.
 */
export function firstInstant(...candidates: unknown[]): string | undefined {
  for (const c of candidates) {
    if (typeof c !== "string" || !isoWithOffset.safeParse(c).success) continue;
    const ms = Date.parse(c);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  return undefined;
}

export function unixToIso(sec: unknown): string | undefined {
  if (typeof sec !== "number" || !Number.isFinite(sec)) return undefined;
  const d = new Date(sec * 1000);
  return Number.isFinite(d.getTime()) ? d.toISOString() : undefined;
}

// A JSON string token, or a number token (so digits inside strings are never touched).
const JSON_TOKEN = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const JSON_INTEGER = /^-?(?:0|[1-9]\d*)$/;

/**
 * JSON.parse that keeps integers beyond 2^53 exact by reading them as their
 * digit strings. Shopify ids are 64-bit (its own sample order is
 * 820982911946154508, which a plain parse turns into ...500): losing digits
 * would route events for one order to another order's Durable Object.
 */
export function parseJsonObject(raw: Uint8Array): { ok: true; value: Record<string, unknown> } | ParseFailure {
  let textBody: string;
  try {
    textBody = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw);
  } catch {
    return parseFailure("invalid_json", "Body is not valid UTF-8");
  }
  const lossless = textBody.replace(JSON_TOKEN, (tok) =>
    JSON_INTEGER.test(tok) && !Number.isSafeInteger(Number(tok)) ? `"${tok}"` : tok,
  );
  let value: unknown;
  try {
    value = JSON.parse(lossless);
  } catch (err) {
    return parseFailure("invalid_json", `Body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  // It parsed, so the sender sent JSON; it maps to no event because the shape is wrong: 422, as for any other mapping failure.
  if (!isRecord(value)) return parseFailure("schema_mismatch", "Body must be a JSON object");
  return { ok: true, value };
}

const MAX_ISSUES = 20;

/**
 * Every produced event goes through the canonical schema; the parsed output
 * (defaults applied, unknown keys stripped) is what travels on.
 */
export function validateEvents(candidates: unknown[]): { ok: true; events: CanonicalEvent[] } | ParseFailure {
  const events: CanonicalEvent[] = [];
  const issues: { event: number; type: unknown; path: string; code: string; message: string }[] = [];
  candidates.forEach((candidate, index) => {
    const res = CanonicalEvent.safeParse(candidate);
    if (res.success) {
      events.push(res.data);
      return;
    }
    for (const issue of res.error.issues) {
      issues.push({
        event: index,
        type: at(candidate, "type"),
        path: issue.path.map(String).join("."),
        code: issue.code,
        message: issue.message,
      });
    }
  });
  if (issues.length > 0) {
    const first = issues[0];
    const where = first ? ` (${first.path || "event"}: ${first.message})` : "";
    return parseFailure("schema_mismatch", `Mapped event does not match the canonical schema${where}`, {
      issues: issues.slice(0, MAX_ISSUES),
      truncated: issues.length > MAX_ISSUES,
    });
  }
  return { ok: true, events };
}

/** Mapping helpers throw (e.g. toMinor on "12.3.4"); that is the sender's schema, not our crash. */
export function mappingFailure(err: unknown): ParseFailure {
  const message = err instanceof Error ? err.message : String(err);
  return parseFailure("schema_mismatch", `Payload could not be mapped: ${message}`);
}
