import { afterEach, beforeAll, describe, expect, it } from "vitest";
import shopifyInventoryLevel from "../../fixtures/shopify/inventory-levels-update.json?raw";
import { shopifyHeaders } from "../../../cli/sign";
import { call, expectError, json, SECRETS, seedTenant } from "../../helpers/http";
import { level, settleInventory } from "../../helpers/inventory";

let key = "";
beforeAll(async () => {
  key = await seedTenant("shopstock");
});
afterEach(settleInventory);

async function sendLevel(webhookId: string): Promise<Response> {
  const headers = await shopifyHeaders({ topic: "inventory_levels/update", body: shopifyInventoryLevel, secret: SECRETS.shopify, webhookId });
  return call("POST", "/v1/tenants/shopstock/webhooks/shop", { raw: shopifyInventoryLevel, headers });
}

describe("Shopify inventory_levels/update", () => {
  it("an unmapped item is refused and recorded; once mapped, the replay lands on the SKU", async () => {
    const refused = await expectError(await sendLevel("wh-inv-1"), 422, "schema_mismatch");
    expect(refused.message).toContain("271878346596884015");
    const rejectionId = (refused.details as { rejection_id: string }).rejection_id;

    const mapped = await call("PUT", "/v1/tenants/shopstock/inventory-items", {
      token: key,
      body: { items: [{ system: "shopify", item_id: "271878346596884015", sku: "MUG-BLUE" }] },
    });
    expect(mapped.status).toBe(200);

    const replay = await call("POST", `/v1/tenants/shopstock/rejections/${rejectionId}/replay`, { token: key, body: { by: "ops@shop.test", justification: "SKU mapped" } });
    expect(replay.status).toBe(202);
    expect((await json<{ receipt: { sku: string; events: string[] } }>(replay)).receipt).toMatchObject({ sku: "MUG-BLUE", events: ["inventory.snapshot"] });
    expect(await level("shopstock", "MUG-BLUE", key)).toMatchObject({
      on_hand: 6,
      locations: [{ location: "shopify:24826418", on_hand: 6, snapshot_at: "2022-01-01T00:00:00.000Z" }],
    });

    // A later delivery of the same level under a new webhook id is a new message, the same fact count.
    expect((await sendLevel("wh-inv-2")).status).toBe(202);
    expect((await sendLevel("wh-inv-2")).status).toBe(200);
    expect((await level("shopstock", "MUG-BLUE", key)).on_hand).toBe(6);
  });

  it("refuses a mapping that is not a Shopify id or a SKU", async () => {
    const res = await call("PUT", "/v1/tenants/shopstock/inventory-items", { token: key, body: { items: [{ system: "shopify", item_id: "abc", sku: "has space" }] } });
    await expectError(res, 400, "validation_failed");
  });
});
