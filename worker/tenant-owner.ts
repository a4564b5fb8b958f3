import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { db } from "./db/client";
import { tenants, type Tenant as TenantRow } from "./db/schema";
import type { Env } from "./env";
import { ApiError } from "./errors";
import { invalidateTenantCache } from "./tenancy";

/**
 * A tenant's default owner: who gets what no ownership rule names (a stuck
 * order of a tenant without rules, a silent sender, a receipt mismatch).
 * Required when a tenant is created (`POST /v1/tenants`, and an agency's
 * merchants reuse this field); tenants created before it existed get one
 * through `PUT /v1/tenants/:tenant/default-owner`.
 */
export const DefaultOwner = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .openapi({ description: "Contact that owns whatever no ownership rule names (e-mail, handle or rota id)", example: "ops@acme.example" });

export async function defaultOwnerOf(env: Env, tenant: string): Promise<string | null> {
  const row = await db(env.DB).select({ owner: tenants.defaultOwner }).from(tenants).where(eq(tenants.id, tenant)).get();
  return row?.owner ?? null;
}

export async function setDefaultOwner(env: Env, tenant: string, owner: string): Promise<TenantRow> {
  const [row] = await db(env.DB).update(tenants).set({ defaultOwner: owner }).where(eq(tenants.id, tenant)).returning();
  if (!row) throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);
  invalidateTenantCache(tenant);
  return row;
}
