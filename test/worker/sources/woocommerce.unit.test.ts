import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { utf8 } from "../../../domain/crypto";
import { woocommerce } from "../../../worker/sources/woocommerce";
import { headerGetter, wooCommerceHeaders } from "../../../cli/sign";
import { WOO_ORDER_ID, wooFixtures, wooTopic } from "../../helpers/fixtures";

const SECRET = "wc_secret_9f8e7d6c5b4a";
const NOW = Date.UTC(2026, 10, 20, 20);

function parse(key: keyof typeof wooFixtures, headers: Record<string, string> = {}) {
  return woocommerce.parse({
    raw: utf8(wooFixtures[key]),
    headers: headerGetter({ "x-wc-webhook-topic": wooTopic(key), "x-wc-webhook-delivery-id": "d41d8cd98f00b204e9800998ecf8427e", ...headers }),
    source: "woo",
  });
}

function types(key: keyof typeof wooFixtures): string[] {
  const r = parse(key);
  if (!r.ok || "batch" in r) throw new Error(JSON.stringify(r));
  return r.events.map((e) => e.type);
}

describe("WooCommerce: the signature is its PHP's base64_encode(hash_hmac('sha256', $payload, $secret, true))", () => {
  it("accepts a body signed exactly as WooCommerce signs it (node:crypto standing in for PHP)", async () => {
    const body = wooFixtures["order.created"];
    const signature = createHmac("sha256", SECRET).update(body, "utf8").digest("base64");
    const res = await woocommerce.verify({ raw: utf8(body), headers: headerGetter({ "x-wc-webhook-signature": signature }), secret: SECRET, now: NOW });
    expect(res).toEqual({ ok: true });
    // The CLI's signer produces the same value.
    expect((await wooCommerceHeaders({ topic: "order.created", body, secret: SECRET }))["x-wc-webhook-signature"]).toBe(signature);
  });

  it("refuses a missing, malformed, or foreign signature with the right code", async () => {
    const raw = utf8(wooFixtures["order.created"]);
    const verify = (headers: Record<string, string>) => woocommerce.verify({ raw, headers: headerGetter(headers), secret: SECRET, now: NOW });
    expect(await verify({})).toMatchObject({ ok: false, code: "signature_missing" });
    expect(await verify({ "x-wc-webhook-signature": "not base64!" })).toMatchObject({ ok: false, code: "signature_invalid" });
    const other = createHmac("sha256", "another secret").update(raw).digest("base64");
    expect(await verify({ "x-wc-webhook-signature": other })).toMatchObject({ ok: false, code: "signature_invalid" });
  });

  it("knows WooCommerce's unsigned ping (webhook_id=…, form-encoded) and nothing else as a ping", () => {
    const ping = woocommerce.ping;
    expect(ping(utf8("webhook_id=42"), headerGetter({}))).toBe("42");
    expect(ping(utf8("webhook_id=42&x=1"), headerGetter({}))).toBeNull();
    expect(ping(utf8("webhook_id=42"), headerGetter({ "x-wc-webhook-signature": "AAAA" }))).toBeNull();
    expect(ping(utf8(wooFixtures["order.created"]), headerGetter({}))).toBeNull();
  });
});

describe("WooCommerce: orders map to canonical events by topic and status", () => {
  it("order.created (pending) records the order: total, lines, shipping address, email, note", () => {
    const r = parse("order.created");
    if (!r.ok || "batch" in r) throw new Error(JSON.stringify(r));
    expect(r.orderId).toBe(WOO_ORDER_ID);
    expect(r.events).toHaveLength(1);
    const [created] = r.events;
    expect(created).toMatchObject({
      type: "order.created",
      order_id: "727",
      occurred_at: "2026-11-20T19:28:02.000Z",
      data: {
        total: { amount_minor: 2935, currency: "USD" },
        line_items: [
          { sku: "93", quantity: 2, unit_price_minor: 300 },
          { sku: "Bar3", quantity: 1, unit_price_minor: 1200 },
        ],
        shipping_address: { name: "John Doe", address1: "969 Market", city: "San Francisco", province: "CA", zip: "94103", country_code: "US" },
        customer_email: "john.doe@example.com",
        note: "Leave at the back door",
      },
    });
  });

  it("maps each status: processing → captured, completed → captured + shipped, cancelled, failed, refunded; on-hold records the order only", () => {
    expect(types("order.updated-processing")).toEqual(["order.updated", "payment.captured"]);
    expect(types("order.updated-completed")).toEqual(["order.updated", "payment.captured", "shipment.shipped"]);
    expect(types("order.updated-cancelled")).toEqual(["order.updated", "order.cancelled"]);
    expect(types("order.updated-failed")).toEqual(["order.updated", "payment.failed"]);
    expect(types("order.updated-refunded")).toEqual(["order.updated", "payment.refunded"]);
    expect(types("order.updated-on-hold")).toEqual(["order.updated"]);
  });

  it("a capture carries the amount, the gateway's transaction and when it was paid; a refund is the running total, full", () => {
    const captured = parse("order.updated-processing");
    if (!captured.ok || "batch" in captured) throw new Error("refused");
    expect(captured.events[1]).toMatchObject({
      occurred_at: "2026-11-20T19:28:08.000Z",
      data: { amount: { amount_minor: 2935, currency: "USD" }, payment_id: "pi_3QJZxL2eZvKYlo2C0m4kS6Hq", gateway: "stripe" },
    });
    const refunded = parse("order.updated-refunded");
    if (!refunded.ok || "batch" in refunded) throw new Error("refused");
    expect(refunded.events[1]).toMatchObject({ data: { amount: { amount_minor: 2935, currency: "USD" }, full: true, cumulative: true, payment_id: "pi_3QJZxL2eZvKYlo2C0m4kS6Hq" } });
  });

  it("two updates within one second (same delivery id) stay two deliveries: the key holds the modification time and status", () => {
    const a = parse("order.updated-processing");
    const b = parse("order.updated-completed");
    if (!a.ok || "batch" in a || !b.ok || "batch" in b) throw new Error("refused");
    expect(a.idempotencyKey).not.toBe(b.idempotencyKey);
    expect(parse("order.updated-processing")).toEqual(a);
  });

  it("refuses what it cannot map, with the documented codes", () => {
    expect(parse("order.created", { "x-wc-webhook-topic": "coupon.created" })).toMatchObject({ ok: false, code: "unsupported_event" });
    expect(parse("order.created", { "x-wc-webhook-topic": "product.updated" })).toMatchObject({ ok: false, code: "unsupported_event" });
    const noDelivery = woocommerce.parse({ raw: utf8(wooFixtures["order.created"]), headers: headerGetter({ "x-wc-webhook-topic": "order.created" }), source: "woo" });
    expect(noDelivery).toMatchObject({ ok: false, code: "schema_mismatch" });
    const noId = woocommerce.parse({
      raw: utf8(wooFixtures["order.created"].replace('"id": 727,', '"id": null,')),
      headers: headerGetter({ "x-wc-webhook-topic": "order.created", "x-wc-webhook-delivery-id": "x" }),
      source: "woo",
    });
    expect(noId).toMatchObject({ ok: false, code: "order_id_missing" });
    const badTotal = woocommerce.parse({
      raw: utf8(wooFixtures["order.created"].replace('"total": "29.35"', '"total": "29.3.5"')),
      headers: headerGetter({ "x-wc-webhook-topic": "order.created", "x-wc-webhook-delivery-id": "x" }),
      source: "woo",
    });
    expect(badTotal).toMatchObject({ ok: false, code: "schema_mismatch" });
  });
});
