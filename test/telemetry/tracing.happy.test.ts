import { afterEach, describe, expect, it } from "vitest";
import { standardHeaders } from "../../cli/sign";
import { backoffDelay } from "../../domain/handoff/delivery";
import { exportId } from "../../domain/handoff/document";
import { jitter } from "../../domain/handoff/decide";
import { freshScenario, requests, script } from "../helpers/consumer";
import { advance, handoffTenant, ORDER_DATA, orderStub, setClock, TEST_RETRY, TEST_SLA } from "../helpers/handoff";
import { call, json, SECRETS, settleAlarms } from "../helpers/http";
import { pointsOf, refusedExports, spansOf, total, waitFor, type ReceivedSpan } from "../helpers/otlp";
import { METRICS, SPANS } from "../../worker/telemetry/tracer";

afterEach(settleAlarms);

/** The objects' clock: a minute ahead, so no alarm the test schedules fires on its own. */
function t0(): number {
  return Math.ceil((Date.now() + 60_000) / 1000) * 1000;
}

const INBOUND_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const INBOUND_SPAN = "00f067aa0ba902b7";

async function send(tenant: string, type: string, orderId: string, at: number, data: Record<string, unknown>, extra: Record<string, string>, id: string) {
  const body = JSON.stringify({ type, order_id: orderId, occurred_at: new Date(at).toISOString(), data });
  const headers = { ...(await standardHeaders({ body, secret: SECRETS.standard, id })), ...extra };
  return call("POST", `/v1/tenants/${tenant}/webhooks/wms`, { raw: body, headers });
}

function one(spans: readonly ReceivedSpan[], name: string, where: Record<string, string | number>): ReceivedSpan {
  const found = spans.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.attributes[k] === v));
  expect(found, `${name} ${JSON.stringify(where)}`).toHaveLength(1);
  const [s] = found;
  if (!s) throw new Error("unreachable");
  return s;
}

describe("one webhook traced from the sender's span to the consumer's delivery (OTLP/HTTP JSON receiver)", () => {
  it("chains request → webhook → commit → every delivery attempt, propagates traceparent, and counts what happened", async () => {
    const tenant = `traced-${crypto.randomUUID().slice(0, 6)}`;
    const wms = freshScenario("wms");
    const key = await handoffTenant(tenant, wms, freshScenario("carrier"));
    await script(wms, [{ status: 503 }]);
    const T0 = t0();
    const o = orderStub(tenant, "o-1");
    await setClock(o, T0);

    expect((await send(tenant, "order.created", "o-1", T0 - 2000, ORDER_DATA, { "x-request-id": "created-req-0001" }, "msg_created")).status).toBe(202);
    const captured = await send(
      tenant,
      "payment.captured",
      "o-1",
      T0 - 1000,
      { amount: ORDER_DATA.total, payment_id: "pi_1" },
      { "x-request-id": "capture-req-0001", traceparent: `00-${INBOUND_TRACE}-${INBOUND_SPAN}-01` },
      "msg_captured",
    );
    expect(captured.status).toBe(202);
    expect(captured.headers.get("x-request-id")).toBe("capture-req-0001");
    // A redelivery and a forged one: a duplicate and a rejection to count.
    expect((await send(tenant, "payment.captured", "o-1", T0 - 1000, { amount: ORDER_DATA.total, payment_id: "pi_1" }, {}, "msg_captured")).status).toBe(200);
    const forged = await send(tenant, "order.updated", "o-1", T0, {}, { "webhook-signature": "v1,bm90IG91ciBzaWduYXR1cmUgYXQgYWxsIQ==" }, "msg_forged");
    expect(forged.status).toBe(401);
    const envelope = await json<{ error: { code: string; request_id: string } }>(forged);
    expect(envelope.error.request_id).toBe(forged.headers.get("x-request-id"));

    // Attempt 1 answers 503, attempt 2 (after the exact backoff) 200.
    const id = exportId("fulfil_order", 1, "o-1");
    await advance(o, T0);
    await advance(o, T0 + backoffDelay(1, TEST_RETRY, jitter(id, 1)));
    const sent = await requests(wms);
    expect(sent.map((r) => r.answered_status)).toEqual([503, 200]);

    const spans = await waitFor(
      () => spansOf(tenant),
      (s) => s.filter((x) => x.name === SPANS.delivery).length >= 2 && s.filter((x) => x.name === SPANS.commit).length >= 3,
    );
    // The sender's span is our request span's parent: we sit inside its trace.
    const request = one(spans, SPANS.request, { request_id: "capture-req-0001" });
    expect(request).toMatchObject({ traceId: INBOUND_TRACE, parentSpanId: INBOUND_SPAN, kind: 2, service: "handoff" });
    expect(request.attributes["http.response.status_code"]).toBe(202);
    const webhook = one(spans, SPANS.webhook, { request_id: "capture-req-0001" });
    expect(webhook).toMatchObject({ traceId: INBOUND_TRACE, parentSpanId: request.spanId });
    expect(webhook.attributes).toMatchObject({ tenant, source: "wms", order_id: "o-1", outcome: "acked" });
    // The order object's commit, across the RPC boundary.
    const commit = one(spans, SPANS.commit, { request_id: "capture-req-0001" });
    expect(commit).toMatchObject({ traceId: INBOUND_TRACE, parentSpanId: webhook.spanId });
    expect(commit.attributes).toMatchObject({ tenant, source: "wms", order_id: "o-1", idempotency_key: "wms:msg_captured", duplicate: false });
    // Each alarm-driven attempt is a child of the commit that issued the export.
    const attempts = [1, 2].map((n) => one(spans, SPANS.delivery, { export_id: id, attempt: n }));
    for (const a of attempts) {
      expect(a).toMatchObject({ traceId: INBOUND_TRACE, parentSpanId: commit.spanId, kind: 3 });
      expect(a.attributes).toMatchObject({ tenant, order_id: "o-1", kind: "deliver" });
    }
    expect(attempts.map((a) => [a.attributes["http.response.status_code"], a.status])).toEqual([
      [503, 2],
      [200, 0],
    ]);
    // …and the consumer received that attempt's span as its parent.
    expect(sent.map((r) => r.headers.traceparent)).toEqual(attempts.map((a) => `00-${INBOUND_TRACE}-${a.spanId}-01`));
    // The duplicate's commit joined a trace of its own and says so.
    expect(spans.filter((s) => s.name === SPANS.commit && s.attributes.duplicate === true)).toHaveLength(1);

    // The request id is on the audit entry the request caused, inside the hash chain.
    const audit = await json<{ entries: { type: string; data: Record<string, unknown> }[]; chain_valid: boolean }>(
      await call("GET", `/v1/tenants/${tenant}/orders/o-1/audit`, { token: key }),
    );
    expect(audit.chain_valid).toBe(true);
    expect(audit.entries.filter((e) => e.type === "receipt.recorded").map((e) => e.data.request_id)).toEqual(["created-req-0001", "capture-req-0001"]);

    // Past the routing SLA with no ack: one breach (owner level).
    await advance(o, T0 + TEST_SLA.routing + 1000);
    const points = await waitFor(
      () => pointsOf(tenant),
      (p) => total(p, METRICS.breaches) >= 1 && total(p, METRICS.retries) >= 1 && total(p, METRICS.rejections) >= 1,
    );
    expect(total(points, METRICS.acks, { source: "wms" })).toBe(2);
    expect(total(points, METRICS.duplicates, { source: "wms" })).toBe(1);
    expect(total(points, METRICS.rejections, { source: "wms", code: "signature_invalid" })).toBe(1);
    expect(total(points, METRICS.breaches, { step: "routing", level: 0 })).toBe(1);
    // Attempt 2, plus the one redelivery the missing ack earns at the same deadline.
    expect(total(points, METRICS.retries, { kind: "deliver" })).toBe((await requests(wms)).length - 1);
    for (const p of points) expect({ temporality: p.temporality, monotonic: p.monotonic }).toEqual({ temporality: 1, monotonic: true });
    expect(await refusedExports()).toEqual([]);
  });
});
