import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  BODY_EXCERPT_BYTES,
  decideOutcome,
  signedHeaders,
  type RetryPolicyMs,
} from "../../../domain/handoff/delivery";
import { attempt } from "../../../durable-objects/order/deliver";
import { consumerUrl, freshScenario, requests, script, waitForRequests, clear } from "../../helpers/consumer";

// The delivery core against a real HTTP consumer on 127.0.0.1, through
// workerd's own fetch: what the order object's alarm will actually see.

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const POLICY: RetryPolicyMs = { initial: 1_000, max_interval: 60_000, max_attempts: 8, max_age: 3_600_000 };
const TIMEOUT_MS = 5_000;
const now = () => Date.now();

function exportBody(id: string): string {
  return JSON.stringify({ export_id: id, order_id: "o-1", intended_action: "fulfil", decision_version: 1 });
}

async function deliver(url: string, id: string, timeoutMs = TIMEOUT_MS) {
  const body = exportBody(id);
  const headers = await signedHeaders(SECRET, id, Date.now(), body);
  return attempt(url, body, headers, timeoutMs, now);
}

describe("the consumer server, from inside workerd", () => {
  it("a 503 with Retry-After, then 200: two real attempts, classified, same webhook-id", async () => {
    const sc = freshScenario("down-then-up");
    await script(sc, [{ status: 503, headers: { "retry-after": "2" } }], { status: 200, body: '{"received":true}' });

    const first = await deliver(consumerUrl(sc), "exp_retry");
    expect(first).toMatchObject({ status: 503, error_class: "http_5xx", retry_after_ms: 2_000, error: "HTTP 503 Service Unavailable" });
    const t = Date.now();
    // random = 0: the consumer's Retry-After is what decides when to come back.
    expect(decideOutcome(first, 1, t, t, POLICY, () => 0)).toEqual({ kind: "retry", at: t + 2_000, reason: "HTTP 503; Retry-After 2000ms" });

    const second = await deliver(consumerUrl(sc), "exp_retry");
    expect(second).toEqual({
      status: 200,
      latency_ms: expect.any(Number),
      error_class: null,
      retry_after_ms: null,
      error: null,
      body_excerpt: '{"received":true}',
    });
    expect(decideOutcome(second, 2, t, t, POLICY, Math.random)).toEqual({ kind: "delivered" });

    const log = await requests(sc);
    expect(log.map((r) => [r.answered_status, r.headers["webhook-id"]])).toEqual([
      [503, "exp_retry"],
      [200, "exp_retry"],
    ]);
  });

  it("what was sent verifies with the standardwebhooks library, byte for byte", async () => {
    const sc = freshScenario("verify");
    const id = "exp_sig_1";
    const result = await deliver(`${consumerUrl(sc)}/webhooks/handoff?tenant=t1`, id);
    expect(result.status).toBe(200);

    const [req] = await requests(sc);
    if (req === undefined) throw new Error("the consumer saw nothing");
    expect(req.method).toBe("POST");
    expect(req.path).toBe(`/${sc}/webhooks/handoff?tenant=t1`);
    expect(req.body).toBe(exportBody(id));
    expect(req.headers).toMatchObject({ "webhook-id": id, "content-type": "application/json", "user-agent": "Handoff/0.1" });
    expect(new Webhook(SECRET).verify(req.body, req.headers)).toEqual(JSON.parse(exportBody(id)));
    expect(() => new Webhook(SECRET).verify(req.body.replace("fulfil", "cancel"), req.headers)).toThrow();
  });

  it("a consumer slower than the timeout → timeout (and it may still have got the request)", async () => {
    const sc = freshScenario("slow");
    await script(sc, [{ status: 200, delay_ms: 3_000 }]);
    const result = await deliver(consumerUrl(sc), "exp_slow", 250);
    expect(result).toMatchObject({ status: null, error_class: "timeout", retry_after_ms: null, error: "no response within 250ms" });
    expect(result.latency_ms).toBeGreaterThanOrEqual(200);
    expect(result.latency_ms).toBeLessThan(3_000);
    // Why webhook-id must be stable: a timed-out attempt can have been processed.
    const [req] = await waitForRequests(sc, 1);
    expect(req?.headers["webhook-id"]).toBe("exp_slow");
  });

  it("connection refused → network", async () => {
    const result = await deliver("http://127.0.0.1:9/", "exp_refused");
    expect(result).toMatchObject({ status: null, error_class: "network", retry_after_ms: null, body_excerpt: null });
    expect(result.error).toEqual(expect.any(String));
  });

  it("429 with an HTTP-date Retry-After", async () => {
    const sc = freshScenario("rate-limited");
    const retryAt = new Date(Date.now() + 90_000).toUTCString();
    await script(sc, [{ status: 429, headers: { "retry-after": retryAt } }]);
    const result = await deliver(consumerUrl(sc), "exp_429");
    expect(result).toMatchObject({ status: 429, error_class: "http_429" });
    // Second resolution on the date, and the clocks of both ends: near 90 s, not exact.
    expect(result.retry_after_ms).toBeGreaterThan(85_000);
    expect(result.retry_after_ms).toBeLessThanOrEqual(90_000);
  });

  it("a 422 is a business rejection that quotes the consumer", async () => {
    const sc = freshScenario("rejects");
    await script(sc, [{ status: 422, body: '{"error":"unknown_sku","sku":"ZZ-9"}' }]);
    const result = await deliver(consumerUrl(sc), "exp_422");
    expect(result).toMatchObject({ status: 422, error_class: "http_4xx", body_excerpt: '{"error":"unknown_sku","sku":"ZZ-9"}' });
    expect(decideOutcome(result, 1, 0, 0, POLICY, Math.random)).toEqual({
      kind: "rejected",
      reason: 'HTTP 422: unknown_sku (sku: ZZ-9)',
    });
  });

  it("a redirect is not followed: the signed body goes nowhere else", async () => {
    const sc = freshScenario("redirects");
    const elsewhere = freshScenario("elsewhere");
    await script(sc, [{ status: 307, headers: { location: consumerUrl(elsewhere) } }]);
    const result = await deliver(consumerUrl(sc), "exp_307");
    expect(result).toMatchObject({ status: 307, error_class: "http_3xx" });
    expect(await requests(elsewhere)).toEqual([]);
  });

  it("only the first 2 KB of a large body are kept", async () => {
    const sc = freshScenario("chatty");
    await script(sc, [{ status: 500, body: "x".repeat(200_000) }]);
    const result = await deliver(consumerUrl(sc), "exp_big");
    expect(result).toMatchObject({ status: 500, error_class: "http_5xx" });
    expect(result.body_excerpt).toBe("x".repeat(BODY_EXCERPT_BYTES));
  });

  it("re-scripting resets the position; clear empties the log; unscripted answers 200", async () => {
    const sc = freshScenario("rescript");
    expect((await deliver(consumerUrl(sc), "exp_a")).status).toBe(200);
    await script(sc, [{ status: 500 }, { status: 502 }], { status: 204 });
    expect((await deliver(consumerUrl(sc), "exp_a")).status).toBe(500);
    await script(sc, [{ status: 503 }]);
    expect((await deliver(consumerUrl(sc), "exp_a")).status).toBe(503);
    expect((await deliver(consumerUrl(sc), "exp_a")).status).toBe(200);
    expect((await requests(sc)).map((r) => r.answered_status)).toEqual([200, 500, 503, 200]);
    await clear(sc);
    expect(await requests(sc)).toEqual([]);
  });
});
