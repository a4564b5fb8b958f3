import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { freshScenario } from "../../helpers/consumer";
import { getOrder, handoffTenant, ORDER_DATA, paidOrder } from "../../helpers/handoff";
import { settleAlarms } from "../../helpers/http";
import { inventoryStub, level, sendStock, settleInventory } from "../../helpers/inventory";
import { invalidateTenantCache } from "../../../worker/tenancy";

afterEach(async () => {
  await settleInventory();
  await settleAlarms();
});

const T0 = Date.parse("2026-12-07T10:00:00Z");

async function listed(tenant: string): Promise<string[]> {
  const rows = await env.DB.prepare("SELECT sku FROM stock_skus WHERE tenant_id = ? ORDER BY sku").bind(tenant).all<{ sku: string }>();
  return rows.results.map((r) => r.sku);
}

/** Stock reported straight to the SKU's object, as another isolate's webhook would: this isolate has not seen it. */
async function stockElsewhere(tenant: string, sku: string, onHand: number): Promise<void> {
  const id = `elsewhere-${tenant}-${sku}`;
  const event = { id: `${id}#0`, type: "inventory.snapshot" as const, sku, occurred_at: "2026-12-07T09:00:00Z", source: "wms", data: { sku, on_hand: onHand } };
  await inventoryStub(tenant, sku).ingest({ tenant, sku, source: "wms", idempotencyKey: id, rawSha256: "0".repeat(64), events: [event] });
}

function routedLines(order: Awaited<ReturnType<typeof getOrder>>) {
  return order.exports.filter((e) => e.export.intended_action === "fulfil_order").map((e) => e.export.order.line_items);
}

describe("only SKUs that track stock are asked to reserve", () => {
  it("a SKU's first stock report lists it in D1 (from the object's alarm), once; a tenant without stock lists nothing", async () => {
    await handoffTenant("trk-list", freshScenario("trk-list-wms"), freshScenario("trk-list-carrier"));
    await paidOrder("trk-list", "o-1", T0);
    expect(await listed("trk-list")).toEqual([]);
    await sendStock("trk-list", "snap-trk-1", "inventory.snapshot", { sku: "MUG-01", on_hand: 3 }, "2026-12-07T09:00:00Z");
    await settleInventory();
    await sendStock("trk-list", "snap-trk-2", "inventory.snapshot", { sku: "MUG-01", on_hand: 4 }, "2026-12-07T09:30:00Z");
    await settleInventory();
    const since = await env.DB.prepare("SELECT sku, since FROM stock_skus WHERE tenant_id = 'trk-list'").all<{ sku: string; since: string }>();
    expect(since.results).toHaveLength(1);
    expect(since.results[0]?.sku).toBe("MUG-01");
  });

  it("stock reported through this isolate is reserved at once, even while the isolate's cached list predates it", async () => {
    const key = await handoffTenant("trk-here", freshScenario("trk-here-wms"), freshScenario("trk-here-carrier"));
    // An order first: the tenant's (empty) list is now in this isolate's config cache.
    await paidOrder("trk-here", "o-0", T0);
    await sendStock("trk-here", "snap-trk-here", "inventory.snapshot", { sku: "MUG-01", on_hand: 5 }, "2026-12-07T09:00:00Z");
    await paidOrder("trk-here", "o-1", T0);
    expect(await level("trk-here", "MUG-01", key)).toMatchObject({ on_hand: 5, reserved: 2 });
    expect((await level("trk-here", "MUG-01", key)).orders.map((r) => r.order_id)).toEqual(["o-1"]);
  });

  it("stock reported elsewhere: an order inside the stale window routes the SKU untracked (as just before the report); once the cached list is renewed, orders reserve", async () => {
    const key = await handoffTenant("trk-stale", freshScenario("trk-stale-wms"), freshScenario("trk-stale-carrier"));
    // An order first: the tenant's (empty) list is now in this isolate's config cache, up to 30 s old.
    await paidOrder("trk-stale", "o-0", T0);
    await stockElsewhere("trk-stale", "MUG-01", 5);
    await settleInventory();
    expect(await listed("trk-stale")).toEqual(["MUG-01"]);
    // D1 lists the SKU, this isolate's list does not yet: the order routes it whole and reserves nothing.
    await paidOrder("trk-stale", "o-1", T0);
    expect(routedLines(await getOrder("trk-stale", "o-1", key))).toEqual([ORDER_DATA.line_items]);
    expect((await level("trk-stale", "MUG-01", key)).orders).toEqual([]);
    // The cache entry expires (here: dropped, as the 30 s TTL or a config change does): orders reserve.
    invalidateTenantCache("trk-stale");
    await paidOrder("trk-stale", "o-2", T0);
    const lvl = await level("trk-stale", "MUG-01", key);
    expect(lvl).toMatchObject({ on_hand: 5, reserved: 2, available: 3 });
    expect(lvl.orders.map((r) => r.order_id)).toEqual(["o-2"]);
    // The order routed in the window keeps its decision: untracked, never asked again.
    expect((await getOrder("trk-stale", "o-1", key)).state).toBe("routed");
  });

  it("an object that got stock before D1 listed tracked SKUs lists itself when it next starts", async () => {
    await handoffTenant("trk-old", freshScenario("trk-old-wms"), freshScenario("trk-old-carrier"));
    await stockElsewhere("trk-old", "MUG-01", 2);
    await settleInventory();
    // As it was before this change: stock facts, no mark, nothing in D1.
    const inv = inventoryStub("trk-old", "MUG-01");
    await runInDurableObject(inv, (_o, state) => {
      state.storage.sql.exec("DELETE FROM meta WHERE k = 'stock_mark'");
    });
    await env.DB.prepare("DELETE FROM stock_skus WHERE tenant_id = 'trk-old'").run();
    await evictDurableObject(inv);
    // Any call starts it (here a level read).
    expect(await inv.getLevel("MUG-01")).toMatchObject({ on_hand: 2 });
    await settleInventory();
    expect(await listed("trk-old")).toEqual(["MUG-01"]);
  });
});
