import { and, asc, eq } from "drizzle-orm";
import type { StockChannel, StockChannelInput, StockChannelView } from "../domain/inventory/channels";
import { secretFingerprint } from "../domain/crypto";
import { db } from "./db/client";
import { stockChannels, tenants } from "./db/schema";
import type { Env } from "./env";
import { ApiError } from "./errors";
import { seal, unseal } from "./lib/sealed";
import { cached, invalidateTenantCache } from "./tenancy";

/**
 * A tenant's stock channels in D1: written by the admin routes, read (cached
 * per isolate like the rest of the tenant config, secrets unsealed) by every
 * SKU's inventory object when it has a level to hand over.
 */

type Row = typeof stockChannels.$inferSelect;

async function view(env: Env, r: Row): Promise<StockChannelView> {
  return { channel: r.channel, url: r.url, secret_fingerprint: await secretFingerprint(await unseal(r.secretCiphertext, env.SECRETS_KEY), env.SECRETS_KEY), updated_at: r.updatedAt };
}

export async function putStockChannel(env: Env, tenant: string, channel: string, input: StockChannelInput): Promise<StockChannelView> {
  const d = db(env.DB);
  if (!(await d.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenant)).get())) {
    throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);
  }
  const row: Row = { tenantId: tenant, channel, url: input.url, secretCiphertext: await seal(input.secret, env.SECRETS_KEY), updatedAt: new Date().toISOString() };
  await d
    .insert(stockChannels)
    .values(row)
    .onConflictDoUpdate({ target: [stockChannels.tenantId, stockChannels.channel], set: { url: row.url, secretCiphertext: row.secretCiphertext, updatedAt: row.updatedAt } });
  invalidateTenantCache(tenant);
  return view(env, row);
}

export async function listStockChannels(env: Env, tenant: string): Promise<StockChannelView[]> {
  const rows = await db(env.DB).select().from(stockChannels).where(eq(stockChannels.tenantId, tenant)).orderBy(asc(stockChannels.channel)).all();
  return Promise.all(rows.map((r) => view(env, r)));
}

/** True when there was such a channel. */
export async function deleteStockChannel(env: Env, tenant: string, channel: string): Promise<boolean> {
  const gone = await db(env.DB)
    .delete(stockChannels)
    .where(and(eq(stockChannels.tenantId, tenant), eq(stockChannels.channel, channel)))
    .returning({ channel: stockChannels.channel });
  invalidateTenantCache(tenant);
  return gone.length > 0;
}

/** What the inventory objects send to: unsealed, cached for the config TTL (a new or removed channel counts within it). */
export function stockChannelsFor(env: Env, tenant: string): Promise<StockChannel[]> {
  return cached(`${tenant}\u0000stock-channels`, async () => {
    const rows = await db(env.DB).select().from(stockChannels).where(eq(stockChannels.tenantId, tenant)).orderBy(asc(stockChannels.channel)).all();
    return Promise.all(rows.map(async (r) => ({ channel: r.channel, url: r.url, secret: await unseal(r.secretCiphertext, env.SECRETS_KEY) })));
  });
}
