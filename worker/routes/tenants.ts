import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { requireAdmin } from "../auth";
import { db } from "../db/client";
import { apiKeys, sources, tenants } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError, errorResponses } from "../errors";
import { randomToken, sha256Hex } from "../../domain/crypto";
import { seal } from "../lib/sealed";
import { SourceName, TenantId } from "../names";
import { invalidateTenantCache } from "../tenancy";
import { DefaultOwner, setDefaultOwner } from "../tenant-owner";
import { SourceInput, storedConfig } from "../sources/config";
import { SOURCE_KINDS } from "../sources/types";

const Tenant = z
  .object({ id: TenantId, name: z.string(), default_owner: z.string().nullable().describe("null only for a tenant created before default owners existed, until an admin sets one"), created_at: z.string() })
  .openapi("Tenant");
const ApiKeyIssued = z.object({
  api_key: z.string().openapi({ description: "Shown once; stored only as a SHA-256 hash." }),
  prefix: z.string(),
});

const Source = z
  .object({ tenant: TenantId, name: SourceName, kind: z.enum(SOURCE_KINDS), watch: z.object({ silence_after: z.string() }).nullable(), updated_at: z.string() })
  .openapi("Source");

const admin = [{ adminToken: [] }];

async function newKey(tenant: string) {
  const apiKey = `hk_${tenant}_${randomToken(24)}`;
  const prefix = apiKey.slice(0, tenant.length + 8);
  return { issued: { api_key: apiKey, prefix }, row: { id: `key_${crypto.randomUUID()}`, tenantId: tenant, keyHash: await sha256Hex(apiKey), prefix } };
}

export const tenantRoutes = new OpenAPIHono<AppEnv>();
tenantRoutes.use("/v1/tenants", requireAdmin);
tenantRoutes.use("/v1/tenants/:tenant/sources/*", requireAdmin);
tenantRoutes.use("/v1/tenants/:tenant/api-keys", requireAdmin);
tenantRoutes.use("/v1/tenants/:tenant/default-owner", requireAdmin);

tenantRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/tenants",
    operationId: "createTenant",
    tags: ["admin"],
    summary: "Create a tenant and its first API key",
    security: admin,
    request: { body: { content: { "application/json": { schema: z.object({ id: TenantId, name: z.string().min(1).max(200), default_owner: DefaultOwner }) } }, required: true } },
    responses: {
      201: { description: "Created", content: { "application/json": { schema: z.object({ tenant: Tenant }).extend(ApiKeyIssued.shape) } } },
      ...errorResponses(400, 401, 409),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const d = db(c.env.DB);
    const key = await newKey(body.id);
    // One batch (one transaction): a tenant never exists without its first key.
    const [inserted] = await d.batch([
      d.insert(tenants).values({ id: body.id, name: body.name, defaultOwner: body.default_owner }).onConflictDoNothing().returning(),
      d.insert(apiKeys).values(key.row).onConflictDoNothing(),
    ]).catch((err: unknown) => {
      // The key insert fails on the tenant foreign key only when the tenant insert was skipped.
      if (String(err).includes("FOREIGN KEY")) throw new ApiError("conflict", `Tenant '${body.id}' already exists`);
      throw err;
    });
    const row = inserted[0];
    if (!row) throw new ApiError("conflict", `Tenant '${body.id}' already exists`);
    invalidateTenantCache(body.id);
    return c.json({ tenant: { id: row.id, name: row.name, default_owner: row.defaultOwner, created_at: row.createdAt }, ...key.issued }, 201);
  },
);

tenantRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/tenants/{tenant}/default-owner",
    operationId: "putDefaultOwner",
    tags: ["admin"],
    summary: "Set who owns what no ownership rule names (how tenants created before default owners get one)",
    security: admin,
    request: {
      params: z.object({ tenant: TenantId }),
      body: { content: { "application/json": { schema: z.object({ default_owner: DefaultOwner }).strict() } }, required: true },
    },
    responses: {
      200: { description: "Stored", content: { "application/json": { schema: z.object({ tenant: Tenant }) } } },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    return c.json({ tenant: await setDefaultOwner(c.env, tenant, c.req.valid("json").default_owner) }, 200);
  },
);

tenantRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/tenants/{tenant}/api-keys",
    operationId: "issueApiKey",
    tags: ["admin"],
    summary: "Issue an additional API key for a tenant (for rotation: issue, then switch clients)",
    security: admin,
    request: { params: z.object({ tenant: TenantId }) },
    responses: {
      201: { description: "Issued", content: { "application/json": { schema: ApiKeyIssued } } },
      ...errorResponses(401, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const row = await db(c.env.DB).select().from(tenants).where(eq(tenants.id, tenant)).get();
    if (!row) throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);
    const key = await newKey(tenant);
    await db(c.env.DB).insert(apiKeys).values(key.row);
    return c.json(key.issued, 201);
  },
);

tenantRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/tenants/{tenant}/sources/{source}",
    operationId: "putSource",
    tags: ["admin"],
    summary: "Create or replace a sender and its signing secret",
    description: "The secret is sealed with AES-GCM (SECRETS_KEY) before it reaches D1 and is never returned.",
    security: admin,
    request: {
      params: z.object({ tenant: TenantId, source: SourceName }),
      body: { content: { "application/json": { schema: SourceInput } }, required: true },
    },
    responses: {
      200: { description: "Stored", content: { "application/json": { schema: z.object({ source: Source }) } } },
      ...errorResponses(400, 401, 404),
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
    return c.json({ source: { tenant, name: source, kind: body.kind, watch: row?.watch ?? null, updated_at: updatedAt } }, 200);
  },
);
