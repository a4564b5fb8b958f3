import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  backoffDelay,
  consumerReason,
  classifyStatus,
  decideOutcome,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  signedHeaders,
  type AttemptResult,
  type ErrorClass,
  type Outcome,
  type RetryPolicyMs,
} from "../../../domain/handoff/delivery";
import { mulberry32 } from "../../../cli/random";

const T0 = Date.parse("2026-03-01T12:00:00.000Z");
const POLICY: RetryPolicyMs = { initial: 1_000, max_interval: 60_000, max_attempts: 10, max_age: 24 * 3_600_000 };
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

const top = () => 1;
const half = () => 0.5;

function http(status: number, extra: Partial<AttemptResult> = {}): AttemptResult {
  return {
    status,
    latency_ms: 12,
    error_class: classifyStatus(status),
    retry_after_ms: null,
    error: status < 300 ? null : `HTTP ${status}`,
    body_excerpt: null,
    ...extra,
  };
}

function failed(error_class: "timeout" | "network"): AttemptResult {
  const error = error_class === "timeout" ? "no response within 5000ms" : "TypeError: connection refused";
  return { status: null, latency_ms: 5_000, error_class, retry_after_ms: null, error, body_excerpt: null };
}


/**
 * Plays a consumer that fails every attempt, each attempt made exactly when the
 * previous outcome asked: the delays between attempts, and how it ended.
 */
function failForever(
  result: AttemptResult,
  policy: RetryPolicyMs,
  random: () => number,
): { delays: number[]; end: Outcome } {
  const delays: number[] = [];
  let now = T0;
  for (let n = 1; n <= 1_000; n++) {
    const out = decideOutcome(result, n, T0, now, policy, random);
    if (out.kind !== "retry") return { delays, end: out };
    delays.push(out.at - now);
    now = out.at;
  }
  throw new Error("never ended");
}

describe("backoffDelay: full jitter under a doubling ceiling", () => {
  it("random = 1 traces the ceiling: 1s, 2s, 4s … capped at max_interval", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => backoffDelay(n, POLICY, top))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });

  it("random = 0.5 halves it; random = 0 retries at once", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, POLICY, half))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000]);
    expect(backoffDelay(5, POLICY, () => 0)).toBe(0);
  });

  it("whole milliseconds, and a bad random source cannot leave [0, ceiling]", () => {
    expect(backoffDelay(1, POLICY, () => 0.12345)).toBe(123);
    expect(backoffDelay(1, POLICY, () => 7)).toBe(1_000);
    expect(backoffDelay(1, POLICY, () => -1)).toBe(0);
    expect(backoffDelay(1, POLICY, () => Number.NaN)).toBe(0);
  });

  it("attempt numbers below 1 mean the first wait; huge ones do not overflow", () => {
    expect(backoffDelay(0, POLICY, top)).toBe(1_000);
    expect(backoffDelay(-3, POLICY, top)).toBe(1_000);
    expect(backoffDelay(5_000, POLICY, top)).toBe(60_000);
    expect(backoffDelay(5_000, { ...POLICY, initial: 0 }, top)).toBe(0);
  });
});

describe("parseRetryAfter", () => {
  const imf = (ms: number) => new Date(ms).toUTCString(); // IMF-fixdate, as servers send it

  it("delay-seconds", () => {
    expect(parseRetryAfter("120", T0)).toBe(120_000);
    expect(parseRetryAfter("0", T0)).toBe(0);
    expect(parseRetryAfter(" 5 ", T0)).toBe(5_000);
    // A bare small number is seconds, never a date (Date.parse would read "2" as 2001).
    expect(parseRetryAfter("2", T0)).toBe(2_000);
  });

  it("HTTP-date in all three RFC 9110 spellings, relative to now", () => {
    expect(imf(T0 + 30_000)).toBe("Sun, 01 Mar 2026 12:00:30 GMT");
    expect(parseRetryAfter("Sun, 01 Mar 2026 12:00:30 GMT", T0)).toBe(30_000);
    expect(parseRetryAfter("Sunday, 01-Mar-26 12:01:00 GMT", T0)).toBe(60_000);
    expect(parseRetryAfter("Sun Mar  1 12:02:00 2026", T0)).toBe(120_000);
    expect(parseRetryAfter(imf(T0), T0)).toBe(0);
  });

  it("caps anything beyond a day at a day", () => {
    expect(parseRetryAfter("86401", T0)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter("999999999999999999999", T0)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter(imf(T0 + 3 * MAX_RETRY_AFTER_MS), T0)).toBe(MAX_RETRY_AFTER_MS);
  });

  it("absent, garbage, fractional, negative and past → null", () => {
    for (const v of [null, "", "  ", "-5", "1.5", "+3", "soon", "0x10", "1e3", "Sun, 01 Mar 2026 12:00:30", "Sun, 31 Feb 2026 12:00:00 GMT", "Sun, 01 Mar 2026 25:00:00 GMT"]) {
      expect(parseRetryAfter(v, T0), String(v)).toBeNull();
    }
    expect(parseRetryAfter(imf(T0 - 1_000), T0)).toBeNull();
  });
});

describe("classifyStatus", () => {
  it.each([
    [200, null],
    [202, null],
    [204, null],
    [301, "http_3xx"],
    [308, "http_3xx"],
    [400, "http_4xx"],
    [408, "http_408"],
    [425, "http_425"],
    [429, "http_429"],
    [451, "http_4xx"],
    [500, "http_5xx"],
    [503, "http_5xx"],
    [599, "http_5xx"],
  ] as const)("%i → %s", (status, cls) => {
    expect(classifyStatus(status)).toBe(cls);
  });
});

describe("decideOutcome: each class", () => {
  it("2xx → delivered, whatever the attempt count or age", () => {
    for (const s of [200, 201, 202, 204, 299]) {
      expect(decideOutcome(http(s), 99, T0 - 10 * POLICY.max_age, T0, POLICY, top)).toEqual({ kind: "delivered" });
    }
  });

  it.each([408, 425, 429, 500, 502, 503, 504])("%i → retry after the backoff", (status) => {
    expect(decideOutcome(http(status), 1, T0, T0, POLICY, top)).toEqual({
      kind: "retry",
      at: T0 + 1_000,
      reason: `HTTP ${status}; backoff 1000ms`,
    });
  });

  it.each(["timeout", "network"] as const)("%s → retry after the backoff", (cls) => {
    expect(decideOutcome(failed(cls), 3, T0, T0 + 5_000, POLICY, half)).toMatchObject({ kind: "retry", at: T0 + 5_000 + 2_000 });
  });

  it.each([400, 401, 403, 404, 405, 409, 410, 413, 422])("%i → business rejection, never retried", (status) => {
    expect(decideOutcome(http(status), 1, T0, T0, POLICY, top)).toEqual({ kind: "rejected", reason: `HTTP ${status}` });
    // Not even on the last attempt: a rejection is an answer, not an exhausted retry.
    expect(decideOutcome(http(status), POLICY.max_attempts, T0, T0, POLICY, top)).toMatchObject({ kind: "rejected" });
  });

  it("a rejection quotes the first 200 characters of what the consumer said", () => {
    const why = `{"error":"unknown_sku","detail":"${"x".repeat(400)}"}`;
    const out = decideOutcome(http(422, { body_excerpt: `  ${why}` }), 1, T0, T0, POLICY, top);
    expect(out).toEqual({ kind: "rejected", reason: `HTTP 422: ${"x".repeat(200)}` });
    const text = decideOutcome(http(422, { body_excerpt: "  SKU\n  not   stocked " }), 1, T0, T0, POLICY, top);
    expect(text).toEqual({ kind: "rejected", reason: "HTTP 422: SKU not stocked" });
  });

  it.each([
    ['{"error":{"code":"sku_unknown","message":"SKU MUG-01 is not stocked"}}', "SKU MUG-01 is not stocked (sku_unknown)"],
    ['{"error":"unknown_sku","sku":"ZZ-9"}', "unknown_sku (sku: ZZ-9)"],
    ['{"errors":[{"detail":"line 2: quantity must be positive"}]}', "line 2: quantity must be positive"],
    ['{"message":"address incomplete","field":"zip","retryable":false}', "address incomplete (field: zip, retryable: false)"],
    ['{"ok":false}', '{"ok":false}'],
    ['{"error":"cut off in the midd', '{"error":"cut off in the midd'],
  ])("a task title says the consumer's reason in words, not JSON: %s", (body, reason) => {
    expect(consumerReason(body)).toBe(reason);
  });

  it("a redirect is a configuration problem for a person, not a retry", () => {
    const out = decideOutcome(http(302), 1, T0, T0, POLICY, top);
    expect(out.kind).toBe("rejected");
    expect(out).toMatchObject({ reason: expect.stringContaining("redirects are not followed") });
  });

  it("the status is the fact: a stale error_class does not override it", () => {
    expect(decideOutcome(http(503, { error_class: null }), 1, T0, T0, POLICY, top).kind).toBe("retry");
    expect(decideOutcome(http(200, { error_class: "http_5xx" }), 1, T0, T0, POLICY, top).kind).toBe("delivered");
    // No status and no class can only have been a failure to talk at all.
    expect(decideOutcome({ ...failed("network"), error_class: null }, 1, T0, T0, POLICY, top).kind).toBe("retry");
  });
});

describe("decideOutcome: Retry-After", () => {
  it("wins when it asks for longer than the backoff", () => {
    expect(decideOutcome(http(429, { retry_after_ms: 120_000 }), 1, T0, T0, POLICY, top)).toEqual({
      kind: "retry",
      at: T0 + 120_000,
      reason: "HTTP 429; Retry-After 120000ms",
    });
  });

  it("loses when the backoff is already longer", () => {
    expect(decideOutcome(http(503, { retry_after_ms: 100 }), 3, T0, T0, POLICY, top)).toEqual({
      kind: "retry",
      at: T0 + 4_000,
      reason: "HTTP 503; backoff 4000ms",
    });
  });

  it("asking for more than max_age leaves escalates instead of waiting past it", () => {
    const policy = { ...POLICY, max_age: 3_600_000 };
    expect(decideOutcome(http(503, { retry_after_ms: MAX_RETRY_AFTER_MS }), 1, T0, T0, policy, top)).toMatchObject({
      kind: "exhausted",
      reason: "max_age",
    });
  });
});

describe("decideOutcome: exact schedules and exhaustion", () => {
  it("a consumer down for good, random = 1: the ceiling curve, then max_attempts", () => {
    const { delays, end } = failForever(http(503), POLICY, top);
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(end).toEqual({ kind: "exhausted", reason: "max_attempts", detail: "10 attempts; last: HTTP 503" });
  });

  it("random = 0.5: half the curve, same number of attempts", () => {
    const { delays, end } = failForever(failed("timeout"), POLICY, half);
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(end).toMatchObject({ kind: "exhausted", reason: "max_attempts", detail: "10 attempts; last: timeout: no response within 5000ms" });
  });

  it("a seeded random: reproducible, every wait under its ceiling", () => {
    const a = failForever(http(500), POLICY, mulberry32(42));
    const b = failForever(http(500), POLICY, mulberry32(42));
    expect(a).toEqual(b);
    a.delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(POLICY.max_interval, POLICY.initial * 2 ** i));
    });
  });

  it("max_age: the attempt whose next try would land past it escalates", () => {
    const policy = { ...POLICY, max_age: 10_000 };
    const { delays, end } = failForever(http(502), policy, top);
    // Attempts at +0, +1s, +3s, +7s; the next would be at +15s > 10s.
    expect(delays).toEqual([1_000, 2_000, 4_000]);
    expect(end).toMatchObject({ kind: "exhausted", reason: "max_age" });
    expect(end.kind === "exhausted" && end.detail).toContain("4 attempts");
  });

  it("landing exactly on max_age is still allowed", () => {
    const policy = { ...POLICY, max_age: 7_000 };
    expect(decideOutcome(http(503), 3, T0, T0 + 3_000, policy, top)).toEqual({ kind: "retry", at: T0 + 7_000, reason: "HTTP 503; backoff 4000ms" });
  });

  it("max_attempts = 1 means no retries at all", () => {
    expect(decideOutcome(http(503), 1, T0, T0, { ...POLICY, max_attempts: 1 }, top)).toMatchObject({
      kind: "exhausted",
      reason: "max_attempts",
    });
  });
});

describe("signedHeaders", () => {
  const body = JSON.stringify({ export_id: "exp_1", intended_action: "fulfil" });

  it("Standard Webhooks headers the reference library verifies", async () => {
    const at = Date.now();
    const headers = await signedHeaders(SECRET, "exp_1", at, body);
    expect(headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "Handoff/0.1",
      "webhook-id": "exp_1",
      "webhook-timestamp": String(Math.floor(at / 1000)),
    });
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("a retry keeps the id and re-signs with its own timestamp", async () => {
    const first = await signedHeaders(SECRET, "exp_1", T0, body);
    const retry = await signedHeaders(SECRET, "exp_1", T0 + 60_000, body);
    expect(retry["webhook-id"]).toBe(first["webhook-id"]);
    expect(retry["webhook-timestamp"]).toBe(String(T0 / 1000 + 60));
    expect(retry["webhook-signature"]).not.toBe(first["webhook-signature"]);
  });

  it("rejects a secret that is not a key", async () => {
    await expect(signedHeaders("whsec_", "exp_1", T0, body)).rejects.toThrow();
  });
});

// ---- properties -------------------------------------------------------------

const policyArb: fc.Arbitrary<RetryPolicyMs> = fc
  .record({
    initial: fc.integer({ min: 0, max: 600_000 }),
    max_interval: fc.integer({ min: 0, max: 86_400_000 }),
    max_attempts: fc.integer({ min: 1, max: 50 }),
    max_age: fc.integer({ min: 0, max: 7 * 86_400_000 }),
  });
const unitArb = fc.double({ min: 0, max: 1, noNaN: true });
const retryAfterArb = fc.option(fc.integer({ min: 0, max: MAX_RETRY_AFTER_MS }), { nil: null });

type Kind = Outcome["kind"];
const KIND_OF_CLASS: Record<Exclude<ErrorClass, null> | "ok", Kind> = {
  ok: "delivered",
  timeout: "retry",
  network: "retry",
  http_408: "retry",
  http_425: "retry",
  http_429: "retry",
  http_5xx: "retry",
  http_3xx: "rejected",
  http_4xx: "rejected",
};

describe("properties", () => {
  it("a delay is within [0, max_interval], and under the doubling ceiling", () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 1, max: 2_000 }), unitArb, (policy, n, r) => {
        const d = backoffDelay(n, policy, () => r);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(policy.max_interval);
        // 0 · 2^1999 is NaN in plain arithmetic; the ceiling of a zero initial is zero.
        expect(d).toBeLessThanOrEqual(policy.initial === 0 ? 0 : policy.initial * 2 ** (n - 1));
      }),
    );
  });

  it("a retry waits within [0, max_interval] unless Retry-After asks for more, and then exactly that", () => {
    fc.assert(
      fc.property(
        policyArb,
        fc.integer({ min: 1, max: 49 }),
        fc.constantFrom(408, 425, 429, 500, 503),
        retryAfterArb,
        unitArb,
        (policy, n, status, retryAfter, r) => {
          const p = { ...policy, max_attempts: 50, max_age: Number.MAX_SAFE_INTEGER };
          const out = decideOutcome(http(status, { retry_after_ms: retryAfter }), n, T0, T0, p, () => r);
          if (out.kind !== "retry") throw new Error(`expected a retry, got ${out.kind}`);
          const wait = out.at - T0;
          expect(wait).toBeGreaterThanOrEqual(retryAfter ?? 0);
          if (retryAfter === null || retryAfter <= p.max_interval) expect(wait).toBeLessThanOrEqual(p.max_interval);
          else expect(wait).toBe(retryAfter);
        },
      ),
    );
  });

  it("below max_attempts and inside max_age, the outcome's kind depends on the status class only", () => {
    const resultArb: fc.Arbitrary<AttemptResult> = fc.oneof(
      fc.record({
        status: fc.integer({ min: 200, max: 599 }),
        latency_ms: fc.nat(60_000),
        retry_after_ms: retryAfterArb,
        body_excerpt: fc.option(fc.string({ maxLength: 300 }), { nil: null }),
      }).map((r) => ({ ...r, error_class: classifyStatus(r.status), error: null })),
      fc.record({
        status: fc.constant(null),
        latency_ms: fc.nat(60_000),
        error_class: fc.constantFrom("timeout" as const, "network" as const),
        retry_after_ms: fc.constant(null),
        error: fc.option(fc.string(), { nil: null }),
        body_excerpt: fc.constant(null),
      }),
    );
    fc.assert(
      fc.property(resultArb, policyArb, fc.integer({ min: 1, max: 49 }), fc.nat(10 * 86_400_000), unitArb, (result, policy, n, elapsed, r) => {
        const p = { ...policy, max_attempts: 50, max_age: Number.MAX_SAFE_INTEGER };
        const out = decideOutcome(result, n, T0, T0 + elapsed, p, () => r);
        const cls = result.status === null ? result.error_class : classifyStatus(result.status);
        expect(out.kind).toBe(KIND_OF_CLASS[cls ?? "ok"]);
      }),
    );
  });

  it("never schedules into the past, and at max_attempts a transient failure always escalates", () => {
    fc.assert(
      fc.property(policyArb, fc.constantFrom(408, 429, 503), retryAfterArb, unitArb, fc.nat(86_400_000), (policy, status, ra, r, elapsed) => {
        const now = T0 + elapsed;
        const out = decideOutcome(http(status, { retry_after_ms: ra }), policy.max_attempts, T0, now, policy, () => r);
        expect(out).toMatchObject({ kind: "exhausted", reason: "max_attempts" });
        const before = decideOutcome(http(status, { retry_after_ms: ra }), 1, T0, now, { ...policy, max_attempts: 2 }, () => r);
        if (before.kind === "retry") expect(before.at).toBeGreaterThanOrEqual(now);
        else expect(before).toMatchObject({ kind: "exhausted", reason: "max_age" });
      }),
    );
  });
});
