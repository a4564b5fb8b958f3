import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { RETAINED_TABLES, RetentionPolicy, RetentionPolicyInput, completePolicy, Day, DEFAULT_POLICY, POLICY_FLOOR } from "../../domain/retention/policy";
import { actorOf } from "../auth";
import { recordAdmin } from "../admin-audit";
import { db } from "../db/client";
import { tenants } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { ApiError, errorResponses } from "../errors";
import { TenantId } from "../names";
import { gunzip } from "../retention/archive-store";
import { policyFor, putPolicy } from "../retention/policy-store";
import { ArchivedDay, archivedDay } from "../retention/read";

const admin = [{ adminToken: [] }];
const reader: Record<string, string[]>[] = [{ tenantKey: [] }, { adminToken: [] }];

const PolicyView = z
  .object({
    policy: RetentionPolicy,
    updated_at: z.string().nullable().describe("Null while the tenant runs on the defaults"),
    defaults: RetentionPolicy,
    floor: RetentionPolicy.describe("The shortest windows a PUT may set"),
  })
  .openapi("RetentionPolicyView");

async function assertTenant(env: Env, tenant: string): Promise<void> {
  const row = await db(env.DB).select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenant)).get();
  if (!row) throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);
}

const view = (s: { policy: RetentionPolicy; updated_at: string | null }) => ({ ...s, defaults: { ...DEFAULT_POLICY }, floor: { ...POLICY_FLOOR } });

export const retentionRoutes = new OpenAPIHono<AppEnv>();

retentionRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/tenants/{tenant}/retention",
    operationId: "putRetention",
    tags: ["retention"],
    summary: "Set how long the tenant's rejections, audit rows and resolved tasks stay in D1",
    description:
      "Each window is whole days (an integer, or ISO-8601 weeks/days such as P30D or P8W), at least the floor. A field left out takes its default. " +
      "Past its window a UTC day is archived to R2 (gzip NDJSON with a manifest) and only then deleted, by the cron's retention job.",
    security: admin,
    request: { params: z.object({ tenant: TenantId }), body: { content: { "application/json": { schema: RetentionPolicyInput } }, required: true } },
    responses: {
      200: { description: "Stored", content: { "application/json": { schema: PolicyView } } },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    await assertTenant(c.env, tenant);
    const stored = await putPolicy(c.env, tenant, completePolicy(c.req.valid("json")));
    await recordAdmin(c.env, tenant, actorOf(c), "retention.put", { policy: stored.policy });
    return c.json(view(stored), 200);
  },
);

retentionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/retention",
    operationId: "getRetention",
    tags: ["retention"],
    summary: "The tenant's retention policy (the defaults until one is PUT)",
    security: reader,
    request: { params: z.object({ tenant: TenantId }) },
    responses: {
      200: { description: "Policy", content: { "application/json": { schema: PolicyView } } },
      ...errorResponses(401, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    await assertTenant(c.env, tenant);
    return c.json(view(await policyFor(c.env, tenant)), 200);
  },
);

retentionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/archive/{day}",
    operationId: "getArchivedDay",
    tags: ["retention"],
    summary: "What was archived for one UTC day: per table its status, manifest, files and the checkpoint on the retention chain",
    security: reader,
    request: { params: z.object({ tenant: TenantId, day: Day }) },
    responses: {
      200: { description: "The archived day", content: { "application/json": { schema: ArchivedDay } } },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant, day } = c.req.valid("param");
    const found = await archivedDay(c.env, tenant, day);
    if (!found) throw new ApiError("not_found", `Nothing of tenant '${tenant}' is archived for ${day}`);
    return c.json(found, 200);
  },
);

retentionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/archive/{day}/{table}/{file}",
    operationId: "getArchiveFile",
    tags: ["retention"],
    summary: "One archived object, byte for byte as stored (or, with ?format=ndjson, a part decompressed)",
    description: "`manifest.json`, or a part `0001.ndjson.gz`: gzip NDJSON, one D1 row per line with D1's column names.",
    security: reader,
    request: {
      params: z.object({
        tenant: TenantId,
        day: Day,
        table: z.enum(RETAINED_TABLES),
        file: z.string().regex(/^(manifest\.json|\d{4}\.ndjson\.gz)$/, "manifest.json or a part such as 0001.ndjson.gz"),
      }),
      query: z.object({ format: z.enum(["stored", "ndjson"]).default("stored") }),
    },
    responses: {
      200: {
        description: "The object",
        content: { "application/gzip": { schema: z.string().openapi({ format: "binary" }) }, "application/json": { schema: z.unknown() }, "application/x-ndjson": { schema: z.string() } },
      },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant, day, table, file } = c.req.valid("param");
    const object = await c.env.ARCHIVE.get(`${tenant}/${day}/${table}.${file}`);
    if (!object) throw new ApiError("not_found", `No archived ${table} ${file} for tenant '${tenant}' on ${day}`);
    if (c.req.valid("query").format === "ndjson" && file.endsWith(".gz")) {
      return c.body(await gunzip(await object.arrayBuffer()), 200, { "content-type": "application/x-ndjson; charset=utf-8" });
    }
    return c.body(object.body, 200, {
      "content-type": object.httpMetadata?.contentType ?? "application/octet-stream",
      "content-length": String(object.size),
    });
  },
);
