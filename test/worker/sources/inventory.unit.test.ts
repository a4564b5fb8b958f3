import { describe, expect, it } from "vitest";
import { utf8 } from "../../../domain/crypto";
import { inventoryEvents } from "../../../worker/sources/inventory";
import { parseShopifyStock } from "../../../worker/sources/shopify-stock";
import { standard } from "../../../worker/sources/standard";
import { headerGetter } from "../../../cli/sign";
import { standardFixtures, standardStockFixtures } from "../../helpers/fixtures";

const MSG = "msg_2k7ZqQ0cC3v8mN1pX4";
const stock = (body: string, headers: Record<string, string> = { "webhook-id": MSG }) =>
  standard.parseStock?.({ raw: utf8(body), headers: headerGetter(headers), source: "wms" });

describe("stock messages from Standard Webhooks senders", () => {
  it("a snapshot maps to the canonical event for its SKU (no order id)", () => {
    expect(stock(standardStockFixtures["inventory.snapshot"])).toEqual({
      ok: true,
      idempotencyKey: `wms:${MSG}`,
      sku: "TEE-BLK-M",
      events: [{ id: `wms:${MSG}#0`, type: "inventory.snapshot", sku: "TEE-BLK-M", occurred_at: "2026-12-01T06:00:00.000Z", source: "wms", data: { sku: "TEE-BLK-M", on_hand: 10, location: "berlin-dc" } }],
    });
    expect(stock(standardStockFixtures["inventory.adjusted"])).toMatchObject({ ok: true, events: [{ type: "inventory.adjusted", data: { delta: 5, reason: "receipt" } }] });
  });

  it("order messages are not stock messages: parse decides them as before", () => {
    expect(stock(standardFixtures["shipment.shipped"])).toBeNull();
  });

  it("refuses a stock message without a SKU, a count, or a webhook-id", () => {
    const body = (data: unknown) => JSON.stringify({ type: "inventory.snapshot", occurred_at: "2026-12-01T06:00:00Z", data });
    expect(stock(body({ on_hand: 3 }))).toMatchObject({ ok: false, code: "schema_mismatch" });
    expect(stock(body({ sku: "A", on_hand: 1.5 }))).toMatchObject({ ok: false, code: "schema_mismatch" });
    expect(stock(body({ sku: "A b", on_hand: 1 }))).toMatchObject({ ok: false, code: "schema_mismatch" });
    expect(stock(body({ sku: "A", on_hand: 1 }), {})).toMatchObject({ ok: false, code: "schema_mismatch" });
  });

  it("one delivery names one SKU", () => {
    const at = "2026-12-01T06:00:00Z";
    expect(
      inventoryEvents("k", "shop", [
        { type: "inventory.snapshot", sku: "A", occurred_at: at, data: { sku: "A", on_hand: 1 } },
        { type: "inventory.snapshot", sku: "B", occurred_at: at, data: { sku: "B", on_hand: 1 } },
      ]),
    ).toMatchObject({ ok: false, code: "schema_mismatch" });
  });
});

describe("stock messages from Shopify (inventory_levels/update)", () => {
  const headers = (topic: string) => headerGetter({ "x-shopify-topic": topic, "x-shopify-webhook-id": "wh-1" });
  const body = (p: Record<string, unknown>) => utf8(JSON.stringify(p));
  const level = { inventory_item_id: 271878346596884015n.toString(), location_id: 24826418, available: 6, updated_at: "2021-12-31T19:00:00-05:00" };

  it("maps a level to a snapshot of the item, to be resolved to a SKU by the tenant's mapping", () => {
    const parsed = parseShopifyStock({ raw: body(level), headers: headers("inventory_levels/update"), source: "shop" });
    expect(parsed).toMatchObject({
      ok: true,
      idempotencyKey: "shop:inventory_levels/update:wh-1",
      item: { system: "shopify", id: "271878346596884015" },
      events: [{ type: "inventory.snapshot", occurred_at: "2022-01-01T00:00:00.000Z", data: { on_hand: 6, location: "shopify:24826418" } }],
    });
  });

  it("leaves order topics to parse, and refuses an untracked item", () => {
    expect(parseShopifyStock({ raw: body(level), headers: headers("orders/create"), source: "shop" })).toBeNull();
    expect(parseShopifyStock({ raw: body({ ...level, available: null }), headers: headers("inventory_levels/update"), source: "shop" })).toMatchObject({ ok: false, code: "unsupported_event" });
  });
});
