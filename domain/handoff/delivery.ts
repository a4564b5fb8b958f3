import { signStandard } from "../webhooks/standard";

/**
 * Delivering an export to the consumer that must act on it (WMS, carrier, CX):
 * the decision for one attempt's result. All of it is pure and takes the clock
 * and the randomness as arguments, so the order object's alarm stays
 * deterministic under test and the exact retry schedule can be asserted; the
 * one fetch that produces a result is the object's (durable-objects/order/deliver.ts).
 *
 * The schedule is exponential backoff with FULL jitter: the n-th retry waits a
 * uniformly random time in [0, min(max_interval, initial · 2^(n-1))). After an
 * outage every order that was failing against the same consumer would otherwise
 * come back on the same beat and knock it over again; spreading the whole
 * window (not just ± a little) flattens that herd at the cost of some retries
 * landing early, which the doubling ceiling makes up for. A consumer's own
 * `Retry-After` wins when it asks for longer: it knows its capacity better than
 * we do, and ignoring it is how a rate limit turns into a ban. `max_attempts`
 * bounds the work spent on a consumer that keeps failing fast; `max_age` bounds
 * the wall-clock time an export can sit undelivered, so a dead consumer (or one
 * that keeps answering Retry-After: 86400) becomes an escalation to a person
 * instead of an order that waits silently.
 */

export interface RetryPolicyMs {
  initial: number;
  max_interval: number;
  max_attempts: number;
  max_age: number;
}

/**
 * Why an attempt did not deliver; null when it did. 3xx is its own class because
 * we never follow redirects for a signed POST (following would turn it into a GET
 * or re-send the body to a host nobody configured).
 */
export type ErrorClass =
  | "timeout"
  | "network"
  | "http_3xx"
  | "http_408"
  | "http_425"
  | "http_429"
  | "http_5xx"
  | "http_4xx"
  | null;

export interface AttemptResult {
  /** HTTP status, or null when no response arrived (timeout, network). */
  status: number | null;
  /** Until the status line arrived (or the attempt gave up): the consumer's responsiveness, not its body size. */
  latency_ms: number;
  error_class: ErrorClass;
  /** The consumer's Retry-After, as ms from the response; null when absent or unusable. */
  retry_after_ms: number | null;
  /** What went wrong, for the audit trail; null on success. */
  error: string | null;
  /** Start of the response body (a rejection usually says why there). */
  body_excerpt: string | null;
}

export type Outcome =
  | { kind: "delivered" }
  | { kind: "retry"; at: number; reason: string }
  | { kind: "rejected"; reason: string }
  | { kind: "exhausted"; reason: "max_attempts" | "max_age"; detail: string };

/** Even a consumer that asks for more gets retried within a day; max_age decides whether that is still worth it. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
/** Enough of a body to show a person why it was rejected, without letting a consumer fill our storage. */
export const BODY_EXCERPT_BYTES = 2048;
/** How much of the excerpt goes into a rejection reason. */
const REASON_EXCERPT_CHARS = 200;

// ---------------------------------------------------------------------------
// Retry-After

const DAY_NAMES = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY_NAMES = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;
const MONTH = `(${MONTHS.join("|")})`;
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
/** RFC 9110 §5.6.7: `Sun, 06 Nov 1994 08:49:37 GMT`, the one senders should use. */
const IMF_FIXDATE = new RegExp(`^${DAY_NAMES}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** Obsolete but still to be accepted: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC850_DATE = new RegExp(`^${LONG_DAY_NAMES}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** Obsolete but still to be accepted: `Sun Nov  6 08:49:37 1994`. */
const ASCTIME_DATE = new RegExp(`^${DAY_NAMES} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

function utcMs(year: number, month: string, day: number, h: number, m: number, s: number): number | null {
  const mon = (MONTHS as readonly string[]).indexOf(month);
  if (mon < 0 || h > 23 || m > 59 || s > 60) return null;
  const ms = Date.UTC(year, mon, day, h, m, Math.min(s, 59));
  // Date.UTC rolls 31 Feb over into March; a date that does not round-trip is garbage.
  const d = new Date(ms);
  return d.getUTCFullYear() === year && d.getUTCMonth() === mon && d.getUTCDate() === day ? ms : null;
}

/**
 * Parsed by hand rather than with Date.parse, which accepts nearly anything
 * (V8 reads "2" as a date in 2001) and would turn a malformed delta into a
 * 25-year-old date.
 */
function parseHttpDate(v: string, now: number): number | null {
  let m = IMF_FIXDATE.exec(v);
  if (m) return utcMs(Number(m[3]), m[2] ?? "", Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  m = RFC850_DATE.exec(v);
  if (m) {
    // RFC 9110: a two-digit year more than 50 years ahead means the most recent past year with those digits.
    const thisYear = new Date(now).getUTCFullYear();
    let year = Math.floor(thisYear / 100) * 100 + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    return utcMs(year, m[2] ?? "", Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  m = ASCTIME_DATE.exec(v);
  if (m) return utcMs(Number(m[6]), m[1] ?? "", Number((m[2] ?? "").trim()), Number(m[3]), Number(m[4]), Number(m[5]));
  return null;
}

/**
 * Retry-After (RFC 9110 §10.2.3) as milliseconds from `now`: delay-seconds or
 * an HTTP-date. Garbage, fractions, negatives and dates already past give null
 * (the consumer said nothing usable, so our own backoff applies); anything
 * beyond a day is capped at a day.
 */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (v === "") return null;
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, MAX_RETRY_AFTER_MS);
  const at = parseHttpDate(v, now);
  if (at === null) return null;
  const delta = at - now;
  return delta < 0 ? null : Math.min(delta, MAX_RETRY_AFTER_MS);
}

// ---------------------------------------------------------------------------
// Backoff and the decision

/** 2^1023 is the largest finite power of two, so the ceiling never becomes Infinity or NaN. */
const MAX_EXPONENT = 1023;

/**
 * Full jitter: random() · min(max_interval, initial · 2^(attempt-1)), in whole
 * ms. `attempt` is 1 for the wait after the first failure. `random` is injected
 * so tests pin the schedule; it is clamped to [0, 1] so a bad source cannot
 * schedule into the past or beyond the ceiling.
 */
export function backoffDelay(attempt: number, policy: RetryPolicyMs, random: () => number): number {
  const exponent = Math.min(Math.max(Math.floor(attempt), 1) - 1, MAX_EXPONENT);
  const ceiling = Math.max(0, Math.min(policy.max_interval, policy.initial * 2 ** exponent));
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.floor(unit * ceiling);
}

/** The class of an HTTP status; null means delivered. */
export function classifyStatus(status: number): ErrorClass {
  if (status >= 200 && status < 300) return null;
  if (status === 408) return "http_408";
  if (status === 425) return "http_425";
  if (status === 429) return "http_429";
  if (status >= 500) return "http_5xx";
  if (status >= 400) return "http_4xx";
  // 1xx never reaches fetch as a final status; 3xx because redirects are not followed.
  return "http_3xx";
}

/**
 * Whether another attempt can succeed without anyone changing anything: the
 * consumer was slow, overloaded, rate-limiting, not ready yet (425) or down.
 * Any other 4xx is the consumer saying no to this export, and asking again with
 * the same bytes would get the same no — that is a business rejection for a
 * person. A redirect is a configuration problem, so it goes to a person too.
 */
function isTransient(c: ErrorClass): boolean {
  return (
    c === "timeout" || c === "network" || c === "http_408" || c === "http_425" || c === "http_429" || c === "http_5xx"
  );
}

/** Where consumers put the human sentence in a JSON error body, most specific first. */
const MESSAGE_KEYS = ["message", "detail", "reason", "error_description", "description", "title", "error"] as const;

function messageOf(v: unknown, depth = 0): string | null {
  if (typeof v === "string") return v.trim() || null;
  if (depth > 2 || v === null || typeof v !== "object") return null;
  if (Array.isArray(v)) return v.length ? messageOf(v[0], depth + 1) : null;
  const o = v as Record<string, unknown>;
  for (const k of MESSAGE_KEYS) {
    const m = messageOf(o[k], depth + 1);
    if (m === null) continue;
    // The other plain fields say which item or code: "unknown_sku (sku: ZZ-9)".
    const extra = Object.entries(o).flatMap(([key, x]) =>
      key === k || !(typeof x === "string" || typeof x === "number" || typeof x === "boolean") ? [] : [key === "code" ? String(x) : `${key}: ${String(x)}`],
    );
    return extra.length ? `${m} (${extra.join(", ")})` : m;
  }
  return messageOf(o.errors, depth + 1);
}

/**
 * The consumer's reason in words a person reads, from the start of its body:
 * `{"error":{"code":"sku_unknown","message":"SKU MUG-01 is not stocked"}}`
 * becomes "SKU MUG-01 is not stocked (sku_unknown)", so a task's title says why
 * rather than opening with JSON punctuation. A body that is not JSON, or has no
 * such field, is shown as it came, whitespace collapsed. The attempt keeps the raw excerpt.
 */
export function consumerReason(excerpt: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(excerpt);
  } catch {
    parsed = undefined;
  }
  const text = (parsed === undefined ? null : messageOf(parsed)) ?? excerpt;
  return text.replace(/\s+/g, " ").trim();
}

function describeResult(result: AttemptResult, cls: ErrorClass): string {
  if (result.status !== null) return `HTTP ${result.status}`;
  const what = cls ?? "network";
  return result.error ? `${what}: ${result.error}` : what;
}

/**
 * What to do after an attempt. `attempt` counts attempts made so far including
 * this one; `firstAttemptAt` is when the first one was made, which is what
 * max_age is measured from. A present status decides the class (the HTTP
 * answer is the fact); without one the result's own class says timeout or
 * network.
 */
export function decideOutcome(
  result: AttemptResult,
  attempt: number,
  firstAttemptAt: number,
  now: number,
  policy: RetryPolicyMs,
  random: () => number,
): Outcome {
  const cls = result.status !== null ? classifyStatus(result.status) : (result.error_class ?? "network");
  if (cls === null) return { kind: "delivered" };
  const what = describeResult(result, cls);

  if (!isTransient(cls)) {
    const excerpt = result.body_excerpt ? consumerReason(result.body_excerpt).slice(0, REASON_EXCERPT_CHARS) : "";
    const base = cls === "http_3xx" ? `${what} (redirects are not followed; fix the consumer URL)` : what;
    return { kind: "rejected", reason: excerpt ? `${base}: ${excerpt}` : base };
  }

  if (attempt >= policy.max_attempts) {
    return { kind: "exhausted", reason: "max_attempts", detail: `${attempt} attempts; last: ${what}` };
  }
  const backoff = backoffDelay(attempt, policy, random);
  const asked = result.retry_after_ms ?? 0;
  const at = now + Math.max(backoff, asked);
  if (at - firstAttemptAt > policy.max_age) {
    const ageMs = now - firstAttemptAt;
    return {
      kind: "exhausted",
      reason: "max_age",
      detail: `next attempt at +${at - firstAttemptAt}ms would pass max_age ${policy.max_age}ms (${attempt} attempts over ${ageMs}ms); last: ${what}`,
    };
  }
  const why = asked > backoff ? `${what}; Retry-After ${asked}ms` : `${what}; backoff ${backoff}ms`;
  return { kind: "retry", at, reason: why };
}

// ---------------------------------------------------------------------------
// Signing

export const USER_AGENT = "Handoff/0.1";

/**
 * Standard Webhooks headers for one attempt. `webhookId` is the export id and
 * stays the same across retries so the consumer can deduplicate; the
 * timestamp is the attempt's, so a retry hours later is not refused as stale.
 * Signed by the one Standard Webhooks codec; the tests check the reference
 * `standardwebhooks` library verifies it. Rejects when the secret is not a
 * whsec_<base64> key.
 */
export async function signedHeaders(
  secret: string,
  webhookId: string,
  timestampMs: number,
  body: string,
): Promise<Record<string, string>> {
  const signature = await signStandard(webhookId, Math.floor(timestampMs / 1000), body, secret);
  return {
    "content-type": "application/json",
    "user-agent": USER_AGENT,
    "webhook-id": webhookId,
    "webhook-timestamp": String(Math.floor(timestampMs / 1000)),
    "webhook-signature": signature,
  };
}
