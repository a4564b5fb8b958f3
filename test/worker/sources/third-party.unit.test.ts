import { describe, expect, it } from "vitest";
import { utf8 } from "../../../domain/crypto";
import { shopify } from "../../../worker/sources/shopify";
import { headerGetter, shopifyHeaders, stripeHeaders } from "../../../cli/sign";
import { stripe } from "../../../worker/sources/stripe";
import type { ParseResult } from "../../../worker/sources/types";
import { EDITED_ORDER_ID, FIXTURE_ORDER_ID, PRESENTMENT_ORDER_ID, shopifyFixtures, thirdPartyShopify, thirdPartyStripe } from "../../helpers/fixtures";

/** Payloads in shapes no one here wrote: what the engine records from them. */

const SECRET = "shpss_test_secret_0123456789abcdef";

async function shopifyParse(topic: string, body: string): Promise<ParseResult> {
  const headers = await shopifyHeaders({ topic, body, secret: SECRET, webhookId: "wh-1", eventId: "ev-1" });
  return shopify.parse({ raw: utf8(body), headers: headerGetter(headers), source: "shop" });
}

function events(res: ParseResult) {
  if (!res.ok) throw new Error(`refused: ${res.code} ${res.message}`);
  return res.events;
}

const usd = (amount_minor: number) => ({ amount_minor, currency: "USD" });

describe("an edited Shopify order (Shopify's sample order 450789469: 598.94 placed, 199.65 now)", () => {
  it("records what the customer owes and gets now: current_total_price, current_quantity; removed lines are dropped", async () => {
    const [updated] = events(await shopifyParse("orders/updated", thirdPartyShopify["orders/updated (edited)"]));
    expect(updated?.order_id).toBe(EDITED_ORDER_ID);
    expect(updated?.type).toBe("order.updated");
    const data = updated?.type === "order.updated" ? updated.data : null;
    expect(data?.total).toEqual(usd(19965));
    expect(data?.presentment_total).toEqual(usd(19965));
    // green and black were edited out (current_quantity 0): not routed, not even as quantity 0.
    expect(data?.line_items).toEqual([{ sku: "IPOD2008RED", quantity: 1, unit_price_minor: 19900, requires_shipping: true }]);
  });

  it("the same body as orders/create creates the order at its current value, with no payment event (partially_refunded is not a capture)", async () => {
    const evs = events(await shopifyParse("orders/create", thirdPartyShopify["orders/updated (edited)"]));
    expect(evs.map((e) => e.type)).toEqual(["order.created"]);
    const created = evs[0];
    expect(created?.type === "order.created" && created.data.total).toEqual(usd(19965));
  });

  it("a cancellation carrying refunds[] records the refund too, by refund id", async () => {
    const evs = events(await shopifyParse("orders/cancelled", thirdPartyShopify["orders/cancelled (refunded)"]));
    expect(evs.map((e) => e.type)).toEqual(["order.cancelled", "payment.refunded"]);
    expect(evs[1]?.data).toEqual({ amount: usd(20900), gateway: "bogus", refund_id: "509562969", full: false, cumulative: false });
    // refunds/create for the same refund carries the same id, so the order counts it once.
    const refundAlone = JSON.stringify(JSON.parse(thirdPartyShopify["orders/cancelled (refunded)"]).refunds[0]);
    const [viaRefundsTopic] = events(await shopifyParse("refunds/create", refundAlone));
    expect(viaRefundsTopic?.type === "payment.refunded" && viaRefundsTopic.data.refund_id).toBe("509562969");
  });

  it("a cancellation without refunds records only the cancellation", async () => {
    expect(events(await shopifyParse("orders/cancelled", shopifyFixtures["orders/cancelled"])).map((e) => e.type)).toEqual(["order.cancelled"]);
  });
});

describe("a multi-currency Shopify order (shop USD, customer paid EUR)", () => {
  it("records the shop-currency total as the order's value and keeps the presentment money beside it", async () => {
    const evs = events(await shopifyParse("orders/create", thirdPartyShopify["orders/create (presentment)"]));
    expect(evs[0]?.order_id).toBe(PRESENTMENT_ORDER_ID);
    const created = evs[0];
    expect(created?.type === "order.created" && created.data.total).toEqual(usd(19900));
    expect(created?.type === "order.created" && created.data.presentment_total).toEqual({ amount_minor: 18308, currency: "EUR" });
    // The capture is in the shop's currency, the one the engine compares with the total.
    expect(evs[1]).toMatchObject({ type: "payment.captured", data: { amount: usd(19900) } });
  });
});

describe("captures carry amount and currency, so the order can compare them with its total", () => {
  it("a Shopify capture is what was taken: the current total less total_outstanding", async () => {
    const partly = shopifyFixtures["orders/paid"]
      .replace('"financial_status": "paid"', '"financial_status": "partially_paid"')
      .replace('"total_outstanding": "0.00"', '"total_outstanding": "49.00"');
    expect(partly).toContain('"total_outstanding": "49.00"');
    const [captured] = events(await shopifyParse("orders/paid", partly));
    expect(captured).toMatchObject({ type: "payment.captured", data: { amount: usd(15000) } });
  });

  it("a Shopify capture with no total to take an amount from is refused, not recorded amount-less", async () => {
    const body = JSON.stringify({ id: 7, financial_status: "paid", currency: "USD", line_items: [] });
    expect(await shopifyParse("orders/paid", body)).toMatchObject({ ok: false, code: "schema_mismatch" });
  });

  it("a Stripe partial capture carries the amount actually received (150.00 of 199.00)", async () => {
    const body = thirdPartyStripe["payment_intent.succeeded (partial capture)"];
    const headers = await stripeHeaders({ body, secret: "whsec_x", timestampSec: 1 });
    const res = stripe.parse({ raw: utf8(body), headers: headerGetter(headers), source: "stripe" });
    const [captured] = events(res);
    expect(captured).toMatchObject({ type: "payment.captured", order_id: FIXTURE_ORDER_ID, data: { amount: usd(15000), gateway: "stripe" } });
  });
});
