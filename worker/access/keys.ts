import { z } from "@hono/zod-openapi";
import { and, desc, eq, isNull } from "drizzle-orm";
import { Scope, type Actor } from "../../domain/access/scopes";
import { randomToken, sha256Hex } from "../../domain/crypto";
import { db } from "../db/client";
import { apiKeys, type ApiKey } from "../db/schema";
import type { Env } from "../env";
import { ApiError } from "../errors";
import { invalidateTenantCache } from "../tenancy";

/**
 * Issuing, listing and revoking API keys. A key is shown once and stored as
 * its SHA-256; its prefix (`hk_<tenant>_` or `hka_<agency>_` and 8 random
 * characters) names it in lists, in the admin audit and in DELETE.
 */

export const KeyName = z.string().trim().min(1).max(200).openapi({ description: "The person or system the key belongs to; recorded as the actor of everything done with it", example: "ops-bot" });

export const ApiKeyIssued = z
  .object({
    api_key: z.string().openapi({ description: "Shown once; stored only as a SHA-256 hash." }),
    prefix: z.string(),
    scope: Scope,
    name: z.string(),
    expires_at: z.string().nullable(),
  })
  .openapi("ApiKeyIssued");

export const ApiKeySummary = z
  .object({
    prefix: z.string(),
    name: z.string(),
    scope: Scope,
    created_at: z.string(),
    created_by: z.string().nullable(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    active: z.boolean().openapi({ description: "Neither revoked nor expired" }),
  })
  .openapi("ApiKeySummary");
export type ApiKeySummary = z.infer<typeof ApiKeySummary>;

export type KeyOwner = { tenant: string } | { agency: string };

export interface NewKey {
  issued: z.infer<typeof ApiKeyIssued>;
  row: typeof apiKeys.$inferInsert;
}

export async function newKey(owner: KeyOwner, name: string, scope: Scope, expiresAt: string | null, createdBy: Actor | null): Promise<NewKey> {
  const head = "tenant" in owner ? `hk_${owner.tenant}_` : `hka_${owner.agency}_`;
  const secret = randomToken(24);
  const apiKey = head + secret;
  const prefix = head + secret.slice(0, 8);
  return {
    issued: { api_key: apiKey, prefix, scope, name, expires_at: expiresAt },
    row: {
      id: `key_${crypto.randomUUID()}`,
      tenantId: "tenant" in owner ? owner.tenant : null,
      agencyId: "agency" in owner ? owner.agency : null,
      keyHash: await sha256Hex(apiKey),
      prefix,
      name,
      scope,
      expiresAt,
      createdBy: createdBy?.name ?? null,
    },
  };
}

export function summary(k: ApiKey, now = Date.now()): ApiKeySummary {
  return {
    prefix: k.prefix,
    name: k.name,
    scope: k.scope,
    created_at: k.createdAt,
    created_by: k.createdBy,
    expires_at: k.expiresAt,
    revoked_at: k.revokedAt,
    active: k.revokedAt === null && (k.expiresAt === null || Date.parse(k.expiresAt) > now),
  };
}

export async function listKeys(env: Env, tenant: string): Promise<ApiKeySummary[]> {
  const rows = await db(env.DB).select().from(apiKeys).where(eq(apiKeys.tenantId, tenant)).orderBy(desc(apiKeys.createdAt)).all();
  return rows.map((r) => summary(r));
}

/**
 * Revokes the tenant's live key with this prefix. Takes effect at once in this
 * isolate and within the config cache's 30 s elsewhere; console sessions it
 * backs end on their next request (they read the key uncached).
 */
export async function revokeKey(env: Env, tenant: string, prefix: string): Promise<ApiKeySummary> {
  const d = db(env.DB);
  const live = await d.select().from(apiKeys).where(and(eq(apiKeys.tenantId, tenant), eq(apiKeys.prefix, prefix), isNull(apiKeys.revokedAt))).all();
  if (live.length === 0) throw new ApiError("not_found", `No active key '${prefix}'`);
  // Keys issued before prefixes had 8 random characters can share one; refuse rather than revoke two.
  if (live.length > 1) throw new ApiError("conflict", `${live.length} active keys share the prefix '${prefix}'; revoke by issuing new keys and contacting the operator`);
  const [row] = await d.update(apiKeys).set({ revokedAt: new Date().toISOString() }).where(eq(apiKeys.keyHash, live[0]?.keyHash ?? "")).returning();
  invalidateTenantCache(tenant);
  if (!row) throw new ApiError("not_found", `No active key '${prefix}'`);
  return summary(row);
}

/** An expiry must be a future instant; stored in toISOString form. */
export function expiryOf(value: string | undefined, now = Date.now()): string | null {
  if (value === undefined) return null;
  const t = Date.parse(value);
  if (Number.isNaN(t) || t <= now) throw new ApiError("validation_failed", "Request failed validation", [{ path: "expires_at", message: "must be a future ISO-8601 instant" }]);
  return new Date(t).toISOString();
}
