import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { actorOf } from "../auth";
import { recordAdmin } from "../admin-audit";
import { ApiKeyIssued } from "../access/keys";
import { db } from "../db/client";
import { sources, tenants } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError, errorResponses } from "../errors";
import { seal } from "../lib/sealed";
import { SourceName, TenantId } from "../names";
import { invalidateTenantCache } from "../tenancy";
import { createTenant, NewTenant, Tenant, tenantView } from "../tenant-store";
import { DefaultOwner, setDefaultOwner } from "../tenant-owner";
import { SourceInput, storedConfig } from "../sources/config";
import { SOURCE_KINDS } from "../sources/types";

const Source = z
  .object({ tenant: TenantId, name: SourceName, kind: z.enum(SOURCE_KINDS), watch: z.object({ silence_after: z.string() }).nullable(), updated_at: z.string() })
  .openapi("Source");

// Security requirements are written from worker/access/table.ts when the document is built.
export const tenantRoutes = new OpenAPIHono<AppEnv>();

tenantRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/tenants",
    operationId: "createTenant",
    tags: ["admin"],
    summary: "Create a stand-alone tenant and its first key (scope merchant_admin)",
    request: { body: { content: { "application/json": { schema: NewTenant } }, required: true } },
    responses: {
      201: { description: "Created", content: { "application/json": { schema: z.object({ tenant: Tenant }).extend(ApiKeyIssued.shape) } } },
      ...errorResponses(400, 401, 403, 409),
    },
  }),
  async (c) => c.json(await createTenant(c.env, c.req.valid("json"), null, actorOf(c)), 201),
);

tenantRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/tenants/{tenant}/default-owner",
    operationId: "putDefaultOwner",
    tags: ["admin"],
    summary: "Set who owns what no ownership rule names (how tenants created before default owners get one)",
    request: {
      params: z.object({ tenant: TenantId }),
      body: { content: { "application/json": { schema: z.object({ default_owner: DefaultOwner }).strict() } }, required: true },
    },
    responses: {
      200: { description: "Stored", content: { "application/json": { schema: z.object({ tenant: Tenant }) } } },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const owner = c.req.valid("json").default_owner;
    const row = await setDefaultOwner(c.env, tenant, owner);
    await recordAdmin(c.env, tenant, actorOf(c), "default_owner.put", { default_owner: owner });
    return c.json({ tenant: tenantView(row) }, 200);
  },
);

tenantRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/tenants/{tenant}/sources/{source}",
    operationId: "putSource",
    tags: ["admin"],
    summary: "Create or replace a sender and its signing secret",
    description: "The secret is sealed with AES-GCM (SECRETS_KEY) before it reaches D1 and is never returned. Recorded on the admin audit.",
    request: {
      params: z.object({ tenant: TenantId, source: SourceName }),
      body: { content: { "application/json": { schema: SourceInput } }, required: true },
    },
    responses: {
      200: { description: "Stored", content: { "application/json": { schema: z.object({ source: Source }) } } },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const { tenant, source } = c.req.valid("param");
    const body = c.req.valid("json");
    const d = db(c.env.DB);
    if (!(await d.select().from(tenants).where(eq(tenants.id, tenant)).get())) {
      throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);
    }
    const config = storedConfig(body, source);
    const updatedAt = new Date().toISOString();
    const secretCiphertext = await seal(body.secret, c.env.SECRETS_KEY);
    const watch = body.watch === undefined ? {} : { watch: body.watch };
    const [row] = await d
      .insert(sources)
      .values({ tenantId: tenant, name: source, kind: body.kind, secretCiphertext, config, updatedAt, watch: body.watch ?? null })
      .onConflictDoUpdate({ target: [sources.tenantId, sources.name], set: { kind: body.kind, secretCiphertext, config, updatedAt, ...watch } })
      .returning();
    invalidateTenantCache(tenant);
    await recordAdmin(c.env, tenant, actorOf(c), "source.put", { source, kind: body.kind, watch: row?.watch ?? null });
    return c.json({ source: { tenant, name: source, kind: body.kind, watch: row?.watch ?? null, updated_at: updatedAt } }, 200);
  },
);
