import { describe, expect, it } from "vitest";
import type { Notice } from "../../domain/notify/notice";
import { consumerUrl, freshScenario, requests, script } from "../helpers/consumer";
import { createTenant } from "../helpers/http";
import { contact, drainNotifier, notifierStub, withNotifier } from "../helpers/notify";
import { spansOf, waitFor, type ReceivedSpan } from "../helpers/otlp";
import { SPANS } from "../../worker/telemetry/tracer";

// Each notification attempt is a `notification.send` client span exported to the OTLP receiver,
// and its traceparent reaches the receiver of the message (a Slack-shaped one here).

function notice(tenant: string): Notice {
  const at = Date.now();
  return {
    key: "tk_t:L0:alert",
    subject: "tk_t",
    phase: "alert",
    level: 0,
    kind: "task.opened",
    recipient: "ops",
    at,
    tenant,
    order_id: "o-t",
    task_id: "tk_t",
    task_type: "consumer_rejected",
    title: "Downstream system rejected the handoff",
    step: "routing",
    owner: "ops",
    due_at: new Date(at + 3_600_000).toISOString(),
    value: null,
  };
}

describe("notification.send spans", () => {
  it("one span per attempt with channel, contact, outcome and status; a refusal is an error span; the receiver gets the span as parent", async () => {
    const tenant = `ntf-traced-${crypto.randomUUID().slice(0, 6)}`;
    await createTenant(tenant);
    const slack = freshScenario("slack-traced");
    const gone = freshScenario("hook-gone");
    await script(slack, [{ status: 503 }], { status: 200, headers: { "content-type": "text/plain" }, body: "ok" });
    await script(gone, [], { status: 410, body: "gone" });
    await contact(tenant, "ops", {
      name: "Ops",
      channels: [
        { type: "slack", webhook_url: consumerUrl(slack) },
        { type: "webhook", url: consumerUrl(gone), secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
      ],
    });
    await withNotifier(tenant, (o) => {
      o.policy = { initial: 1, max_interval: 1, max_attempts: 3, max_age: 60_000 };
    });
    await notifierStub(tenant).enqueue(tenant, [notice(tenant)]);
    await drainNotifier(tenant);
    await expect.poll(async () => (await requests(slack)).length, { timeout: 5000 }).toBe(2);

    const spans = await waitFor(
      () => spansOf(tenant),
      (s) => s.filter((x) => x.name === SPANS.notification).length >= 3,
    );
    const sends = spans.filter((s) => s.name === SPANS.notification);
    const of = (channel: string, attempt: number): ReceivedSpan | undefined => sends.find((s) => s.attributes.channel === channel && s.attributes.attempt === attempt);
    expect(sends).toHaveLength(3);
    for (const s of sends) {
      expect(s.kind).toBe(3);
      expect(s.attributes).toMatchObject({ tenant, contact: "ops", order_id: "o-t", subject: "tk_t", kind: "task.opened", level: 0 });
    }
    expect([1, 2].map((n) => [of("slack", n)?.attributes.outcome, of("slack", n)?.attributes["http.response.status_code"], of("slack", n)?.status])).toEqual([
      ["retry", 503, 2],
      ["delivered", 200, 0],
    ]);
    expect(of("webhook", 1)?.attributes).toMatchObject({ outcome: "rejected", "http.response.status_code": 410, error_class: "http_4xx" });
    expect(of("webhook", 1)?.status).toBe(2);
    // Each attempt's request carried that attempt's span as its parent.
    const sent = await requests(slack);
    expect(sent.map((r) => r.headers.traceparent)).toEqual([1, 2].map((n) => `00-${of("slack", n)?.traceId}-${of("slack", n)?.spanId}-01`));
    expect((await requests(gone))[0]?.headers.traceparent).toBe(`00-${of("webhook", 1)?.traceId}-${of("webhook", 1)?.spanId}-01`);
  });
});
