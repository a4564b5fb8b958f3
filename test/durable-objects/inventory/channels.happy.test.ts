import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { InventoryDO } from "../../../durable-objects/inventory/InventoryDO";
import { consumerUrl, freshScenario, requests, script } from "../../helpers/consumer";
import { call, json, seedTenant } from "../../helpers/http";
import { inventoryStub, level, putStockChannel, sendStock, settleInventory, waitForLevel } from "../../helpers/inventory";

const TENANT = "stock-channels";
let key = "";
const up = freshScenario("stock-up");
const down = freshScenario("stock-down");

beforeAll(async () => {
  key = await seedTenant(TENANT);
  expect((await putStockChannel(TENANT, "marketplace", consumerUrl(up), key)).status).toBe(200);
  expect((await putStockChannel(TENANT, "storefront", consumerUrl(down), key)).status).toBe(200);
});
afterEach(settleInventory);

describe("stock to channels: every change goes to every channel, signed, coalesced, versioned", () => {
  it("each channel gets the level signed with its secret, the version in the body and in webhook-id", async () => {
    await script(down, [], { status: 200 });
    await sendStock(TENANT, "ch-s1", "inventory.snapshot", { sku: "CH-1", on_hand: 12 }, "2026-12-07T09:00:00Z");
    await runDurableObjectAlarm(inventoryStub(TENANT, "CH-1"));
    const lvl = await level(TENANT, "CH-1", key);
    for (const scenario of [up, down]) {
      const got = await waitForLevel(scenario, "CH-1", lvl.version);
      expect(got.at(-1)).toEqual({ id: `stock_${TENANT}_CH-1_v${String(lvl.version)}`, version: lvl.version, on_hand: 12, reserved: 0, available: 12 });
    }
  });

  it("a channel that was down receives the latest level once, not every step it missed; the other got each step in version order", async () => {
    // Down, and asking to be left alone for an hour: later changes only overwrite its slot.
    await script(down, [], { status: 503, headers: { "retry-after": "3600" } });
    const stub = inventoryStub(TENANT, "CH-2");
    await sendStock(TENANT, "ch2-s", "inventory.snapshot", { sku: "CH-2", on_hand: 30 }, "2026-12-07T09:00:00Z");
    await runDurableObjectAlarm(stub);
    for (const [i, delta] of [-1, -2, -3, 4].entries()) {
      await sendStock(TENANT, `ch2-a${String(i)}`, "inventory.adjusted", { sku: "CH-2", delta }, `2026-12-07T09:1${String(i)}:00Z`);
      await runDurableObjectAlarm(stub);
    }
    const missed = (await requests(down)).filter((r) => r.body.includes('"CH-2"'));
    expect(missed).toHaveLength(1);
    expect(missed[0]?.answered_status).toBe(503);

    // Back up; two hours later its retry is due.
    await script(down, [], { status: 200 });
    await runInDurableObject(stub, (o) => {
      (o as InventoryDO).clock = () => Date.now() + 2 * 3600_000;
    });
    await runDurableObjectAlarm(stub);
    const final = await level(TENANT, "CH-2", key);
    expect(final.on_hand).toBe(28);
    const got = await waitForLevel(down, "CH-2", final.version);
    expect(got).toEqual([expect.objectContaining({ version: final.version, on_hand: 28 })]);
    expect((await requests(down)).filter((r) => r.body.includes('"CH-2"'))).toHaveLength(2);

    const steps = await waitForLevel(up, "CH-2", final.version);
    const versions = steps.map((s) => s.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(steps.at(-1)).toMatchObject({ version: final.version, on_hand: 28 });
    await runInDurableObject(stub, (o) => {
      (o as InventoryDO).clock = () => Date.now();
    });
  });

  it("a reservation changes available, so it is a new version for the channels", async () => {
    await script(down, [], { status: 200 });
    await sendStock(TENANT, "ch3-s", "inventory.snapshot", { sku: "CH-3", on_hand: 5 }, "2026-12-07T09:00:00Z");
    const stub = inventoryStub(TENANT, "CH-3");
    await runDurableObjectAlarm(stub);
    const r = await stub.reserve({ tenant: TENANT, sku: "CH-3", orderId: "o-ch3", lines: [{ line: "0", quantity: 2 }] });
    expect(r.lines[0]?.reserved).toBe(2);
    await runDurableObjectAlarm(stub);
    const got = await waitForLevel(up, "CH-3", r.version);
    expect(got.at(-1)).toMatchObject({ version: r.version, on_hand: 5, reserved: 2, available: 3 });
  });

  it("lists channels with a fingerprint, never the secret, and records changes on the admin audit", async () => {
    const list = await json<{ channels: { channel: string; url: string; secret_fingerprint: string }[] }>(await call("GET", `/v1/tenants/${TENANT}/stock-channels`, { token: key }));
    expect(list.channels.map((c) => c.channel)).toEqual(["marketplace", "storefront"]);
    expect(JSON.stringify(list)).not.toContain("whsec_");
    expect(list.channels[0]?.secret_fingerprint).toMatch(/^sha256:[0-9a-f]{8}$/);
    const audit = await json<{ entries: { type: string; data: Record<string, unknown> }[] }>(await call("GET", `/v1/tenants/${TENANT}/admin-audit`, { token: key }));
    expect(audit.entries.filter((e) => e.type === "stock_channel.put").map((e) => e.data.channel)).toEqual(["marketplace", "storefront"]);
  });

  it("a channel added later hears every tracked SKU's current level at once, not at that SKU's next change", async () => {
    await script(down, [], { status: 200 });
    for (const sku of ["LATE-1", "LATE-2"]) {
      await sendStock(TENANT, `late-${sku}`, "inventory.snapshot", { sku, on_hand: 7 }, "2026-12-07T09:00:00Z");
      // The SKU's alarm lists it in D1 among the tenant's tracked SKUs.
      await runDurableObjectAlarm(inventoryStub(TENANT, sku));
    }
    const late = freshScenario("stock-late");
    expect((await putStockChannel(TENANT, "late", consumerUrl(late), key)).status).toBe(200);
    for (const sku of ["LATE-1", "LATE-2"]) {
      const lvl = await level(TENANT, sku, key);
      const got = await waitForLevel(late, sku, lvl.version);
      // One message: the level as it stands, with its version (the slot coalesces as for any change).
      expect(got).toEqual([{ id: `stock_${TENANT}_${sku}_v${String(lvl.version)}`, version: lvl.version, on_hand: 7, reserved: 0, available: 7 }]);
    }
    // The channels that already had these levels are not sent them again.
    for (const scenario of [up, down]) expect((await requests(scenario)).filter((r) => r.body.includes('"LATE-1"'))).toHaveLength(1);
    expect((await call("DELETE", `/v1/tenants/${TENANT}/stock-channels/late`, { token: key })).status).toBe(204);
  });
});
