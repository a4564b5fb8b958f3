import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { backoffDelay } from "../../../domain/handoff/delivery";
import { exportId, HandoffExport } from "../../../domain/handoff/document";
import { jitter } from "../../../domain/handoff/decide";
import { freshScenario, requests, script } from "../../helpers/consumer";
import { ORDER_ID, shopify, standard, stripe } from "../../helpers/deliveries";
import {
  ORDER_DATA,
  ack,
  advance,
  getOrder,
  handoffTenant,
  orderStub,
  paidOrder,
  post,
  ROUTING_SECRET,
  setClock,
  SHIPPING_SECRET,
  TEST_RETRY,
  TEST_SLA,
} from "../../helpers/handoff";
import { call, expectError, json, settleAlarms } from "../../helpers/http";

afterEach(settleAlarms);

/** The test clock: a minute ahead, so no alarm the tests schedule fires on its own. */
function t0(): number {
  return Math.ceil((Date.now() + 60_000) / 1000) * 1000;
}

async function audit(tenant: string, orderId: string, key: string) {
  const res = await call("GET", `/v1/tenants/${tenant}/orders/${orderId}/audit`, { token: key });
  return json<{ entries: { at: string; type: string; data: Record<string, unknown> }[]; chain_valid: boolean }>(res);
}

describe("a paid order is handed to its warehouse, acked once, and shipped (real clock, real HTTP)", () => {
  it("routes, delivers a signed export, takes the ack, hands shipping to the carrier, ends shipped", async () => {
    const wms = freshScenario("wms");
    const carrier = freshScenario("carrier");
    const key = await handoffTenant("happy", wms, carrier);
    expect((await shopify("happy", "orders/create")).status).toBe(202);
    expect((await stripe("happy", "payment_intent.succeeded")).status).toBe(202);

    const id = exportId("fulfil_order", 1, ORDER_ID);
    await expect.poll(async () => (await requests(wms)).length, { timeout: 5000 }).toBe(1);
    const [req] = await requests(wms);
    expect(req?.headers["webhook-id"]).toBe(id);
    // Verified with the reference library, as a consumer would.
    const payload = new Webhook(ROUTING_SECRET).verify(req?.body ?? "", req?.headers ?? {});
    const exp = HandoffExport.parse(payload);
    expect(exp).toMatchObject({
      export_id: id,
      order_id: ORDER_ID,
      tenant: "happy",
      intended_action: "fulfil_order",
      step: "routing",
      owning_party: "agency:fulfillment-team",
      decision_version: 1,
      order: { total: { amount_minor: 19900, currency: "USD" } },
    });
    expect(exp.audit_trail.map((t) => t.type)).toEqual(expect.arrayContaining(["order.created", "payment.captured"]));

    await expect.poll(async () => (await getOrder("happy", ORDER_ID, key)).exports[0]?.status).toBe("delivered");
    const first = await ack("happy", id, "accepted");
    expect(first.status).toBe(200);
    expect(await json(first)).toEqual({ export_id: id, status: "acked", duplicate: false });
    expect(await json(await ack("happy", id, "accepted"))).toEqual({ export_id: id, status: "acked", duplicate: true });

    expect((await standard("happy", "wms", "fulfillment.accepted")).status).toBe(202);
    const ship = exportId("request_shipment", 1, ORDER_ID);
    await expect.poll(async () => (await requests(carrier)).map((r) => r.headers["webhook-id"]), { timeout: 5000 }).toEqual([ship]);
    const shipReq = (await requests(carrier))[0];
    expect(() => new Webhook(SHIPPING_SECRET).verify(shipReq?.body ?? "", shipReq?.headers ?? {})).not.toThrow();
    expect((await standard("happy", "carrier", "shipment.shipped")).status).toBe(202);

    const order = await getOrder("happy", ORDER_ID, key);
    expect(order.state).toBe("shipped");
    // The carrier's contract needs no ack (requires_ack: false): its 2xx completes the handoff, and is its acknowledgement.
    expect(order.exports.map((e) => [e.export.export_id, e.status, e.requires_ack, e.ack?.via ?? null])).toEqual([
      [id, "acked", true, "ack"],
      [ship, "acked", false, "delivery"],
    ]);
    await settleAlarms();
    // Exactly one delivery of each export: nothing after its acknowledgement.
    expect((await requests(wms)).length).toBe(1);
    expect((await requests(carrier)).length).toBe(1);
    const trail = await audit("happy", ORDER_ID, key);
    expect(trail.chain_valid).toBe(true);
    // The cross-order view in D1 (what queues and boards read) matches the object.
    const rows = await env.DB.prepare("SELECT export_id, status, attempts, owner, acked_at FROM handoffs WHERE tenant_id = 'happy' ORDER BY export_id").all();
    const ackedAt = new Map(order.exports.map((e) => [e.export.export_id, e.acked_at]));
    expect(rows.results).toEqual([
      { export_id: id, status: "acked", attempts: 1, owner: "routing@agency.example", acked_at: ackedAt.get(id) },
      { export_id: ship, status: "acked", attempts: 1, owner: "shipping@3pl-acme.example", acked_at: ackedAt.get(ship) },
    ]);
    expect(trail.entries.filter((e) => e.type === "export.attempt")).toHaveLength(2);
    // One definition of acknowledged (issue 11): every acked export has its export.acked entry, at its acked_at,
    // so the analytics exports and the notebooks count what the order API says.
    expect(trail.entries.filter((e) => e.type === "export.acked").map((e) => [e.data.export_id, e.data.via, e.at])).toEqual([
      [id, "ack", ackedAt.get(id)],
      [ship, "delivery", ackedAt.get(ship)],
    ]);
  });

  it("serves the export's JSON Schema, generated from zod", async () => {
    const res = await call("GET", "/v1/schemas/export.json");
    expect(res.status).toBe(200);
    const schema = await json<{ type: string; required: string[] }>(res);
    expect(schema.type).toBe("object");
    expect(schema.required).toEqual(
      expect.arrayContaining(["export_id", "order_id", "owning_party", "decision_version", "intended_action", "sla", "exception_path", "expires_at", "audit_trail"]),
    );
  });
});

describe("delivery survives a consumer that is down, rate-limits, times out or rejects (stepped clock)", () => {
  it("retries on the exact schedule: full jitter, Retry-After honoured, one webhook-id", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("outage", wms, freshScenario("carrier"));
    await script(wms, [
      { status: 503, headers: { "retry-after": "3" } },
      { status: 500 },
      { status: 429, headers: { "retry-after": "1" } },
    ]);
    const T0 = t0();
    const o = orderStub("outage", "o-1");
    await setClock(o, T0);
    await paidOrder("outage", "o-1", T0);
    const id = exportId("fulfil_order", 1, "o-1");
    const b = (n: number) => backoffDelay(n, TEST_RETRY, jitter(id, n));
    const T1 = T0 + Math.max(b(1), 3000);
    const T2 = T1 + b(2);
    const T3 = T2 + Math.max(b(3), 1000);
    for (const t of [T0, T1, T2, T3]) await advance(o, t);

    const order = await getOrder("outage", "o-1", key);
    const e = order.exports[0];
    expect(e?.status).toBe("delivered");
    expect(e?.attempts.map((a) => [a.status, a.outcome, a.at])).toEqual([
      [503, "retry", new Date(T0).toISOString()],
      [500, "retry", new Date(T1).toISOString()],
      [429, "retry", new Date(T2).toISOString()],
      [200, "delivered", new Date(T3).toISOString()],
    ]);
    expect(e?.attempts.map((a) => a.next_attempt_at)).toEqual([...[T1, T2, T3].map((t) => new Date(t).toISOString()), null]);
    const seen = await requests(wms);
    expect(new Set(seen.map((r) => r.headers["webhook-id"]))).toEqual(new Set([id]));
    for (const r of seen) expect(() => new Webhook(ROUTING_SECRET).verify(r.body, r.headers)).not.toThrow();
  });

  it("an object evicted mid-retry resumes from its timers table", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("evicted", wms, freshScenario("carrier"));
    await script(wms, [{ status: 502 }]);
    const T0 = t0();
    const o = orderStub("evicted", "o-2");
    await setClock(o, T0);
    await paidOrder("evicted", "o-2", T0);
    await advance(o, T0);
    await evictDurableObject(o);
    await advance(o, T0 + TEST_RETRY.max_interval);
    expect((await getOrder("evicted", "o-2", key)).exports[0]?.attempts.map((a) => a.status)).toEqual([502, 200]);
  });

  it("a timeout is retried like an outage", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("slow", wms, freshScenario("carrier"));
    await script(wms, [{ status: 200, delay_ms: 2500 }]);
    const T0 = t0();
    const o = orderStub("slow", "o-3");
    await setClock(o, T0);
    await paidOrder("slow", "o-3", T0);
    await advance(o, T0);
    const a = (await getOrder("slow", "o-3", key)).exports[0]?.attempts[0];
    expect(a).toMatchObject({ status: null, error_class: "timeout", outcome: "retry" });
  });

  it("a business rejection (4xx) puts the order on hold with the evidence", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("refused", wms, freshScenario("carrier"));
    await script(wms, [{ status: 422, body: '{"error":"SKU MUG-01 not stocked at this DC"}' }]);
    const T0 = t0();
    const o = orderStub("refused", "o-4");
    await setClock(o, T0);
    await paidOrder("refused", "o-4", T0);
    await advance(o, T0);
    const order = await getOrder("refused", "o-4", key);
    expect(order.state).toBe("on_hold");
    expect(order.exports[0]?.status).toBe("rejected");
    expect(order.holds).toEqual([expect.objectContaining({ reason: "consumer_rejected", detail: expect.stringContaining("not stocked") })]);
    const trail = await audit("refused", "o-4", key);
    const esc = trail.entries.find((e) => e.type === "export.escalated");
    expect(esc?.data).toMatchObject({ kind: "consumer_rejected", owner: "routing@agency.example", escalate_to: "pagerduty:agency-oncall" });
  });

  it("a consumer down past max_attempts escalates: delivery_failed hold", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("dead", wms, freshScenario("carrier"));
    await script(wms, [], { status: 503 });
    const T0 = t0();
    const o = orderStub("dead", "o-5");
    await setClock(o, T0);
    await paidOrder("dead", "o-5", T0);
    let t = T0;
    for (let n = 1; n <= TEST_RETRY.max_attempts; n++) {
      await advance(o, t);
      t += TEST_RETRY.max_interval;
    }
    const order = await getOrder("dead", "o-5", key);
    expect(order.exports[0]?.attempts).toHaveLength(TEST_RETRY.max_attempts);
    expect(order.exports[0]?.status).toBe("failed");
    expect(order.state).toBe("on_hold");
    expect(order.holds[0]?.reason).toBe("delivery_failed");
    expect(await requests(wms)).toHaveLength(TEST_RETRY.max_attempts);
  });
});

describe("acknowledgements", () => {
  it("a missing ack is redelivered once, then escalated; a late ack still counts before that", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("noack", wms, freshScenario("carrier"));
    const T0 = t0();
    const o = orderStub("noack", "o-6");
    await setClock(o, T0);
    await paidOrder("noack", "o-6", T0);
    await advance(o, T0);
    await advance(o, T0 + TEST_SLA.routing);
    // The redelivery (same webhook-id) goes out at the ack deadline.
    await advance(o, T0 + TEST_SLA.routing);
    expect((await requests(wms)).map((r) => r.headers["webhook-id"])).toEqual([exportId("fulfil_order", 1, "o-6"), exportId("fulfil_order", 1, "o-6")]);
    await advance(o, T0 + 3 * TEST_SLA.routing);
    const order = await getOrder("noack", "o-6", key);
    expect(order.exports[0]?.status).toBe("failed");
    expect(order.holds.map((h) => h.reason)).toContain("ack_missing");

    // A second order whose consumer acks late, between redelivery and escalation.
    const o2 = orderStub("noack", "o-7");
    await setClock(o2, T0);
    await paidOrder("noack", "o-7", T0);
    await advance(o2, T0);
    await advance(o2, T0 + TEST_SLA.routing);
    await advance(o2, T0 + TEST_SLA.routing);
    const lateAt = T0 + TEST_SLA.routing + 1000;
    await setClock(o2, lateAt);
    expect((await ack("noack", exportId("fulfil_order", 1, "o-7"), "accepted", undefined, undefined, lateAt)).status).toBe(200);
    await advance(o2, T0 + 3 * TEST_SLA.routing);
    const late = await getOrder("noack", "o-7", key);
    expect(late.exports[0]?.status).toBe("acked");
    expect(late.holds).toEqual([]);
  });

  it("a rejecting ack puts the order on hold; acks must be signed with the consumer's secret", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("nack", wms, freshScenario("carrier"));
    const T0 = t0();
    const o = orderStub("nack", "o-8");
    await setClock(o, T0);
    await paidOrder("nack", "o-8", T0);
    await advance(o, T0);
    const id = exportId("fulfil_order", 1, "o-8");
    await expectError(await ack("nack", id, "accepted", SHIPPING_SECRET), 401, "signature_invalid");
    await expectError(await ack("nack", exportId("fulfil_order", 1, "nope"), "accepted"), 404, "not_found");
    await expectError(await ack("nack", "exp_bogus", "accepted"), 404, "not_found");
    const res = await ack("nack", id, "rejected", ROUTING_SECRET, "address undeliverable");
    expect(await json(res)).toEqual({ export_id: id, status: "rejected", duplicate: false });
    const order = await getOrder("nack", "o-8", key);
    expect(order.state).toBe("on_hold");
    expect(order.holds[0]).toMatchObject({ reason: "consumer_rejected", detail: expect.stringContaining("address undeliverable") });
  });
});

describe("SLA breaches escalate along owner → backup → on-call", () => {
  it("an authorization never captured breaches the payment SLA and escalates one level per interval", async () => {
    const key = await handoffTenant("stall", freshScenario("wms"), freshScenario("carrier"));
    const T0 = t0();
    const o = orderStub("stall", "o-9");
    await setClock(o, T0);
    // A real order: items and where they ship (the QA gate holds a routing export without them).
    expect((await post("stall", "wms", "order.created", "o-9", T0, { ...ORDER_DATA, total: { amount_minor: 100, currency: "EUR" } })).status).toBe(202);
    expect((await post("stall", "wms", "payment.authorized", "o-9", T0, { amount: { amount_minor: 100, currency: "EUR" } })).status).toBe(202);
    const due = T0 + TEST_SLA.payment;
    await advance(o, due);
    let order = await getOrder("stall", "o-9", key);
    expect(order.breaches.map((b) => [b.step, b.level, b.contact])).toEqual([["payment", 0, "finance@acme.example"]]);
    await advance(o, due + TEST_SLA.payment);
    await advance(o, due + TEST_SLA.payment); // the same alarm twice records nothing new
    await advance(o, due + 2 * TEST_SLA.payment);
    order = await getOrder("stall", "o-9", key);
    expect(order.breaches.map((b) => [b.level, b.contact])).toEqual([
      [0, "finance@acme.example"],
      [1, "ops@acme.example"],
      [2, "pagerduty:acme-payments"],
    ]);
    const trail = await audit("stall", "o-9", key);
    expect(trail.entries.filter((e) => e.type.startsWith("sla.")).map((e) => [e.type, e.data.role, e.data.owner])).toEqual([
      ["sla.breached", "owner", "finance@acme.example"],
      ["sla.escalated", "backup", "finance@acme.example"],
      ["sla.escalated", "on_call", "finance@acme.example"],
    ]);
    // The capture arrives at last: the clock stops and the breach is resolved.
    expect((await post("stall", "wms", "payment.captured", "o-9", due + 3 * TEST_SLA.payment, { amount: { amount_minor: 100, currency: "EUR" } })).status).toBe(202);
    order = await getOrder("stall", "o-9", key);
    expect(order.breaches.every((b) => b.resolved_at !== null)).toBe(true);
    await runDurableObjectAlarm(o);
    await o.flush();
    const d1 = await env.DB.prepare("SELECT step, level, contact, resolved_at IS NOT NULL AS resolved FROM sla_breaches WHERE tenant_id = 'stall' ORDER BY level").all();
    expect(d1.results).toEqual([
      { step: "payment", level: 0, contact: "finance@acme.example", resolved: 1 },
      { step: "payment", level: 1, contact: "ops@acme.example", resolved: 1 },
      { step: "payment", level: 2, contact: "pagerduty:acme-payments", resolved: 1 },
    ]);
    const idx = await env.DB.prepare("SELECT state, breaches FROM orders WHERE tenant_id = 'stall'").first();
    expect(idx).toEqual({ state: "routed", breaches: 0 });
  });

  it("a clock that jumps past several deadlines records every level in one alarm", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("jump", wms, freshScenario("carrier"));
    await script(wms, [], { status: 200 });
    const T0 = t0();
    const o = orderStub("jump", "o-10");
    await setClock(o, T0);
    await paidOrder("jump", "o-10", T0);
    await advance(o, T0);
    expect((await ack("jump", exportId("fulfil_order", 1, "o-10"), "accepted")).status).toBe(200);
    // Routed and acked, but the warehouse never accepts: the fulfillment clock runs from routed_at.
    await advance(o, T0 + 10 * TEST_SLA.fulfillment);
    const order = await getOrder("jump", "o-10", key);
    const f = order.breaches.filter((b) => b.step === "fulfillment");
    expect(f.map((b) => [b.level, b.contact])).toEqual([
      [0, "warehouse@3pl-acme.example"],
      [1, "shift-lead@3pl-acme.example"],
      [2, "pagerduty:3pl-acme"],
    ]);
    expect(new Set(f.map((b) => b.breached_at)).size).toBe(1);
    expect(order.sla.map((s) => s.step)).toContain("fulfillment");
  });
});
