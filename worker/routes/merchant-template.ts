import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { RulesChangeSchema, rulesDiff, TemplateOverrides } from "../../domain/ownership/template";
import { recordAdmin } from "../admin-audit";
import { actorOf } from "../auth";
import type { AppEnv, Env } from "../env";
import { ApiError, errorResponses } from "../errors";
import { TemplateId, TenantId } from "../names";
import { unsealRules } from "../ownership/store";
import { deleteInheritance, evaluate, type Inheritance, inheritanceOf, latestTemplate, overridesView, putInheritance, type TemplateSnapshot } from "../ownership/templates";
import { tenantAgency } from "../tenancy";

/**
 * A merchant's side of a template (issue 15): which of its agency's templates
 * it inherits and its own overrides. Choosing or changing them applies at once
 * (a new rules version when the merged rules differ); later template versions
 * apply through the agency's PUT.
 */

const TenantParam = z.object({ tenant: TenantId });

const InheritanceView = z
  .object({
    template_id: z.string(),
    template_version: z.number().int().openapi({ description: "The template's newest version" }),
    applied_version: z.number().int().openapi({ description: "The version the merchant's rules were last computed from" }),
    up_to_date: z.boolean().openapi({ description: "false when a newer template version was skipped for this merchant (its merged rules were invalid)" }),
    overrides: TemplateOverrides,
    updated_at: z.string(),
  })
  .openapi("RuleTemplateInheritance");

async function view(env: Env, link: Inheritance, t: TemplateSnapshot | null): Promise<z.infer<typeof InheritanceView>> {
  const latest = t?.version ?? link.applied_version;
  return {
    template_id: link.template_id,
    template_version: latest,
    applied_version: link.applied_version,
    up_to_date: link.applied_version >= latest,
    overrides: await overridesView(link.overrides, env.SECRETS_KEY),
    updated_at: link.updated_at,
  };
}

/** The merchant's agency; a stand-alone tenant has no templates to inherit. */
async function agencyOf(env: Env, tenant: string): Promise<string> {
  const owner = await tenantAgency(env, tenant);
  if (!owner) throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);
  if (owner.agency === null) throw new ApiError("template_not_found", `Tenant '${tenant}' belongs to no agency, so it has no rule templates to inherit`);
  return owner.agency;
}

export const merchantTemplateRoutes = new OpenAPIHono<AppEnv>();

merchantTemplateRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/tenants/{tenant}/rule-template",
    operationId: "putMerchantRuleTemplate",
    tags: ["rule-templates"],
    summary: "Inherit one of the agency's rule templates, with this merchant's overrides",
    description:
      "The merchant's rules become the template's newest version ⊕ `overrides` (a JSON Merge Patch, RFC 7396), validated as a PUT of the rules " +
      "is (schema and contact names): stored as its next rules version when they differ from its current ones. Later template versions apply " +
      "through the agency's PUT. 409 when the template or this setting changed while the call ran (retry).",
    request: {
      params: TenantParam,
      body: { content: { "application/json": { schema: z.object({ template_id: TemplateId, overrides: TemplateOverrides.default({}) }) } }, required: true },
    },
    responses: {
      200: {
        description: "Inherited; the merchant's rules as they now are",
        content: {
          "application/json": {
            schema: z.object({
              inheritance: InheritanceView,
              status: z.enum(["applied", "unchanged"]),
              rules_version: z.number().int().nullable().openapi({ description: "The new rules version, null when unchanged" }),
              changes: z.array(RulesChangeSchema),
            }),
          },
        },
      },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const { template_id, overrides } = c.req.valid("json");
    const agency = await agencyOf(c.env, tenant);
    const t = await latestTemplate(c.env, agency, template_id);
    if (!t) throw new ApiError("template_not_found", `The agency has no rule template '${template_id}'`);
    const existing = await inheritanceOf(c.env, tenant);
    const e = await evaluate(c.env, tenant, await unsealRules(t.rules, c.env.SECRETS_KEY), overrides);
    if (e.status === "invalid") {
      const first = e.issues[0];
      throw new ApiError("validation_failed", `template '${template_id}' with these overrides is not valid for '${tenant}': ${first ? `${first.path}: ${first.message}` : "invalid"}`, e.issues);
    }
    const link = { tenant, agency, template_id, overrides };
    const w = await putInheritance(c.env, link, t.version, existing?.revision ?? null, e.status === "changes" ? e.rules : null);
    if (!w.written) throw new ApiError("conflict", "The template or this merchant's template setting changed while this was applied; read it again and retry");
    const actor = actorOf(c);
    const source = { template_id, template_version: t.version };
    await recordAdmin(c.env, tenant, actor, "rule_template.set", { ...source, override_paths: rulesDiff({}, overrides).map((x) => x.path) });
    if (w.rules_version !== null) await recordAdmin(c.env, tenant, actor, "rules.put", { version: w.rules_version, ...source, steps: e.status === "changes" ? e.steps : [] });
    const stored = await inheritanceOf(c.env, tenant);
    if (!stored) throw new ApiError("conflict", "This merchant's template setting was removed meanwhile");
    return c.json(
      {
        inheritance: await view(c.env, stored, t),
        status: w.rules_version === null ? ("unchanged" as const) : ("applied" as const),
        rules_version: w.rules_version,
        changes: e.status === "changes" ? e.changes : [],
      },
      200,
    );
  },
);

merchantTemplateRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/rule-template",
    operationId: "getMerchantRuleTemplate",
    tags: ["rule-templates"],
    summary: "The template this merchant inherits and its overrides (secrets as fingerprints)",
    request: { params: TenantParam },
    responses: {
      200: { description: "Inheritance", content: { "application/json": { schema: z.object({ inheritance: InheritanceView }) } } },
      ...errorResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const agency = await agencyOf(c.env, tenant);
    const link = await inheritanceOf(c.env, tenant);
    if (!link) throw new ApiError("not_found", `Tenant '${tenant}' inherits no rule template`);
    return c.json({ inheritance: await view(c.env, link, await latestTemplate(c.env, agency, link.template_id)) }, 200);
  },
);

merchantTemplateRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/v1/tenants/{tenant}/rule-template",
    operationId: "deleteMerchantRuleTemplate",
    tags: ["rule-templates"],
    summary: "Stop inheriting: the merchant keeps its current rules and edits them directly from then on",
    request: { params: TenantParam },
    responses: {
      200: { description: "No longer inherits", content: { "application/json": { schema: z.object({ template_id: z.string() }) } } },
      ...errorResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    await agencyOf(c.env, tenant);
    const link = await inheritanceOf(c.env, tenant);
    if (!link || !(await deleteInheritance(c.env, tenant))) throw new ApiError("not_found", `Tenant '${tenant}' inherits no rule template`);
    await recordAdmin(c.env, tenant, actorOf(c), "rule_template.removed", { template_id: link.template_id, applied_version: link.applied_version });
    return c.json({ template_id: link.template_id }, 200);
  },
);
