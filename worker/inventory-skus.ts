import { and, asc, eq, gt } from "drizzle-orm";
import { db } from "./db/client";
import { inventorySkus } from "./db/schema";
import type { Env } from "./env";
import { inventoryObject } from "./inventory";

/**
 * The tenant's tracked SKUs in D1 (one row per SKU that ever had stock
 * reported): listed by each SKU's object from its alarm, read to tell every
 * SKU that a stock channel was added.
 */

const PAGE = 200;
/** SKU objects asked at once during an announcement. */
const FAN_OUT = 16;

/** Idempotent: a SKU listed before keeps its first time. */
export async function listTrackedSku(env: Env, tenant: string, sku: string, at: string): Promise<void> {
  await db(env.DB).insert(inventorySkus).values({ tenantId: tenant, sku, firstSeenAt: at }).onConflictDoNothing();
}

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
      .select({ sku: inventorySkus.sku })
      .from(inventorySkus)
      .where(and(eq(inventorySkus.tenantId, tenant), gt(inventorySkus.sku, after)))
      .orderBy(asc(inventorySkus.sku))
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
