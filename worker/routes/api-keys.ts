import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { MerchantScope } from "../../domain/access/scopes";
import { actorOf } from "../auth";
import { AdminAuditResponse, adminAuditTrail, recordAdmin } from "../admin-audit";
import { ApiKeyIssued, ApiKeySummary, expiryOf, KeyName, listKeys, newKey, revokeKey } from "../access/keys";
import { db } from "../db/client";
import { apiKeys, tenants } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { ApiError, errorResponses } from "../errors";
import { TenantId } from "../names";

const TenantParam = z.object({ tenant: TenantId });
const KeyPrefix = z.string().min(4).max(128).regex(/^[A-Za-z0-9_-]+$/).openapi({ example: "hk_acme_Zx81QmPa" });

/** The admin token may name any tenant, so the tenant's existence is checked here (a key has already been matched to it). */
async function assertTenant(env: Env, tenant: string): Promise<void> {
  if (!(await db(env.DB).select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenant)).get())) {
    throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);
  }
}

export const apiKeyRoutes = new OpenAPIHono<AppEnv>();

apiKeyRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/tenants/{tenant}/api-keys",
    operationId: "issueApiKey",
    tags: ["keys"],
    summary: "Issue a named, scoped key (rotation: issue the new key, switch clients, DELETE the old one)",
    request: {
      params: TenantParam,
      body: {
        content: {
          "application/json": {
            schema: z.object({
              name: KeyName,
              scope: MerchantScope,
              expires_at: z.string().datetime({ offset: true }).optional().openapi({ description: "After this instant the key gets 401", example: "2027-01-01T00:00:00Z" }),
            }),
          },
        },
        required: true,
      },
    },
    responses: {
      201: { description: "Issued; the key is shown only now", content: { "application/json": { schema: ApiKeyIssued } } },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const body = c.req.valid("json");
    await assertTenant(c.env, tenant);
    const actor = actorOf(c);
    const key = await newKey({ tenant }, body.name, body.scope, expiryOf(body.expires_at), actor);
    await db(c.env.DB).insert(apiKeys).values(key.row);
    await recordAdmin(c.env, tenant, actor, "key.issued", { prefix: key.issued.prefix, name: key.issued.name, scope: key.issued.scope, expires_at: key.issued.expires_at });
    return c.json(key.issued, 201);
  },
);

apiKeyRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/api-keys",
    operationId: "listApiKeys",
    tags: ["keys"],
    summary: "The tenant's keys, newest first: prefix, name, scope, expiry, revocation (never the secret)",
    request: { params: TenantParam },
    responses: {
      200: { description: "Keys", content: { "application/json": { schema: z.object({ api_keys: z.array(ApiKeySummary) }) } } },
      ...errorResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    await assertTenant(c.env, tenant);
    return c.json({ api_keys: await listKeys(c.env, tenant) }, 200);
  },
);

apiKeyRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/v1/tenants/{tenant}/api-keys/{prefix}",
    operationId: "revokeApiKey",
    tags: ["keys"],
    summary: "Revoke a key by its prefix",
    description:
      "The key gets 401 at once on the engine instance that revoked it and within 30 s everywhere (the config cache); console sessions it backs end on their next request.",
    request: { params: TenantParam.extend({ prefix: KeyPrefix }) },
    responses: {
      200: { description: "Revoked", content: { "application/json": { schema: z.object({ api_key: ApiKeySummary }) } } },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
  async (c) => {
    const { tenant, prefix } = c.req.valid("param");
    const revoked = await revokeKey(c.env, tenant, prefix);
    await recordAdmin(c.env, tenant, actorOf(c), "key.revoked", { prefix, name: revoked.name, scope: revoked.scope });
    return c.json({ api_key: revoked }, 200);
  },
);

apiKeyRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/admin-audit",
    operationId: "getAdminAudit",
    tags: ["keys"],
    summary: "The tenant's admin audit: rules, sources and keys changed, by whom, on a verified hash chain",
    request: { params: TenantParam, query: z.object({ limit: z.coerce.number().int().min(1).max(5000).default(1000) }) },
    responses: {
      200: { description: "Entries, oldest first, with the chain recomputed", content: { "application/json": { schema: AdminAuditResponse } } },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    await assertTenant(c.env, tenant);
    return c.json(await adminAuditTrail(c.env, tenant, c.req.valid("query").limit), 200);
  },
);
