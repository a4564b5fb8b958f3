import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8 } from "../../../domain/crypto";
import { shopify } from "../../../worker/sources/shopify";
import type { ParseResult } from "../../../worker/sources/types";
import { FIXTURE_ORDER_ID, shopifyFixtures, shopifyTopic } from "../../helpers/fixtures";
import { headerGetter, shopifyHeaders, signShopify } from "../../../cli/sign";

const SECRET = "shpss_test_secret_0123456789abcdef";
const NOW = Date.parse("2026-11-20T15:00:05Z");
/** The idempotency key for a topic delivered with the default headers (Event-Id ev-1). */
const key = (topic: string) => `shop:${topic}:ev-1`;

type Headers = Record<string, string>;

async function headersFor(topic: string, body: string, extra: Headers = {}, omit: string[] = []): Promise<Headers> {
  const h: Headers = {
    ...(await shopifyHeaders({ topic, body, secret: SECRET, webhookId: "wh-1", eventId: "ev-1", triggeredAt: "2026-11-30T00:00:00.123456789Z" })),
    ...extra,
  };
  for (const name of omit) delete h[name];
  return h;
}

async function parseAs(topic: string, body: string, extra: Headers = {}, omit: string[] = []): Promise<ParseResult> {
  const headers = await headersFor(topic, body, extra, omit);
  return shopify.parse({ raw: utf8(body), headers: headerGetter(headers), source: "shop" });
}

async function verifyWith(body: string | Uint8Array, headers: Headers, secret = SECRET) {
  const raw = typeof body === "string" ? utf8(body) : body;
  return shopify.verify({ raw, headers: headerGetter(headers), secret, now: NOW });
}

function envelope(topic: string, i: number, type: string, occurred_at: string, data: Record<string, unknown>) {
  return { id: `${key(topic)}#${i}`, type, order_id: FIXTURE_ORDER_ID, occurred_at, source: "shop", data };
}

const orderData = {
  total: { amount_minor: 19900, currency: "USD" },
  presentment_total: { amount_minor: 19900, currency: "USD" },
  line_items: [
    // requires_shipping is carried over: the QA gate asks physical goods for an address.
    { sku: "SKU2006-001", quantity: 1, unit_price_minor: 9900, requires_shipping: true },
    { sku: "CASE-LEATHER-PREM", quantity: 2, unit_price_minor: 4500, requires_shipping: true },
  ],
  shipping_address: {
    name: "Steve Shipper",
    address1: "123 Shipping Street",
    city: "Shippington",
    province: "Kentucky",
    zip: "40003",
    country_code: "US",
  },
  customer_email: "jon@example.com",
  source_name: "web",
  tags: ["vip", "bf-2026"],
  note: null,
  attribution: { utm_source: "newsletter", utm_medium: "email", utm_campaign: "bf-2026", referring_site: "https://mail.example.com/" },
};
const payment = { amount: { amount_minor: 19900, currency: "USD" }, gateway: "shopify_payments" };
const tracking = {
  fulfillment_id: "255858046",
  carrier: "UPS",
  tracking_number: "1Z999AA10123456784",
};
const trackingUrl = "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z999AA10123456784";

const expected: Record<keyof typeof shopifyFixtures, ReturnType<typeof envelope>[]> = {
  "orders/create": [
    envelope("orders/create", 0, "order.created", "2026-11-20T15:00:00.000Z", orderData),
    envelope("orders/create", 1, "payment.authorized", "2026-11-20T15:00:00.000Z", payment),
  ],
  "orders/create (paid)": [
    envelope("orders/create", 0, "order.created", "2026-11-20T15:00:00.000Z", orderData),
    envelope("orders/create", 1, "payment.captured", "2026-11-20T15:00:00.000Z", payment),
  ],
  "orders/updated": [
    envelope("orders/updated", 0, "order.updated", "2026-11-20T15:05:00.000Z", {
      ...orderData,
      tags: ["vip", "bf-2026", "gift"],
      note: "Gift - please leave at the back door",
    }),
  ],
  "orders/paid": [envelope("orders/paid", 0, "payment.captured", "2026-11-20T19:30:05.000Z", payment)],
  "orders/cancelled": [envelope("orders/cancelled", 0, "order.cancelled", "2026-11-20T17:00:00.000Z", { reason: "customer" })],
  "fulfillments/create": [envelope("fulfillments/create", 0, "shipment.shipped", "2026-11-21T14:15:00.000Z", { ...tracking, tracking_url: trackingUrl })],
  "fulfillments/update (delivered)": [envelope("fulfillments/update", 0, "shipment.delivered", "2026-11-23T21:40:00.000Z", tracking)],
  "refunds/create": [
    envelope("refunds/create", 0, "payment.refunded", "2026-11-28T16:00:00.000Z", {
      amount: { amount_minor: 4500, currency: "USD" },
      gateway: "shopify_payments",
      refund_id: "890088186047892319",
      full: false,
      cumulative: false,
    }),
  ],
};

describe("shopify adapter: mapping the fixtures", () => {
  for (const fixture of Object.keys(shopifyFixtures) as (keyof typeof shopifyFixtures)[]) {
    it(`${fixture} verifies and maps to the canonical events`, async () => {
      const body = shopifyFixtures[fixture];
      const headers = await headersFor(shopifyTopic(fixture), body);
      expect(await verifyWith(body, headers)).toEqual({ ok: true });
      const res = shopify.parse({ raw: utf8(body), headers: headerGetter(headers), source: "shop" });
      const topic = shopifyTopic(fixture);
      expect(res).toEqual({ ok: true, idempotencyKey: key(topic), orderId: FIXTURE_ORDER_ID, events: expected[fixture], topic });
    });
  }

  it("keeps every digit of a 64-bit order id (JSON.parse alone would not)", async () => {
    expect(String(JSON.parse(shopifyFixtures["orders/create"]).id)).not.toBe(FIXTURE_ORDER_ID);
    const res = await parseAs("orders/create", shopifyFixtures["orders/create"]);
    expect(res.ok && res.orderId).toBe(FIXTURE_ORDER_ID);
  });
});

describe("shopify adapter: mapping decisions", () => {
  const fulfillment = shopifyFixtures["fulfillments/create"];
  const withStatus = (status: string) => fulfillment.replace('"status": "success"', `"status": "${status}"`);

  it.each(["pending", "open"])("fulfillment status %s → fulfillment.requested", async (status) => {
    const res = await parseAs("fulfillments/create", withStatus(status));
    expect(res.ok && res.events).toEqual([
      envelope("fulfillments/create", 0, "fulfillment.requested", "2026-11-21T14:15:00.000Z", { fulfillment_id: "255858046", location: "655441491" }),
    ]);
  });

  it.each(["cancelled", "error", "failure"])("fulfillment status %s → fulfillment.rejected", async (status) => {
    const res = await parseAs("fulfillments/update", withStatus(status));
    expect(res.ok && res.events).toEqual([
      envelope("fulfillments/update", 0, "fulfillment.rejected", "2026-11-21T14:15:00.000Z", {
        fulfillment_id: "255858046",
        location: "655441491",
        code: "other",
        reason: status,
      }),
    ]);
  });

  it("an unknown fulfillment status is unsupported, not guessed", async () => {
    const res = await parseAs("fulfillments/update", withStatus("teleported"));
    expect(res).toMatchObject({ ok: false, code: "unsupported_event" });
  });

  it.each([
    ["partially_paid", []],
    ["pending", []],
    ["voided", []],
  ])("orders/create with financial_status %s adds no payment event", async (status) => {
    const body = shopifyFixtures["orders/create"].replace('"financial_status": "authorized"', `"financial_status": "${status}"`);
    const res = await parseAs("orders/create", body);
    expect(res.ok && res.events.map((e) => e.type)).toEqual(["order.created"]);
  });

  it("falls back from sku to variant, product, then title; keeps null shipping address; no attribution when none", async () => {
    const body = JSON.stringify({
      id: 1001,
      created_at: "2026-11-20T10:00:00+01:00",
      currency: "jpy",
      total_price: "1500",
      email: "",
      contact_email: "c@example.com",
      shipping_address: null,
      tags: "",
      line_items: [
        { sku: "", variant_id: 11, product_id: 22, title: "A", quantity: 1, price: "500" },
        { sku: null, variant_id: null, product_id: 22, title: "B", quantity: 1, price: "500.00" },
        { title: "C", quantity: 1, price: 500 },
      ],
    });
    const res = await parseAs("orders/create", body);
    expect(res.ok && res.events).toEqual([
      {
        id: `${key("orders/create")}#0`,
        type: "order.created",
        order_id: "1001",
        occurred_at: "2026-11-20T09:00:00.000Z",
        source: "shop",
        data: {
          total: { amount_minor: 1500, currency: "JPY" },
          line_items: [
            { sku: "11", quantity: 1, unit_price_minor: 500 },
            { sku: "22", quantity: 1, unit_price_minor: 500 },
            { sku: "C", quantity: 1, unit_price_minor: 500 },
          ],
          shipping_address: null,
          customer_email: "c@example.com",
          source_name: null,
          tags: [],
          note: null,
        },
      },
    ]);
  });

  it("refunds: sums only successful refund transactions; takes currency from the line items when transactions have none", async () => {
    const body = JSON.stringify({
      id: 5,
      order_id: 1001,
      created_at: "2026-11-28T11:00:00-05:00",
      refund_line_items: [{ subtotal_set: { shop_money: { amount: "30.00", currency_code: "EUR" } } }],
      transactions: [
        { kind: "refund", status: "success", amount: "10.10", currency: null, gateway: "bogus" },
        { kind: "refund", status: "failure", amount: "99.00", currency: null, gateway: "bogus" },
        { kind: "refund", status: "success", amount: "20.20", currency: null, gateway: "bogus" },
        { kind: "sale", status: "success", amount: "50.00", currency: null, gateway: "bogus" },
      ],
    });
    const res = await parseAs("refunds/create", body);
    expect(res.ok && res.events[0]?.data).toEqual({
      amount: { amount_minor: 3030, currency: "EUR" },
      gateway: "bogus",
      refund_id: "5",
      full: false,
      cumulative: false,
    });
  });

  it("prefers X-Shopify-Event-Id and falls back to X-Shopify-Webhook-Id", async () => {
    const body = shopifyFixtures["orders/cancelled"];
    const both = await parseAs("orders/cancelled", body);
    expect(both.ok && both.idempotencyKey).toBe(key("orders/cancelled"));
    const res = await parseAs("orders/cancelled", body, {}, ["x-shopify-event-id"]);
    expect(res.ok && res.idempotencyKey).toBe("shop:orders/cancelled:wh-1");
    expect(res.ok && res.events[0]?.id).toBe("shop:orders/cancelled:wh-1#0");
  });

  it("keys on topic too: one merchant action (one Event-Id) fires several topics, each a delivery of its own", async () => {
    const created = await parseAs("orders/create", shopifyFixtures["orders/create (paid)"]);
    const paid = await parseAs("orders/paid", shopifyFixtures["orders/paid"]);
    expect(created.ok && paid.ok).toBe(true);
    if (!created.ok || !paid.ok) return;
    expect(created.idempotencyKey).not.toBe(paid.idempotencyKey);
    const createdIds = new Set(created.events.map((e) => e.id));
    expect(paid.events.every((e) => !createdIds.has(e.id))).toBe(true);
  });

  it("the same topic and Event-Id through another subscription (another Webhook-Id) is the same delivery", async () => {
    const body = shopifyFixtures["orders/paid"];
    const first = await parseAs("orders/paid", body, { "x-shopify-webhook-id": "wh-1" });
    const again = await parseAs("orders/paid", body, { "x-shopify-webhook-id": "wh-2" });
    expect(first.ok && first.idempotencyKey).toBe("shop:orders/paid:ev-1");
    expect(again.ok && again.idempotencyKey).toBe("shop:orders/paid:ev-1");
    expect(again.ok && again.events.map((e) => e.id)).toEqual(first.ok && first.events.map((e) => e.id));
  });

  it("a refund carries its id so a re-sent refund can count once; a 64-bit id keeps every digit", async () => {
    const body = JSON.stringify({ order_id: 1001, created_at: "2026-11-28T11:00:00Z", transactions: [] }).replace("{", '{"id": 890088186047892319123,');
    const res = await parseAs("refunds/create", body);
    expect(res.ok && res.events[0]?.data).toMatchObject({ refund_id: "890088186047892319123", cumulative: false });
  });

  it("falls back to X-Shopify-Triggered-At when the payload has no usable timestamp", async () => {
    const body = shopifyFixtures["orders/updated"].replace('"updated_at": "2026-11-20T10:05:00-05:00"', '"updated_at": "yesterday"');
    expect(body).not.toBe(shopifyFixtures["orders/updated"]);
    const res = await parseAs("orders/updated", body);
    expect(res.ok && res.events[0]?.occurred_at).toBe("2026-11-30T00:00:00.123Z");
  });
});

describe("shopify adapter: refusals", () => {
  it("unsupported or missing topic → unsupported_event", async () => {
    expect(await parseAs("products/create", '{"id": 1}')).toMatchObject({ ok: false, code: "unsupported_event" });
    expect(await parseAs("orders/create", "{}", {}, ["x-shopify-topic"])).toMatchObject({ ok: false, code: "unsupported_event" });
  });

  it.each(["{not json", ""])("body %j → invalid_json", async (body) => {
    expect(await parseAs("orders/create", body)).toMatchObject({ ok: false, code: "invalid_json" });
  });

  it.each(["[1,2]", '"text"', "null", "1e400"])("JSON body %j that is not an object → schema_mismatch", async (body) => {
    expect(await parseAs("orders/create", body)).toMatchObject({ ok: false, code: "schema_mismatch" });
  });

  it("invalid UTF-8 → invalid_json", () => {
    const res = shopify.parse({ raw: new Uint8Array([0x7b, 0xff, 0x7d]), headers: headerGetter({ "x-shopify-topic": "orders/create" }), source: "shop" });
    expect(res).toMatchObject({ ok: false, code: "invalid_json" });
  });

  it("no order id → order_id_missing", async () => {
    expect(await parseAs("orders/paid", '{"total_price": "1.00", "currency": "USD", "financial_status": "paid", "line_items": []}')).toMatchObject({ ok: false, code: "order_id_missing" });
    expect(await parseAs("refunds/create", '{"id": 5, "order_id": null, "transactions": []}')).toMatchObject({ ok: false, code: "order_id_missing" });
    expect(await parseAs("fulfillments/create", '{"id": 5, "status": "success"}')).toMatchObject({ ok: false, code: "order_id_missing" });
  });

  it("no event or webhook id → schema_mismatch", async () => {
    const res = await parseAs("orders/paid", shopifyFixtures["orders/paid"], {}, ["x-shopify-event-id", "x-shopify-webhook-id"]);
    expect(res).toMatchObject({ ok: false, code: "schema_mismatch" });
  });

  it("garbage money → schema_mismatch with the reason", async () => {
    const body = shopifyFixtures["orders/paid"].replace('"current_total_price": "199.00"', '"current_total_price": "199,00"');
    expect(body).not.toBe(shopifyFixtures["orders/paid"]);
    const res = await parseAs("orders/paid", body);
    expect(res).toMatchObject({ ok: false, code: "schema_mismatch" });
    expect(!res.ok && res.message).toContain("199,00");
  });

  it("a mapped event the canonical schema refuses → schema_mismatch with zod issues", async () => {
    const body = JSON.stringify({ id: 7, created_at: "2026-11-20T10:00:00Z", currency: "USD", line_items: [{ sku: "A", quantity: -1 }] });
    const res = await parseAs("orders/create", body);
    expect(res).toMatchObject({
      ok: false,
      code: "schema_mismatch",
      details: { issues: [{ event: 0, type: "order.created", path: "data.line_items.0.quantity", code: "too_small" }] },
    });
  });

  it("an order id the canonical schema refuses → schema_mismatch", async () => {
    const res = await parseAs("orders/cancelled", JSON.stringify({ id: "a b/c", cancelled_at: "2026-11-20T10:00:00Z", line_items: [] }));
    expect(res).toMatchObject({ ok: false, code: "schema_mismatch", details: { issues: [{ path: "order_id" }] } });
  });
});

describe("shopify adapter: signature", () => {
  const body = shopifyFixtures["orders/create"];

  it("accepts the sender's signature regardless of header case", async () => {
    const sig = await signShopify(body, SECRET);
    expect(await verifyWith(body, { "X-Shopify-Hmac-SHA256": sig })).toEqual({ ok: true });
  });

  it("rejects a tampered body", async () => {
    const headers = await headersFor("orders/create", body);
    const tampered = body.replace('"199.00"', '"1.00"');
    expect(await verifyWith(tampered, headers)).toMatchObject({ ok: false, code: "signature_invalid" });
  });

  it("rejects the wrong secret", async () => {
    const headers = await headersFor("orders/create", body);
    expect(await verifyWith(body, headers, "another-secret")).toMatchObject({ ok: false, code: "signature_invalid" });
  });

  it("missing header → signature_missing; malformed header → signature_invalid", async () => {
    expect(await verifyWith(body, {})).toMatchObject({ ok: false, code: "signature_missing" });
    expect(await verifyWith(body, { "x-shopify-hmac-sha256": "not base64!" })).toMatchObject({ ok: false, code: "signature_invalid" });
    expect(await verifyWith(body, { "x-shopify-hmac-sha256": "c2hvcnQ=" })).toMatchObject({ ok: false, code: "signature_invalid" });
  });

  it("has no staleness window (Shopify signs no timestamp)", async () => {
    const headers = await headersFor("orders/create", body);
    const res = await shopify.verify({ raw: utf8(body), headers: headerGetter(headers), secret: SECRET, now: NOW + 30 * 86_400_000 });
    expect(res).toEqual({ ok: true });
  });

  it("property: any body and secret verify, and any single-byte change does not", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.string({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (raw, secret, pos, flip) => {
          const headers = { "x-shopify-hmac-sha256": await signShopify(raw, secret) };
          expect(await verifyWith(raw, headers, secret)).toEqual({ ok: true });
          const mutated = raw.slice();
          const i = pos % mutated.length;
          mutated[i] = (mutated[i] ?? 0) ^ flip;
          expect(await verifyWith(mutated, headers, secret)).toMatchObject({ ok: false, code: "signature_invalid" });
        },
      ),
      { numRuns: 200 },
    );
  });
});
