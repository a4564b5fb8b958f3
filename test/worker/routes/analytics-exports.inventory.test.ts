import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { bothFormats } from "../../helpers/analytics-exports";
import { seedTenant } from "../../helpers/http";
import { inventoryStub, sendStock, settleInventory } from "../../helpers/inventory";

const T = "ax-inventory";
let key = "";
beforeAll(async () => {
  key = await seedTenant(T);
});
afterEach(settleInventory);

describe("the inventory export: drift per SKU", () => {
  it("every snapshot with an earlier one to compare with is a row, above the threshold or not; only those above open a task", async () => {
    await sendStock(T, "iv-1", "inventory.snapshot", { sku: "MUG-01", on_hand: 20 }, "2026-12-01T08:00:00Z");
    await sendStock(T, "iv-2", "inventory.adjusted", { sku: "MUG-01", delta: -4 }, "2026-12-01T09:00:00Z");
    await sendStock(T, "iv-3", "inventory.snapshot", { sku: "MUG-01", on_hand: 15 }, "2026-12-01T10:00:00Z");
    await sendStock(T, "iv-4", "inventory.snapshot", { sku: "MUG-01", on_hand: 5 }, "2026-12-02T10:00:00Z");
    await sendStock(T, "iv-5", "inventory.snapshot", { sku: "CUP-02", on_hand: 3 }, "2026-12-01T11:00:00Z");
    await sendStock(T, "iv-6", "inventory.snapshot", { sku: "CUP-02", on_hand: 4 }, "2026-12-01T12:00:00Z");
    for (const sku of ["MUG-01", "CUP-02"]) await runDurableObjectAlarm(inventoryStub(T, sku));
    // A second alarm pass writes nothing twice.
    for (const sku of ["MUG-01", "CUP-02"]) await runDurableObjectAlarm(inventoryStub(T, sku));

    const rows = await bothFormats(T, "inventory", key, { from: "2026-12-01", to: "2026-12-08" });
    expect(rows.map((r) => [r.sku, r.snapshot_id, r.at, r.expected, r.reported, r.drift, r.abs_drift])).toEqual([
      ["MUG-01", "wms:iv-3#0", "2026-12-01T10:00:00.000Z", 16, 15, -1, 1],
      ["CUP-02", "wms:iv-6#0", "2026-12-01T12:00:00.000Z", 3, 4, 1, 1],
      ["MUG-01", "wms:iv-4#0", "2026-12-02T10:00:00.000Z", 15, 5, -10, 10],
    ]);
    const tasks = await env.DB.prepare("SELECT ref, owner, step FROM tasks WHERE tenant_id = ? AND type = 'inventory_drift'").bind(T).all<{ ref: string; owner: string; step: string }>();
    expect(tasks.results).toEqual([{ ref: "wms:iv-4#0", owner: `ops@${T}.example`, step: "routing" }]);
  });

  it("the window is the snapshot's as-of time", async () => {
    const rows = await bothFormats(T, "inventory", key, { from: "2026-12-02", to: "2026-12-03" });
    expect(rows.map((r) => r.snapshot_id)).toEqual(["wms:iv-4#0"]);
  });
});
