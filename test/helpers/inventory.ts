import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { Webhook } from "standardwebhooks";
import { listDurableObjectIds, runDurableObjectAlarm } from "cloudflare:test";
import { nowSeconds, standardHeaders } from "../../cli/sign";
import type { InventoryLevel } from "../../domain/inventory/object";
import { standardStockFixtures } from "./fixtures";
import { call, json, SECRETS } from "./http";
import { requests } from "./consumer";

/** A signed stock message from a Standard Webhooks sender (`wms` by default). */
export async function sendStock(
  tenant: string,
  msgId: string,
  type: "inventory.snapshot" | "inventory.adjusted",
  data: Record<string, unknown>,
  occurredAt: string,
  source = "wms",
): Promise<Response> {
  const body = JSON.stringify({ type, occurred_at: occurredAt, data });
  const headers = await standardHeaders({ body, secret: SECRETS.standard, id: msgId, timestampSec: nowSeconds() });
  return call("POST", `/v1/tenants/${tenant}/webhooks/${source}`, { raw: body, headers });
}

/** One of the stock fixtures, signed as the WMS sends it. */
export async function sendStockFixture(tenant: string, type: keyof typeof standardStockFixtures, msgId = `msg_${type}`): Promise<Response> {
  const body = standardStockFixtures[type];
  const headers = await standardHeaders({ body, secret: SECRETS.standard, id: msgId, timestampSec: nowSeconds() });
  return call("POST", `/v1/tenants/${tenant}/webhooks/wms`, { raw: body, headers });
}

export async function level(tenant: string, sku: string, key: string): Promise<InventoryLevel> {
  return json<InventoryLevel>(await call("GET", `/v1/tenants/${tenant}/inventory/${sku}`, { token: key }));
}

export function inventoryStub(tenant: string, sku: string) {
  return env.INVENTORY.get(env.INVENTORY.idFromName(`${tenant}:${sku}`));
}

/** Alarms outlive a test: run every inventory sweep that is pending. */
export async function settleInventory(): Promise<void> {
  for (const id of await listDurableObjectIds(env.INVENTORY)) await runDurableObjectAlarm(env.INVENTORY.get(id));
}

/** A stock channel pointed at a consumer-server scenario, signed with the Standard Webhooks test secret. */
export async function putStockChannel(tenant: string, channel: string, url: string, token: string): Promise<Response> {
  return call("PUT", `/v1/tenants/${tenant}/stock-channels/${channel}`, { token, body: { url, secret: SECRETS.standard } });
}

/** The `inventory.level` messages a channel received, verified against the channel secret, in arrival order. */
export function stockLevels(received: readonly { body: string; headers: Record<string, string> }[]): { id: string; version: number; on_hand: number; reserved: number; available: number }[] {
  const wh = new Webhook(SECRETS.standard);
  return received.map((r) => {
    const msg = wh.verify(r.body, r.headers) as { type: string; data: { version: number; on_hand: number; reserved: number; available: number } };
    expect(msg.type).toBe("inventory.level");
    return { id: r.headers["webhook-id"] ?? "", version: msg.data.version, on_hand: msg.data.on_hand, reserved: msg.data.reserved, available: msg.data.available };
  });
}

/** Waits until a channel has received `sku` at `version` or later (alarms fire on their own too), and returns what it got for the SKU. */
export async function waitForLevel(scenario: string, sku: string, version: number): Promise<ReturnType<typeof stockLevels>> {
  let got: ReturnType<typeof stockLevels> = [];
  await expect
    .poll(
      async () => {
        got = stockLevels((await requests(scenario)).filter((r) => r.answered_status < 300 && r.body.includes(`"sku":"${sku}"`)));
        return Math.max(0, ...got.map((g) => g.version));
      },
      { timeout: 10_000, interval: 50 },
    )
    .toBeGreaterThanOrEqual(version);
  return got;
}
