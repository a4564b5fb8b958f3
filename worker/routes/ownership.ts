import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { TenantId } from "../names";
import { actorOf } from "../auth";
import { recordAdmin } from "../admin-audit";
import { db } from "../db/client";
import { tenants } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { ApiError, errorResponses } from "../errors";
import { rulesCsv } from "../../domain/ownership/csv";
import { OwnershipRules, StoredOwnershipRules } from "../../domain/ownership/schema";
import { unreachableRuleNames } from "../notify/directory";
import { currentRules, putRules, redactForDisplay, type RulesSnapshot, rulesHistory } from "../ownership/store";

const TenantParam = z.object({ tenant: TenantId });

const RulesVersion = z
  .object({
    version: z.number().int().openapi({ description: "Increases by one with every PUT; exports name the version they were decided under." }),
    rules: StoredOwnershipRules,
    created_at: z.string(),
  })
  .openapi("OwnershipRulesVersion");


async function view(env: Env, s: RulesSnapshot): Promise<z.infer<typeof RulesVersion>> {
  return { version: s.version, rules: await redactForDisplay(s.rules, env.SECRETS_KEY), created_at: s.created_at };
}

/** Admins may name any tenant; a tenant key has already been matched to its own. */
async function assertTenant(env: Env, tenant: string): Promise<void> {
  const row = await db(env.DB).select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenant)).get();
  if (!row) throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);
}

async function current(env: Env, tenant: string): Promise<RulesSnapshot> {
  await assertTenant(env, tenant);
  const snap = await currentRules(env, tenant);
  if (!snap) throw new ApiError("not_found", `No ownership rules are set for tenant '${tenant}'; PUT /v1/tenants/${tenant}/ownership first`);
  return snap;
}

async function assertNamesReachable(env: Env, tenant: string, rules: OwnershipRules): Promise<void> {
  const issues = await unreachableRuleNames(env, tenant, rules);
  const first = issues[0];
  if (first) throw new ApiError("validation_failed", `${first.path}: ${first.message}`, issues);
}

export const ownershipRoutes = new OpenAPIHono<AppEnv>();

ownershipRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/tenants/{tenant}/ownership",
    operationId: "putOwnership",
    tags: ["ownership"],
    summary: "Store a new version of the tenant's ownership rules",
    description:
      "Every step declares its owning party, owner, backup, on-call, SLA, exception path and (when handed to another system) a consumer. " +
      "Consumer secrets are sealed at rest and only ever returned redacted. Once the tenant has any contact or rotation, " +
      "owner, backup, on_call and exception_path.contact_id must each name one (400 naming the field).",
    request: { params: TenantParam, body: { content: { "application/json": { schema: OwnershipRules } }, required: true } },
    responses: {
      200: { description: "Stored as the next version", content: { "application/json": { schema: RulesVersion } } },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    await assertTenant(c.env, tenant);
    const rules = c.req.valid("json");
    await assertNamesReachable(c.env, tenant, rules);
    const snap = await putRules(c.env, tenant, rules);
    await recordAdmin(c.env, tenant, actorOf(c), "rules.put", { version: snap.version });
    return c.json(await view(c.env, snap), 200);
  },
);

ownershipRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/ownership",
    operationId: "getOwnership",
    tags: ["ownership"],
    summary: "The tenant's current ownership rules",
    request: { params: TenantParam },
    responses: {
      200: { description: "Current version", content: { "application/json": { schema: RulesVersion } } },
      ...errorResponses(401, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    return c.json(await view(c.env, await current(c.env, tenant)), 200);
  },
);

ownershipRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/ownership/history",
    operationId: "getOwnershipHistory",
    tags: ["ownership"],
    summary: "Every stored version of the ownership rules, newest first",
    request: {
      params: TenantParam,
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
    },
    responses: {
      200: { description: "Versions", content: { "application/json": { schema: z.object({ versions: z.array(RulesVersion) }) } } },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    await assertTenant(c.env, tenant);
    const snaps = await rulesHistory(c.env, tenant, c.req.valid("query").limit);
    return c.json({ versions: await Promise.all(snaps.map((s) => view(c.env, s))) }, 200);
  },
);

ownershipRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/ownership.csv",
    operationId: "getOwnershipCsv",
    tags: ["ownership"],
    summary: "The current rules as the runbook CSV operators print (one row per step)",
    request: { params: TenantParam },
    responses: {
      200: { description: "RFC 4180 CSV with a header row", content: { "text/csv": { schema: z.string() } } },
      ...errorResponses(401, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const snap = await current(c.env, tenant);
    return c.body(rulesCsv(snap.rules, snap.version), 200, {
      "content-type": "text/csv; charset=utf-8; header=present",
      "content-disposition": `attachment; filename="ownership-${tenant}-v${snap.version}.csv"`,
    });
  },
);
