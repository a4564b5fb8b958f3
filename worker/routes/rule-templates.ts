import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { OwnershipRules, StoredOwnershipRules } from "../../domain/ownership/schema";
import { recordAdmin } from "../admin-audit";
import { actorOf } from "../auth";
import { db } from "../db/client";
import { agencies } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { ApiError, errorResponses } from "../errors";
import { TemplateId, TenantId } from "../names";
import { redactForDisplay } from "../ownership/store";
import { applyTemplate, MerchantApplied, MerchantPreview, previewTemplate } from "../ownership/template-apply";
import { agencyTemplates, type Inheritance, inheritors, insertTemplate, latestTemplate, type TemplateSnapshot } from "../ownership/templates";

/**
 * An agency's ownership-rule templates (issue 15): versioned rule sets its
 * merchants inherit with overrides (worker/routes/merchant-template.ts). A PUT
 * is the template's next version and applies to every inheriting merchant at
 * once; POST …/preview shows that outcome first, writing nothing.
 */

const AgencyParam = z.object({ agency: TenantId });
const TemplateParams = z.object({ agency: TenantId, template_id: TemplateId });

const Inheritor = z
  .object({
    tenant: z.string(),
    applied_version: z.number().int().openapi({ description: "The template version the merchant's rules were last computed from; lower than the template's version when that one was skipped for it" }),
  })
  .openapi("RuleTemplateInheritor");

const TemplateView = z
  .object({
    template_id: z.string(),
    version: z.number().int().openapi({ description: "Increases by one with every PUT" }),
    rules: StoredOwnershipRules,
    created_by: z.string().openapi({ description: "The acting key's name" }),
    created_at: z.string(),
    merchants: z.array(Inheritor),
  })
  .openapi("RuleTemplate");

const RulesBody = { content: { "application/json": { schema: z.object({ rules: OwnershipRules }) } }, required: true };

async function view(env: Env, t: TemplateSnapshot, links: Inheritance[]): Promise<z.infer<typeof TemplateView>> {
  return {
    template_id: t.template_id,
    version: t.version,
    rules: await redactForDisplay(t.rules, env.SECRETS_KEY),
    created_by: t.created_by,
    created_at: t.created_at,
    merchants: links.filter((l) => l.template_id === t.template_id).map((l) => ({ tenant: l.tenant, applied_version: l.applied_version })),
  };
}

/** The admin token may name any agency; an agency key has been matched to its own. */
async function assertAgency(env: Env, agency: string): Promise<void> {
  const row = await db(env.DB).select({ id: agencies.id }).from(agencies).where(eq(agencies.id, agency)).get();
  if (!row) throw new ApiError("not_found", `No agency '${agency}'`);
}

async function template(env: Env, agency: string, id: string): Promise<TemplateSnapshot> {
  await assertAgency(env, agency);
  const t = await latestTemplate(env, agency, id);
  if (!t) throw new ApiError("template_not_found", `Agency '${agency}' has no rule template '${id}'; PUT /v1/agencies/${agency}/rule-templates/${id} first`);
  return t;
}

export const ruleTemplateRoutes = new OpenAPIHono<AppEnv>();

ruleTemplateRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/agencies/{agency}/rule-templates/{template_id}",
    operationId: "putRuleTemplate",
    tags: ["rule-templates"],
    summary: "Store the template's next version and apply it to every merchant that inherits it",
    description:
      "The rules are validated as a tenant's are. Each inheriting merchant's rules become template ⊕ its overrides: stored as its next rules version " +
      "when they change (on its admin audit, with the acting key's name), left alone when equal, and skipped with the reasons when the merged rules " +
      "are invalid for it (e.g. a name that is not one of its contacts). Preview first with POST …/preview.",
    request: { params: TemplateParams, body: RulesBody },
    responses: {
      200: {
        description: "Stored, and the outcome for every inheriting merchant",
        content: { "application/json": { schema: z.object({ template: TemplateView, merchants: z.array(MerchantApplied) }) } },
      },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const { agency, template_id } = c.req.valid("param");
    await assertAgency(c.env, agency);
    const { rules } = c.req.valid("json");
    const actor = actorOf(c);
    const snap = await insertTemplate(c.env, agency, template_id, rules, actor.name);
    const outcome = await applyTemplate(c.env, snap, rules, actor);
    const count = (s: MerchantApplied["status"]) => outcome.filter((o) => o.status === s).map((o) => o.tenant);
    await recordAdmin(c.env, `agency:${agency}`, actor, "rule_template.put", {
      template_id,
      version: snap.version,
      applied: count("applied"),
      unchanged: count("unchanged"),
      skipped: count("skipped"),
      superseded: count("superseded"),
    });
    return c.json({ template: await view(c.env, snap, await inheritors(c.env, agency, template_id)), merchants: outcome }, 200);
  },
);

ruleTemplateRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/agencies/{agency}/rule-templates",
    operationId: "listRuleTemplates",
    tags: ["rule-templates"],
    summary: "The agency's templates (newest version of each) and the merchants inheriting each",
    request: { params: AgencyParam },
    responses: {
      200: { description: "Templates", content: { "application/json": { schema: z.object({ templates: z.array(TemplateView) }) } } },
      ...errorResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { agency } = c.req.valid("param");
    await assertAgency(c.env, agency);
    const [templates, links] = await Promise.all([agencyTemplates(c.env, agency), inheritors(c.env, agency, null)]);
    return c.json({ templates: await Promise.all(templates.map((t) => view(c.env, t, links))) }, 200);
  },
);

ruleTemplateRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/agencies/{agency}/rule-templates/{template_id}",
    operationId: "getRuleTemplate",
    tags: ["rule-templates"],
    summary: "The template's newest version and the merchants inheriting it",
    request: { params: TemplateParams },
    responses: {
      200: { description: "Template", content: { "application/json": { schema: z.object({ template: TemplateView }) } } },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const { agency, template_id } = c.req.valid("param");
    const t = await template(c.env, agency, template_id);
    return c.json({ template: await view(c.env, t, await inheritors(c.env, agency, template_id)) }, 200);
  },
);

ruleTemplateRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/agencies/{agency}/rule-templates/{template_id}/preview",
    operationId: "previewRuleTemplate",
    tags: ["rule-templates"],
    summary: "What these rules, as the template's next version, would do to each inheriting merchant (writes nothing)",
    description:
      "Per merchant: `changes` (the steps and fields that would change against its current rules; secrets as fingerprints), " +
      "`unchanged`, or `invalid` with the reasons (it would be skipped on PUT).",
    request: { params: TemplateParams, body: RulesBody },
    responses: {
      200: {
        description: "Per merchant",
        content: { "application/json": { schema: z.object({ template_id: z.string(), version: z.number().int().openapi({ description: "The current version the preview is against" }), merchants: z.array(MerchantPreview) }) } },
      },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const { agency, template_id } = c.req.valid("param");
    const t = await template(c.env, agency, template_id);
    const merchants = await previewTemplate(c.env, agency, template_id, c.req.valid("json").rules);
    return c.json({ template_id, version: t.version, merchants }, 200);
  },
);
