import { z } from "@hono/zod-openapi";
import type { Actor } from "../domain/access/scopes";
import { recordAdmin } from "./admin-audit";
import { newKey } from "./access/keys";
import { db } from "./db/client";
import { apiKeys, tenants, type Tenant as TenantRow } from "./db/schema";
import type { Env } from "./env";
import { ApiError } from "./errors";
import { TenantId } from "./names";
import { DefaultOwner } from "./tenant-owner";
import { invalidateTenantCache } from "./tenancy";

/**
 * Creating a tenant, one way for both callers: `POST /v1/tenants` (admin
 * token, stand-alone) and `POST /v1/agencies/:agency/merchants` (an agency's key).
 */

export const Tenant = z
  .object({
    id: TenantId,
    name: z.string(),
    agency: z.string().nullable().openapi({ description: "The agency that owns this merchant, if any" }),
    default_owner: z.string().nullable().openapi({ description: "Who owns what no ownership rule names; null only for a tenant created before default owners existed, until an admin sets one" }),
    created_at: z.string(),
  })
  .openapi("Tenant");
export type Tenant = z.infer<typeof Tenant>;

export const NewTenant = z.object({
  id: TenantId,
  name: z.string().min(1).max(200),
  default_owner: DefaultOwner,
});
export type NewTenant = z.infer<typeof NewTenant>;

export function tenantView(r: TenantRow): Tenant {
  return { id: r.id, name: r.name, agency: r.agencyId, default_owner: r.defaultOwner, created_at: r.createdAt };
}

/** The tenant and its first key (scope merchant_admin) in one transaction: a tenant never exists without a key. */
export async function createTenant(env: Env, input: NewTenant, agency: string | null, actor: Actor) {
  const d = db(env.DB);
  const key = await newKey({ tenant: input.id }, "first key", "merchant_admin", null, actor);
  const [inserted] = await d
    .batch([
      d.insert(tenants).values({ id: input.id, name: input.name, agencyId: agency, defaultOwner: input.default_owner }).onConflictDoNothing().returning(),
      d.insert(apiKeys).values(key.row).onConflictDoNothing(),
    ])
    .catch((err: unknown) => {
      // The key insert fails on the tenant foreign key only when the tenant insert was skipped.
      if (String(err).includes("FOREIGN KEY")) throw new ApiError("conflict", `Tenant '${input.id}' already exists`);
      throw err;
    });
  const row = inserted[0];
  if (!row) throw new ApiError("conflict", `Tenant '${input.id}' already exists`);
  invalidateTenantCache(input.id);
  await recordAdmin(env, input.id, actor, "tenant.created", { tenant: input.id, name: input.name, agency, default_owner: row.defaultOwner });
  await recordAdmin(env, input.id, actor, "key.issued", { prefix: key.issued.prefix, name: key.issued.name, scope: key.issued.scope, expires_at: null });
  return { tenant: tenantView(row), ...key.issued };
}
