import type { InventoryObject, InventoryReceipt } from "../domain/inventory/object";
import type { Env } from "./env";
import { callObject } from "./orders";
import type { InventoryParse } from "./sources/types";

/** The single writer for one SKU's stock: named by tenant and SKU. */
export function inventoryObject(env: Env, tenant: string, sku: string): InventoryObject {
  // As for orders: RPC stub types cannot carry zod's types; InventoryDO `implements InventoryObject`.
  return env.INVENTORY.get(env.INVENTORY.idFromName(`${tenant}:${sku}`)) as unknown as InventoryObject;
}

/** Hands stock events to the SKU's object; returns once committed (the receipt is the acknowledgement). */
export async function commitToInventory(env: Env, tenant: string, source: string, parsed: InventoryParse, rawSha256: string): Promise<InventoryReceipt> {
  const input = { tenant, sku: parsed.sku, source, idempotencyKey: parsed.idempotencyKey, rawSha256, events: parsed.events };
  return callObject(async () => (await inventoryObject(env, tenant, parsed.sku).ingest(input)).receipt, "SKU");
}
