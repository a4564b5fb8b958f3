import { withSku } from "../domain/inventory/events";
import type { InventoryObject, InventoryReceipt } from "../domain/inventory/object";
import type { Env } from "./env";
import { callObject } from "./orders";
import type { InventoryParse } from "./sources/types";
import { inventoryItemSku } from "./tenancy";
import { noteStockCommitted } from "./stock-skus";

/** The single writer for one SKU's stock: named by tenant and SKU. */
export function inventoryObject(env: Env, tenant: string, sku: string): InventoryObject {
  // As for orders: RPC stub types cannot carry zod's types; InventoryDO `implements InventoryObject`.
  return env.INVENTORY.get(env.INVENTORY.idFromName(`${tenant}:${sku}`)) as unknown as InventoryObject;
}

export type StockCommit = { ok: true; receipt: InventoryReceipt } | { ok: false; code: "schema_mismatch"; message: string };

/**
 * Hands stock events to the SKU's object; returns once committed (the receipt
 * is the acknowledgement). A sender's own item id is resolved to the SKU
 * through the tenant's mapping first; an unmapped item is refused (recorded,
 * and replayable once the mapping exists). Used by the webhook edge and by
 * rejection replays.
 */
export async function commitStock(env: Env, tenant: string, source: string, parsed: InventoryParse, rawSha256: string): Promise<StockCommit> {
  let { sku, events } = parsed;
  if (parsed.item) {
    const mapped = await inventoryItemSku(env, tenant, parsed.item.system, parsed.item.id);
    if (mapped === null) {
      return {
        ok: false,
        code: "schema_mismatch",
        message: `${parsed.item.system} inventory item ${parsed.item.id} has no SKU mapping; add it with PUT /v1/tenants/${tenant}/inventory-items, then replay`,
      };
    }
    sku = mapped;
    events = events.map((e) => withSku(e, mapped));
  }
  const input = { tenant, sku, source, idempotencyKey: parsed.idempotencyKey, rawSha256, events };
  const receipt = await callObject(async () => (await inventoryObject(env, tenant, sku).ingest(input)).receipt, "SKU");
  // This isolate's orders ask the SKU to reserve at once; others learn it from D1 (stock-skus.ts).
  noteStockCommitted(tenant, sku);
  return { ok: true, receipt };
}
