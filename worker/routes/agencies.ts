import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { asc, eq } from "drizzle-orm";
import { actorOf } from "../auth";
import { recordAdmin } from "../admin-audit";
import { ApiKeyIssued, newKey } from "../access/keys";
import { db } from "../db/client";
import { agencies, apiKeys, tenants } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError, errorResponses } from "../errors";
import { TenantId } from "../names";
import { createTenant, NewTenant, Tenant, tenantView } from "../tenant-store";

/** Agency ids share the tenant pattern: both appear in key prefixes and paths. */
const AgencyId = TenantId.openapi({ example: "northwind-agency" });
const Agency = z.object({ id: AgencyId, name: z.string(), created_at: z.string() }).openapi("Agency");
const AgencyParam = z.object({ agency: AgencyId });

export const agencyRoutes = new OpenAPIHono<AppEnv>();

agencyRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/agencies",
    operationId: "createAgency",
    tags: ["agencies"],
    summary: "Create an agency and its first key (scope agency_admin)",
    request: { body: { content: { "application/json": { schema: z.object({ id: AgencyId, name: z.string().min(1).max(200) }) } }, required: true } },
    responses: {
      201: { description: "Created", content: { "application/json": { schema: z.object({ agency: Agency }).extend(ApiKeyIssued.shape) } } },
      ...errorResponses(400, 401, 403, 409),
    },
  }),
  async (c) => {
    const body = c.req.valid("json");
    const d = db(c.env.DB);
    const actor = actorOf(c);
    const key = await newKey({ agency: body.id }, "first key", "agency_admin", null, actor);
    const [inserted] = await d
      .batch([d.insert(agencies).values({ id: body.id, name: body.name }).onConflictDoNothing().returning(), d.insert(apiKeys).values(key.row).onConflictDoNothing()])
      .catch((err: unknown) => {
        if (String(err).includes("FOREIGN KEY")) throw new ApiError("conflict", `Agency '${body.id}' already exists`);
        throw err;
      });
    const row = inserted[0];
    if (!row) throw new ApiError("conflict", `Agency '${body.id}' already exists`);
    await recordAdmin(c.env, `agency:${body.id}`, actor, "agency.created", { agency: body.id, name: body.name });
    await recordAdmin(c.env, `agency:${body.id}`, actor, "key.issued", { prefix: key.issued.prefix, name: key.issued.name, scope: key.issued.scope, expires_at: null });
    return c.json({ agency: { id: row.id, name: row.name, created_at: row.createdAt }, ...key.issued }, 201);
  },
);

agencyRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/agencies/{agency}/merchants",
    operationId: "createMerchant",
    tags: ["agencies"],
    summary: "Create a merchant tenant under the agency, with its first key (scope merchant_admin)",
    description: "Creates the tenant exactly as `POST /v1/tenants` does, owned by the agency: the agency's keys then act on it as its merchant_admin.",
    request: { params: AgencyParam, body: { content: { "application/json": { schema: NewTenant } }, required: true } },
    responses: {
      201: { description: "Created", content: { "application/json": { schema: z.object({ tenant: Tenant }).extend(ApiKeyIssued.shape) } } },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
  async (c) => {
    const { agency } = c.req.valid("param");
    // Only the admin token can name an agency that does not exist (a key has been matched to its own).
    if (!(await db(c.env.DB).select({ id: agencies.id }).from(agencies).where(eq(agencies.id, agency)).get())) throw new ApiError("not_found", `No agency '${agency}'`);
    return c.json(await createTenant(c.env, c.req.valid("json"), agency, actorOf(c)), 201);
  },
);

agencyRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/agencies/{agency}/merchants",
    operationId: "listMerchants",
    tags: ["agencies"],
    summary: "The agency's merchant tenants",
    request: { params: AgencyParam },
    responses: {
      200: { description: "Merchants", content: { "application/json": { schema: z.object({ merchants: z.array(Tenant) }) } } },
      ...errorResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { agency } = c.req.valid("param");
    const rows = await db(c.env.DB).select().from(tenants).where(eq(tenants.agencyId, agency)).orderBy(asc(tenants.id)).all();
    return c.json({ merchants: rows.map(tenantView) }, 200);
  },
);
