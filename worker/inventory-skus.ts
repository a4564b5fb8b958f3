import { and, asc, eq, gt } from "drizzle-orm";
import { db } from "./db/client";
import { stockSkus } from "./db/schema";
import type { Env } from "./env";
import { inventoryObject } from "./inventory";

/**
 * The tenant's tracked SKUs in D1 `stock_skus` (worker/stock-skus.ts), read to
 * tell every SKU that a stock channel was added.
 */

const PAGE = 200;
/** SKU objects asked at once during an announcement. */
const FAN_OUT = 16;

/**
 * A channel was added (or its endpoint replaced): every tracked SKU's object
 * offers it the current level now, through its own coalesced, versioned slot.
 * Paged through D1 and a few objects at a time. Returns how many SKUs were told.
 */
export async function announceToSkus(env: Env, tenant: string): Promise<number> {
  let after = "";
  let told = 0;
  for (;;) {
    const page = await db(env.DB)
      .select({ sku: stockSkus.sku })
      .from(stockSkus)
      .where(and(eq(stockSkus.tenantId, tenant), gt(stockSkus.sku, after)))
      .orderBy(asc(stockSkus.sku))
      .limit(PAGE)
      .all();
    for (let i = 0; i < page.length; i += FAN_OUT) {
      const answers = await Promise.all(page.slice(i, i + FAN_OUT).map((r) => inventoryObject(env, tenant, r.sku).announceChannels()));
      told += answers.filter((a) => a.announced).length;
    }
    const last = page.at(-1);
    if (page.length < PAGE || last === undefined) return told;
    after = last.sku;
  }
}
