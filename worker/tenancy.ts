import { and, eq, isNull } from "drizzle-orm";
import { db } from "./db/client";
import { apiKeys, contacts, inventoryItems, rotations, sources, tenants } from "./db/schema";
import type { Env } from "./env";
import { sha256Hex } from "../domain/crypto";
import { unseal } from "./lib/sealed";
import type { SourceAdapter } from "./sources/types";
import type { KeyRecord } from "../domain/access/scopes";

/**
 * Tenant config is read on every webhook, so it is cached per isolate for a
 * short TTL: D1 is read on a miss, never written, on the acknowledgement path.
 * A rotated secret takes effect within CACHE_TTL_MS everywhere (immediately in
 * the isolate that handled the rotation).
 */
const CACHE_TTL_MS = 30_000;
const cache = new Map<string, { until: number; value: unknown }>();

/** Per-isolate, per-tenant config cache (keys start `<tenant>\u0000`, so invalidateTenantCache drops them). */
export async function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
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

/** The tenant's default owner (worker/tenant-owner.ts), handed to the order object with each event; null while it has none. */
export async function tenantDefaultOwner(env: Env, tenant: string): Promise<string | null> {
  // "No default owner" is an answer worth caching (the cache skips null, which means "no such tenant"):
  // unwrapped, a tenant without one paid a D1 read on every webhook.
  const held = await cached(`${tenant}\u0000default_owner`, async () => {
    const row = await db(env.DB).select({ owner: tenants.defaultOwner }).from(tenants).where(eq(tenants.id, tenant)).get();
    return row === undefined ? null : { owner: row.owner ?? null };
  });
  return held?.owner ?? null;
}

/**
 * The names the tenant's rules may use (contact and rotation ids, sorted), handed to the
 * order object with each event so its QA gate checks owners, exception contacts and
 * watchers against the directory as it is now, not as it was when the rules were stored.
 * Empty: the tenant has no directory, and its names are free text (docs/decisions.md).
 * Cached like the rest of the config; a contact or rotation written here drops it at once.
 */
export function tenantDirectory(env: Env, tenant: string): Promise<string[]> {
  return cached(`${tenant}\u0000directory`, async () => {
    const d = db(env.DB);
    const [cs, rs] = await Promise.all([
      d.select({ id: contacts.contactId }).from(contacts).where(eq(contacts.tenantId, tenant)).all(),
      d.select({ id: rotations.rotationId }).from(rotations).where(eq(rotations.tenantId, tenant)).all(),
    ]);
    return [...cs, ...rs].map((r) => r.id).sort();
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

/**
 * Resolves an API key (tenant or agency) to what it may do, or null. Keys are
 * compared by SHA-256 only. Cached like the rest of the config: a revoked key
 * stops working at once in the isolate that revoked it and within
 * CACHE_TTL_MS everywhere; expiry is checked on every request against the
 * cached `expires_at`, so it is exact.
 */
export function apiKeyRecord(env: Env, key: string): Promise<KeyRecord | null> {
  return sha256Hex(key).then((hash) => keyRecordByHash(env, hash, true));
}

/** The same lookup by hash; `cache: false` for the console, which must see a revocation on the very next request. */
export function keyRecordByHash(env: Env, hash: string, cache: boolean): Promise<KeyRecord | null> {
  const load = async () => {
    const row = await db(env.DB)
      .select({ k: apiKeys, tenantAgency: tenants.agencyId })
      .from(apiKeys)
      .leftJoin(tenants, eq(tenants.id, apiKeys.tenantId))
      .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
      .get();
    if (!row) return null;
    const k = row.k;
    return { prefix: k.prefix, name: k.name, scope: k.scope, tenant: k.tenantId, agency: k.agencyId, tenant_agency: row.tenantAgency ?? null, expires_at: k.expiresAt };
  };
  return cache ? cached(`key\u0000${hash}`, load) : load();
}

/** The agency that owns a tenant: `{ agency: null }` for a stand-alone tenant, null when there is no such tenant. */
export function tenantAgency(env: Env, tenant: string): Promise<{ agency: string | null } | null> {
  return cached(`${tenant}\u0000agency`, async () => {
    const row = await db(env.DB).select({ agency: tenants.agencyId }).from(tenants).where(eq(tenants.id, tenant)).get();
    return row ? { agency: row.agency } : null;
  });
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
