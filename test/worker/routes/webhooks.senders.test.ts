import { hmacValidator as HmacValidator } from "@adyen/api-library";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { wooCommerceHeaders } from "../../../cli/sign";
import {
  ADYEN_SECOND_ORDER_ID,
  adyenFixtures,
  EASYPOST_TRACKING_CODE,
  FIXTURE_ORDER_ID,
  lemonSqueezyOrderCreated,
  lemonSqueezyPreset,
  WOO_ORDER_ID,
  WOO_PRODUCT_ON_HAND,
  WOO_PRODUCT_SKU,
} from "../../helpers/fixtures";
import { ADMIN_TOKEN, call, createTenant, expectError, json, SECRETS, settleAlarms } from "../../helpers/http";
import { level, settleInventory } from "../../helpers/inventory";
import { adyen, easypost, lemon, putNewSenders, woo } from "../../helpers/senders";

let key = "";
beforeAll(async () => {
  key = await createTenant("senders");
  await putNewSenders("senders");
});
afterEach(settleAlarms);

async function order(id: string): Promise<{ state: string; receipts: unknown[] } | null> {
  const res = await call("GET", `/v1/tenants/senders/orders/${id}`, { token: key });
  if (res.status === 404) return null;
  return (await json<{ order: { state: string; receipts: unknown[] } }>(res)).order;
}

async function rejectionCount(): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM rejections WHERE tenant_id = 'senders'").first<{ n: number }>();
  return row?.n ?? 0;
}

/** Adyen's own library signs every item, as Adyen does. */
function signedByAdyen(fixture: string): string {
  const body = JSON.parse(fixture) as { notificationItems: { NotificationRequestItem: Record<string, unknown> & { additionalData: Record<string, string> } }[] };
  const validator = new HmacValidator();
  for (const { NotificationRequestItem: item } of body.notificationItems) {
    item.additionalData.hmacSignature = validator.calculateHmac(item as unknown as Parameters<HmacValidator["calculateHmac"]>[0], SECRETS.adyen);
  }
  return JSON.stringify(body);
}

describe("WooCommerce through the real Worker", () => {
  it("answers the unsigned webhook_id ping with exactly 200 and records nothing", async () => {
    const before = await rejectionCount();
    const res = await call("POST", "/v1/tenants/senders/webhooks/woo", { raw: "webhook_id=42", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ ping: true, webhook_id: "42" });
    expect(await rejectionCount()).toBe(before);
  });

  it("records an order and its capture, and a redelivery gets the original receipt", async () => {
    expect((await woo("senders", "order.created")).status).toBe(202);
    const paid = await woo("senders", "order.updated-processing");
    expect(paid.status).toBe(202);
    const again = await woo("senders", "order.updated-processing");
    expect(again.status).toBe(200);
    expect((await json<{ receipt: { id: string } }>(again)).receipt.id).toBe((await json<{ receipt: { id: string } }>(paid)).receipt.id);
    expect(await order(WOO_ORDER_ID)).toMatchObject({ state: "paid" });
  });

  it("refuses an unsigned order (401) and a topic it does not handle (422), recording both", async () => {
    const before = await rejectionCount();
    const unsigned = await call("POST", "/v1/tenants/senders/webhooks/woo", { raw: "{}", headers: { "x-wc-webhook-topic": "order.created" } });
    await expectError(unsigned, 401, "signature_missing");
    const coupon = '{"id":719,"code":"10off","amount":"10.00","discount_type":"percent"}';
    const headers = await wooCommerceHeaders({ topic: "coupon.created", body: coupon, secret: SECRETS.woocommerce });
    await expectError(await call("POST", "/v1/tenants/senders/webhooks/woo", { raw: coupon, headers }), 422, "unsupported_event");
    expect(await rejectionCount()).toBe(before + 2);
  });

  it("product.updated with manage_stock is the SKU's on hand; a product without stock management is answered 200, ignored", async () => {
    const res = await woo("senders", "product.updated");
    expect(res.status).toBe(202);
    expect(await json(res)).toMatchObject({ receipt: { sku: WOO_PRODUCT_SKU } });
    expect((await woo("senders", "product.updated")).status).toBe(200);
    expect(await level("senders", WOO_PRODUCT_SKU, key)).toMatchObject({ sku: WOO_PRODUCT_SKU, on_hand: WOO_PRODUCT_ON_HAND });
    const before = await rejectionCount();
    const ignored = await woo("senders", "product.updated-unmanaged");
    expect(ignored.status).toBe(200);
    expect(await json(ignored)).toEqual({ ignored: true, reason: "WooCommerce product 794 does not manage its stock (manage_stock: false)" });
    expect(await rejectionCount()).toBe(before);
    expect(await order("794")).toBeNull();
    await settleInventory();
  });
});

describe("Adyen through the real Worker", () => {
  it("a batch signed by Adyen's own library for two orders: one receipt each, answered [accepted] once both are durable", async () => {
    const res = await call("POST", "/v1/tenants/senders/webhooks/adyen", { raw: signedByAdyen(adyenFixtures["batch-two-orders"]) });
    expect(res.status).toBe(202);
    expect(await res.text()).toBe("[accepted]");
    const receipts = res.headers.get("x-handoff-receipts")?.split(",") ?? [];
    expect(receipts).toHaveLength(2);
    expect((await order(FIXTURE_ORDER_ID))?.receipts).toHaveLength(1);
    expect((await order(ADYEN_SECOND_ORDER_ID))?.receipts).toHaveLength(1);
    // Adyen resends until it hears [accepted]: the same batch is two duplicates, answered the same way.
    const again = await adyen("senders", "batch-two-orders");
    expect(again.status).toBe(200);
    expect(await again.text()).toBe("[accepted]");
    expect(again.headers.get("x-handoff-receipts")?.split(",")).toEqual(receipts);
  });

  it("a forged item refuses the whole batch (401, recorded); an unmapped event code refuses it with 422", async () => {
    const forged = await call("POST", "/v1/tenants/senders/webhooks/adyen", { raw: signedByAdyen(adyenFixtures["batch-two-orders"]).replace('"value":4200', '"value":1') });
    await expectError(forged, 401, "signature_invalid");
    const report = signedByAdyen(adyenFixtures.capture.replace('"eventCode": "CAPTURE"', '"eventCode": "REPORT_AVAILABLE"'));
    const refused = await call("POST", "/v1/tenants/senders/webhooks/adyen", { raw: report });
    const err = await expectError(refused, 422, "unsupported_event");
    expect(err.details).toMatchObject({ rejection_id: expect.stringMatching(/^rej_/) });
  });
});

describe("EasyPost through the real Worker", () => {
  it("tracker events become shipment events on the configured order", async () => {
    expect((await easypost("senders", "tracker.updated-in_transit")).status).toBe(202);
    expect((await easypost("senders", "tracker.updated-delivered")).status).toBe(202);
    const tracked = await order(EASYPOST_TRACKING_CODE);
    expect(tracked?.receipts).toHaveLength(2);
  });
});

describe("the hmac preset through the real Worker", () => {
  it("a Lemon Squeezy order_created, signed as Lemon Squeezy signs, is a capture on the shop's order", async () => {
    const res = await lemon("senders");
    expect(res.status).toBe(202);
    expect((await json<{ receipt: { order_id: string } }>(res)).receipt.order_id).toBe(FIXTURE_ORDER_ID);
  });

  it("refuses a configuration whose sample does not map (400, naming what failed) and stores nothing", async () => {
    const bad = { ...(lemonSqueezyPreset as Record<string, unknown>), sample: { meta: { event_name: "order_created" }, data: { id: "1", attributes: { updated_at: "2026-11-20T19:28:02.000000Z" } } } };
    const res = await call("PUT", "/v1/tenants/senders/sources/lemon2", { token: ADMIN_TOKEN, body: { kind: "hmac", secret: SECRETS.hmac, config: bad } });
    const err = await expectError(res, 400, "validation_failed");
    expect(JSON.stringify(err.details)).toContain("config.sample");
    expect(err.message).toContain("order id");
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM sources WHERE tenant_id = 'senders' AND name = 'lemon2'").first<{ n: number }>();
    expect(stored?.n).toBe(0);
    const noPath = { ...(lemonSqueezyPreset as Record<string, unknown>), mapping: { order_id: "meta.x" }, sample: JSON.parse(lemonSqueezyOrderCreated) as unknown };
    await expectError(await call("PUT", "/v1/tenants/senders/sources/lemon2", { token: ADMIN_TOKEN, body: { kind: "hmac", secret: SECRETS.hmac, config: noPath } }), 400, "validation_failed");
    await expectError(await call("PUT", "/v1/tenants/senders/sources/adyen2", { token: ADMIN_TOKEN, body: { kind: "adyen", secret: "not-a-hex-key" } }), 400, "validation_failed");
  });
});
