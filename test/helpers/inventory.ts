import { env } from "cloudflare:workers";
import { listDurableObjectIds, runDurableObjectAlarm } from "cloudflare:test";
import { nowSeconds, standardHeaders } from "../../cli/sign";
import type { InventoryLevel } from "../../domain/inventory/object";
import { standardStockFixtures } from "./fixtures";
import { call, json, SECRETS } from "./http";

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
