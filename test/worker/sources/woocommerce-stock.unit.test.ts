import { describe, expect, it } from "vitest";
import { utf8 } from "../../../domain/crypto";
import { headerGetter } from "../../../cli/sign";
import { woocommerce } from "../../../worker/sources/woocommerce";
import { WOO_PRODUCT_ON_HAND, WOO_PRODUCT_SKU, wooFixtures } from "../../helpers/fixtures";

const product = wooFixtures["product.updated"];

function stock(body: string, topic = "product.updated", delivery: string | null = "3f1c2a9e8b7d6c5f4e3d2c1b0a998877") {
  return woocommerce.parseStock({
    raw: utf8(body),
    headers: headerGetter({ "x-wc-webhook-topic": topic, ...(delivery === null ? {} : { "x-wc-webhook-delivery-id": delivery }) }),
    source: "woo",
  });
}

describe("WooCommerce product webhooks: stock → inventory.snapshot", () => {
  it("product.updated with manage_stock is a snapshot of its sku: on_hand = stock_quantity as of date_modified_gmt (UTC)", () => {
    const r = stock(product);
    if (r === null || !r.ok || !("sku" in r)) throw new Error(JSON.stringify(r));
    expect(r.sku).toBe(WOO_PRODUCT_SKU);
    expect(r.item).toBeUndefined();
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({
      type: "inventory.snapshot",
      sku: WOO_PRODUCT_SKU,
      occurred_at: "2026-11-20T19:40:11.000Z",
      source: "woo",
      data: { sku: WOO_PRODUCT_SKU, on_hand: WOO_PRODUCT_ON_HAND },
    });
    // product.created maps the same way; a redelivery carries the same key, a new count a new one.
    const created = stock(product, "product.created");
    expect(created).toMatchObject({ ok: true, sku: WOO_PRODUCT_SKU });
    expect(stock(product)).toEqual(r);
    const sold = stock(product.replace('"stock_quantity": 12', '"stock_quantity": 11'));
    if (sold === null || !sold.ok || !("sku" in sold)) throw new Error(JSON.stringify(sold));
    expect(sold.idempotencyKey).not.toBe(r.idempotencyKey);
  });

  it("manage_stock false, or no sku, is ignored (not refused, not an order)", () => {
    expect(stock(wooFixtures["product.updated-unmanaged"])).toMatchObject({ ok: true, ignored: expect.stringContaining("794 does not manage its stock") });
    expect(stock(product.replace('"sku": "WOO-PQ-19"', '"sku": ""'))).toMatchObject({ ok: true, ignored: "WooCommerce product 794 has no SKU" });
  });

  it("is not asked about order topics, and refuses a product it cannot read with the documented codes", () => {
    expect(stock(wooFixtures["order.created"], "order.created")).toBeNull();
    expect(stock("{not json")).toMatchObject({ ok: false, code: "invalid_json" });
    expect(stock(product, "product.updated", null)).toMatchObject({ ok: false, code: "schema_mismatch" });
    expect(stock(product.replace('"id": 794', '"id": null'))).toMatchObject({ ok: false, code: "schema_mismatch" });
    // Managed but without a count (or a negative one) is not a snapshot.
    expect(stock(product.replace('"stock_quantity": 12', '"stock_quantity": null'))).toMatchObject({ ok: false, code: "schema_mismatch" });
  });
});
