import { and, eq, isNull } from "drizzle-orm";
import { db } from "./db/client";
import { apiKeys, inventoryItems, sources, tenants } from "./db/schema";
import type { Env } from "./env";
import { sha256Hex } from "../domain/crypto";
import { unseal } from "./lib/sealed";
import type { SourceAdapter } from "./sources/types";

/**
 * Tenant config is read on every webhook, so it is cached per isolate for a
 * short TTL: D1 is read on a miss, never written, on the acknowledgement path.
 * A rotated secret takes effect within CACHE_TTL_MS everywhere (immediately in
 * the isolate that handled the rotation).
 */
const CACHE_TTL_MS = 30_000;
const cache = new Map<string, { until: number; value: unknown }>();

async function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.value as T;
  const value = await load();
  // Misses are not cached: a tenant or source created a moment ago must work at once everywhere.
  if (value !== null && value !== false) cache.set(key, { until: Date.now() + CACHE_TTL_MS, value });
  if (cache.size > 10_000) cache.clear();
  return value;
}

export function invalidateTenantCache(tenant: string): void {
  for (const k of cache.keys()) if (k.startsWith(`${tenant}\u0000`) || k.startsWith("key\u0000")) cache.delete(k);
}

export function tenantExists(env: Env, tenant: string): Promise<boolean> {
  return cached(`${tenant}\u0000tenant`, async () => {
    const row = await db(env.DB).select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenant)).get();
    return row !== undefined;
  });
}

export interface SourceConfig {
  kind: SourceAdapter["kind"];
  secret: string;
  /** The kind's own settings (sources.config), handed to its adapter. */
  settings: unknown;
}

export function sourceConfig(env: Env, tenant: string, source: string): Promise<SourceConfig | null> {
  return cached(`${tenant}\u0000source\u0000${source}`, async () => {
    const row = await db(env.DB)
      .select()
      .from(sources)
      .where(and(eq(sources.tenantId, tenant), eq(sources.name, source)))
      .get();
    if (!row) return null;
    return { kind: row.kind, secret: await unseal(row.secretCiphertext, env.SECRETS_KEY), settings: row.config ?? null };
  });
}

/** Resolves a tenant API key to its tenant, or null. Keys are compared by SHA-256 only. */
export function tenantForApiKey(env: Env, key: string): Promise<string | null> {
  return sha256Hex(key).then((hash) =>
    cached(`key\u0000${hash}`, async () => {
      const row = await db(env.DB)
        .select({ tenantId: apiKeys.tenantId })
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
        .get();
      return row?.tenantId ?? null;
    }),
  );
}

/** The SKU a tenant mapped a sender's stock item to (Shopify inventory_item_id), or null. */
export function inventoryItemSku(env: Env, tenant: string, system: "shopify", itemId: string): Promise<string | null> {
  return cached(`${tenant}\u0000item\u0000${system}\u0000${itemId}`, async () => {
    const row = await db(env.DB)
      .select({ sku: inventoryItems.sku })
      .from(inventoryItems)
      .where(and(eq(inventoryItems.tenantId, tenant), eq(inventoryItems.system, system), eq(inventoryItems.itemId, itemId)))
      .get();
    return row?.sku ?? null;
  });
}
