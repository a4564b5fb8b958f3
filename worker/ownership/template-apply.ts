import { z } from "@hono/zod-openapi";
import type { Actor } from "../../domain/access/scopes";
import type { OwnershipRules } from "../../domain/ownership/schema";
import { RulesChangeSchema } from "../../domain/ownership/template";
import { recordAdmin } from "../admin-audit";
import type { Env } from "../env";
import { evaluate, type Evaluation, type Inheritance, inheritors, type TemplateSnapshot, unsealOverrides, writeInheritance } from "./templates";

/**
 * What a template version means for the merchants that inherit it: the
 * preview (no write) and the apply (one new rules version per merchant that
 * changes, each on that merchant's admin audit). A merchant where the merged
 * rules are invalid is reported and skipped, never failing the others.
 */

const Issue = z.object({ path: z.string(), message: z.string() }).openapi("RulesIssue");
const detail = {
  steps: z.array(z.string()).optional().openapi({ description: "The steps (or `policy`) whose rules change", example: ["payment", "shipping"] }),
  changes: z.array(RulesChangeSchema).optional(),
  issues: z.array(Issue).optional().openapi({ description: "Why the merged rules are invalid for this merchant" }),
};

export const MerchantPreview = z
  .object({ tenant: z.string(), status: z.enum(["changes", "unchanged", "invalid"]), ...detail })
  .openapi("RuleTemplateMerchantPreview");
export type MerchantPreview = z.infer<typeof MerchantPreview>;

export const MerchantApplied = z
  .object({
    tenant: z.string(),
    status: z.enum(["applied", "unchanged", "skipped", "superseded"]).openapi({
      description:
        "applied: stored as the merchant's next rules version; unchanged: its rules already equal the merged ones; " +
        "skipped: the merged rules are invalid for it (issues), its rules stay as they were; superseded: the merchant changed its overrides, or a newer template version was stored, while this one was applied, and that newer write decides",
    }),
    rules_version: z.number().int().nullable(),
    ...detail,
  })
  .openapi("RuleTemplateMerchantOutcome");
export type MerchantApplied = z.infer<typeof MerchantApplied>;

function previewOf(e: Evaluation): MerchantPreview {
  if (e.status === "invalid") return { tenant: e.tenant, status: "invalid", issues: e.issues };
  if (e.status === "unchanged") return { tenant: e.tenant, status: "unchanged" };
  return { tenant: e.tenant, status: "changes", steps: e.steps, changes: e.changes };
}

/** One merchant's evaluation, its sealed overrides opened first (one sealed under a retired SECRETS_KEY makes it invalid, not the whole call). */
async function evaluateLink(env: Env, link: Inheritance, rules: OwnershipRules): Promise<Evaluation> {
  let overrides: Inheritance["overrides"];
  try {
    overrides = await unsealOverrides(link.overrides, env.SECRETS_KEY);
  } catch {
    return { tenant: link.tenant, status: "invalid", issues: [{ path: "overrides", message: "a consumer secret in the overrides cannot be unsealed (sealed under a retired SECRETS_KEY); PUT the merchant's rule-template again" }] };
  }
  return evaluate(env, link.tenant, rules, overrides);
}

/** Per inheriting merchant: what `rules` as the template's next version would change. Writes nothing. */
export async function previewTemplate(env: Env, agency: string, templateId: string, rules: OwnershipRules): Promise<MerchantPreview[]> {
  const links = await inheritors(env, agency, templateId);
  return Promise.all(links.map(async (l) => previewOf(await evaluateLink(env, l, rules))));
}

/**
 * Applies template version `snap` (its rules given in plaintext as `rules`) to
 * every inheriting merchant, one merchant after another (each a D1 batch of
 * its own), and records each outcome on that merchant's admin audit.
 */
export async function applyTemplate(env: Env, snap: TemplateSnapshot, rules: OwnershipRules, actor: Actor): Promise<MerchantApplied[]> {
  const out: MerchantApplied[] = [];
  const source = { template_id: snap.template_id, template_version: snap.version };
  for (const link of await inheritors(env, snap.agency, snap.template_id)) {
    const e = await evaluateLink(env, link, rules);
    if (e.status === "invalid") {
      await recordAdmin(env, link.tenant, actor, "rules.template_skipped", { ...source, issues: e.issues });
      out.push({ tenant: link.tenant, status: "skipped", rules_version: null, issues: e.issues });
      continue;
    }
    const w = await writeInheritance(env, link, snap.version, e.status === "changes" ? e.rules : null);
    if (!w.written) {
      out.push({ tenant: link.tenant, status: "superseded", rules_version: null });
    } else if (e.status === "changes" && w.rules_version !== null) {
      await recordAdmin(env, link.tenant, actor, "rules.put", { version: w.rules_version, ...source, steps: e.steps });
      out.push({ tenant: link.tenant, status: "applied", rules_version: w.rules_version, steps: e.steps, changes: e.changes });
    } else {
      out.push({ tenant: link.tenant, status: "unchanged", rules_version: null });
    }
  }
  return out;
}
