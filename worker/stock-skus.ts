import { eq } from "drizzle-orm";
import { db } from "./db/client";
import { stockSkus } from "./db/schema";
import type { Env } from "./env";
import { cached } from "./tenancy";

/**
 * Which of a tenant's SKUs track stock, so an order asks only those SKUs'
 * inventory objects to reserve (an untracked SKU's object answers "untracked"
 * and writes nothing: asking it is a billed request that changes nothing).
 *
 * Tracking is monotonic (stock facts are never deleted), so every way this
 * can be stale says "untracked" for a SKU that just became tracked, never the
 * reverse: an order made routable in that window routes the SKU as it would
 * have a moment before the first stock report (docs/decisions.md).
 */

/** Beyond this many tracked SKUs the list is not handed to every order: each order asks every SKU, as before. */
export const STOCK_SKUS_LISTED = 100;

/** SKUs this isolate committed stock for: known tracked before the object's alarm has written D1. */
const committedHere = new Map<string, Set<string>>();

/** Called after a stock message is committed in this isolate (the webhook or a replay). */
export function noteStockCommitted(tenant: string, sku: string): void {
  if (committedHere.size > 10_000) committedHere.clear();
  const skus = committedHere.get(tenant) ?? new Set<string>();
  skus.add(sku);
  committedHere.set(tenant, skus);
}

/**
 * The tenant's tracked SKUs (read through the 30 s config cache, an empty list
 * included), or null when there are too many to list: then every SKU is asked.
 */
export async function trackedSkus(env: Env, tenant: string): Promise<string[] | null> {
  const stored = await cached(`${tenant}\u0000stock_skus`, async () => {
    const rows = await db(env.DB)
      .select({ sku: stockSkus.sku })
      .from(stockSkus)
      .where(eq(stockSkus.tenantId, tenant))
      .limit(STOCK_SKUS_LISTED + 1)
      .all();
    return { skus: rows.map((r) => r.sku) };
  });
  const all = new Set([...stored.skus, ...(committedHere.get(tenant) ?? [])]);
  return all.size > STOCK_SKUS_LISTED ? null : [...all];
}

/** The SKU's object records that it tracks stock (idempotent: the first mark's time is kept). */
export async function markStockTracked(env: Env, tenant: string, sku: string, since: string): Promise<void> {
  await db(env.DB).insert(stockSkus).values({ tenantId: tenant, sku, since }).onConflictDoNothing().run();
}
