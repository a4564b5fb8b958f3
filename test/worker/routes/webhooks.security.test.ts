import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { SHOPIFY, shopify, stripe, STRIPE } from "../../helpers/deliveries";
import { EDITED_ORDER_ID, thirdPartyShopify } from "../../helpers/fixtures";
import { call, expectError, json, SECRETS, seedTenant, settleAlarms } from "../../helpers/http";
import { nowSeconds, shopifyHeaders, signStripe } from "../../../cli/sign";

/**
 * An attacker who knows a tenant id, and one who holds a captured, genuinely
 * signed Shopify body (Shopify signs the body, not the topic header).
 */

const TENANT = "edge-sec";
let key = "";
beforeAll(async () => {
  key = await seedTenant(TENANT);
});
afterEach(settleAlarms);

interface Rejection {
  id: string;
  code: string;
  source: string;
  signature_verified: boolean;
}

async function rejection(err: { details?: unknown }): Promise<Rejection> {
  const id = (err.details as { rejection_id?: string } | undefined)?.rejection_id ?? "";
  expect(id).toMatch(/^rej_/);
  const res = await call("GET", `/v1/tenants/${TENANT}/rejections/${id}`, { token: key });
  expect(res.status).toBe(200);
  return (await json<{ rejection: Rejection }>(res)).rejection;
}

async function rejectionCount(): Promise<number> {
  const res = await call("GET", `/v1/tenants/${TENANT}/rejections?limit=500`, { token: key });
  return (await json<{ counts: { count: number }[] }>(res)).counts.reduce((n, c) => n + c.count, 0);
}

async function orderState(orderId: string): Promise<string> {
  const res = await call("GET", `/v1/tenants/${TENANT}/orders/${orderId}`, { token: key });
  expect(res.status).toBe(200);
  return (await json<{ order: { state: string } }>(res)).order.state;
}

describe("a signed Shopify body must agree with its (unsigned) topic", () => {
  it("a captured orders/create (awaiting payment) re-sent as orders/paid is refused and recorded; the order stays unpaid", async () => {
    expect((await shopify(TENANT, "orders/create", { id: "wh-create-1" })).status).toBe(202);
    const res = await shopify(TENANT, "orders/create", { id: "wh-forged-paid", headers: { "x-shopify-topic": "orders/paid" } });
    const err = await expectError(res, 422, "topic_mismatch");
    expect(err.message).toContain("financial_status");
    const rec = await rejection(err);
    expect(rec).toMatchObject({ code: "topic_mismatch", source: "shop", signature_verified: true });
    expect(await orderState("820982911946154508")).toBe("authorized");
  });

  it("… re-sent as orders/cancelled (no cancelled_at) is refused; the order is not cancelled", async () => {
    const res = await shopify(TENANT, "orders/create", { id: "wh-forged-cancel", headers: { "x-shopify-topic": "orders/cancelled" } });
    const err = await expectError(res, 422, "topic_mismatch");
    expect(err.message).toContain("cancelled_at");
    await rejection(err);
    expect(await orderState("820982911946154508")).not.toBe("cancelled");
  });

  it.each([
    ["fulfillments/create", "fulfillment"],
    ["fulfillments/update", "fulfillment"],
    ["refunds/create", "refund"],
  ])("… re-sent as %s is refused: an order is not a %s", async (topic, why) => {
    const res = await shopify(TENANT, "orders/create", { id: `wh-forged-${topic}`, headers: { "x-shopify-topic": topic } });
    const err = await expectError(res, 422, "topic_mismatch");
    expect(err.message).toContain(why);
    await rejection(err);
  });

  it("a fulfillment body re-sent as an order topic is refused", async () => {
    const res = await shopify(TENANT, "fulfillments/create", { id: "wh-forged-f2o", headers: { "x-shopify-topic": "orders/updated" } });
    await rejection(await expectError(res, 422, "topic_mismatch"));
  });
});

describe("the same signed body under two topics", () => {
  it("is accepted once; the second topic is refused and recorded (topic_conflict), the first stays a plain duplicate", async () => {
    // A paid order body agrees with both orders/create and orders/paid: only the raw hash can tell it is the same delivery.
    const body = SHOPIFY["orders/create (paid)"].replace(/820982911946154508/g, "820982911946150001");
    const first = await shopify(TENANT, "orders/create", { body, id: "wh-twice-1" });
    expect(first.status).toBe(202);
    const relabelled = await shopify(TENANT, "orders/create", { body, id: "wh-twice-2", headers: { "x-shopify-topic": "orders/paid" } });
    const err = await expectError(relabelled, 422, "topic_conflict");
    expect(err.message).toContain("orders/create");
    expect(await rejection(err)).toMatchObject({ code: "topic_conflict", signature_verified: true });
    // A redelivery under the original topic is still just a duplicate.
    expect((await shopify(TENANT, "orders/create", { body, id: "wh-twice-1" })).status).toBe(200);
  });
});

describe("refusals record what was verified", () => {
  it("a stale Stripe delivery whose HMAC matched is recorded as signature-verified; a forged one is not", async () => {
    const body = STRIPE["payment_intent.succeeded"];
    const stale = await stripe(TENANT, "payment_intent.succeeded", { timestampSec: nowSeconds() - 3600 });
    expect(await rejection(await expectError(stale, 401, "timestamp_stale"))).toMatchObject({ signature_verified: true });
    const forged = await call("POST", `/v1/tenants/${TENANT}/webhooks/stripe`, {
      raw: body,
      headers: { "content-type": "application/json", "stripe-signature": await signStripe(body, "whsec_not_the_secret", nowSeconds() - 3600) },
    });
    expect(await rejection(await expectError(forged, 401, "signature_invalid"))).toMatchObject({ signature_verified: false });
    expect(SECRETS.stripe).not.toBe("whsec_not_the_secret");
  });
});

describe("path names no tenant or source could have are refused before anything is recorded", () => {
  const long = "s".repeat(5000);

  it("a 5,000-character source name → 400 invalid_path, no rejection row", async () => {
    const before = await rejectionCount();
    const res = await call("POST", `/v1/tenants/${TENANT}/webhooks/${long}`, { raw: SHOPIFY["orders/create"], headers: { "content-type": "application/json" } });
    const err = await expectError(res, 400, "invalid_path");
    expect(err.details).toEqual([expect.objectContaining({ path: "source", length: 5000 })]);
    expect(JSON.stringify(err)).not.toContain(long);
    expect(await rejectionCount()).toBe(before);
  });

  it("a 5,000-character tenant id, or one with characters no tenant has → 400 invalid_path", async () => {
    await expectError(await call("POST", `/v1/tenants/${"t".repeat(5000)}/webhooks/shop`, { raw: "{}" }), 400, "invalid_path");
    await expectError(await call("POST", `/v1/tenants/ACME%00/webhooks/shop`, { raw: "{}" }), 400, "invalid_path");
  });

  it("an export ack naming a 5,000-character export id → 400 invalid_path, no rejection row", async () => {
    const before = await rejectionCount();
    const res = await call("POST", `/v1/tenants/${TENANT}/exports/exp_${"x".repeat(5000)}/ack`, { raw: '{"status":"accepted"}' });
    await expectError(res, 400, "invalid_path");
    expect(await rejectionCount()).toBe(before);
  });

  it("an export ack of 2 MiB → 413, recorded with its size, read no further than the 64 KiB an ack may be", async () => {
    const big = `{"status":"accepted","reason":"${"x".repeat(2 * 1024 * 1024)}"}`;
    const err = await expectError(await call("POST", `/v1/tenants/${TENANT}/exports/exp_nope/ack`, { raw: big }), 413, "payload_too_large");
    const rec = await rejection(err);
    expect(rec).toMatchObject({ code: "payload_too_large", source: "ack:exp_nope", signature_verified: false });
    const full = await json<{ rejection: { body_truncated: boolean; body_bytes: number } }>(await call("GET", `/v1/tenants/${TENANT}/rejections/${rec.id}`, { token: key }));
    expect(full.rejection).toMatchObject({ body_truncated: true, body_bytes: new TextEncoder().encode(big).length });
  });

  it("read routes refuse it too (the key check answers first, and says no more than 'not found')", async () => {
    const before = await rejectionCount();
    await expectError(await call("GET", `/v1/tenants/${"t".repeat(5000)}/orders/1`, { token: key }), 404, "not_found");
    expect(await rejectionCount()).toBe(before);
  });
});

describe("an edited order from Shopify's own sample is accepted as it stands now", () => {
  it("orders/create with the edited body: 202, the order's value is the current total", async () => {
    const res = await call("POST", `/v1/tenants/${TENANT}/webhooks/shop`, {
      raw: thirdPartyShopify["orders/updated (edited)"],
      headers: await shopifyHeaders({
        topic: "orders/create",
        body: thirdPartyShopify["orders/updated (edited)"],
        secret: SECRETS.shopify,
      }),
    });
    expect(res.status).toBe(202);
    const order = await json<{ order: { value: { amount_minor: number }; fields: { line_items: { sku: string }[] } } }>(
      await call("GET", `/v1/tenants/${TENANT}/orders/${EDITED_ORDER_ID}`, { token: key }),
    );
    expect(order.order.value.amount_minor).toBe(19965);
    expect(order.order.fields.line_items.map((l) => l.sku)).toEqual(["IPOD2008RED"]);
  });
});
