import type { Env } from "../env";
import { secretFingerprint } from "../../domain/crypto";
import { type OwnershipRules, StoredOwnershipRules } from "../../domain/ownership/schema";
import { changedSections, effectiveRules, type RulesChange, rulesDiff, type RulesIssue, type TemplateOverrides } from "../../domain/ownership/template";
import { seal, unseal } from "../lib/sealed";
import { unreachableRuleNames } from "../notify/directory";
import { insertedRules, rulesHistory, rulesInsert, type RulesRow, sealRules, unsealRules } from "./store";

/**
 * Ownership-rule templates in D1 (rule_templates, tenant_rule_templates) and
 * what a template means for each merchant that inherits it: its effective
 * rules (template ⊕ overrides, domain/ownership/template.ts), whether they are
 * valid for that merchant (its contacts), and how they differ from the rules
 * it has now. Consumer secrets are sealed at rest in both the template and the
 * overrides, exactly as in ownership_rules.
 */

export interface TemplateSnapshot {
  agency: string;
  template_id: string;
  version: number;
  /** consumer.secret SEALED. */
  rules: OwnershipRules;
  created_by: string;
  created_at: string;
}

interface TemplateRow {
  agency_id: string;
  template_id: string;
  version: number;
  rules: string;
  created_by: string;
  created_at: string;
}

/** A merchant's inheritance, overrides SEALED. */
export interface Inheritance {
  tenant: string;
  agency: string;
  template_id: string;
  overrides: TemplateOverrides;
  revision: number;
  applied_version: number;
  updated_at: string;
}

interface InheritanceRow {
  tenant_id: string;
  agency_id: string;
  template_id: string;
  overrides: string;
  revision: number;
  applied_version: number;
  updated_at: string;
}

function templateSnapshot(r: TemplateRow): TemplateSnapshot {
  return { agency: r.agency_id, template_id: r.template_id, version: r.version, rules: StoredOwnershipRules.parse(JSON.parse(r.rules)), created_by: r.created_by, created_at: r.created_at };
}

function inheritance(r: InheritanceRow): Inheritance {
  return { tenant: r.tenant_id, agency: r.agency_id, template_id: r.template_id, overrides: JSON.parse(r.overrides) as TemplateOverrides, revision: r.revision, applied_version: r.applied_version, updated_at: r.updated_at };
}

/** Stores `rules` (validated, plaintext) as the template's next version, numbered inside the INSERT like a tenant's rules. */
export async function insertTemplate(env: Env, agency: string, templateId: string, rules: OwnershipRules, createdBy: string): Promise<TemplateSnapshot> {
  const sealed = await sealRules(rules, env.SECRETS_KEY);
  const row = await env.DB.prepare(
    `INSERT INTO rule_templates (agency_id, template_id, version, rules, created_by, created_at)
     SELECT ?1, ?2, COALESCE(MAX(version), 0) + 1, ?3, ?4, ?5 FROM rule_templates WHERE agency_id = ?1 AND template_id = ?2
     RETURNING *`,
  )
    .bind(agency, templateId, JSON.stringify(sealed), createdBy, new Date().toISOString())
    .first<TemplateRow>();
  if (!row) throw new Error("rule_templates insert returned no row");
  return templateSnapshot(row);
}

export async function latestTemplate(env: Env, agency: string, templateId: string): Promise<TemplateSnapshot | null> {
  const row = await env.DB.prepare("SELECT * FROM rule_templates WHERE agency_id = ? AND template_id = ? ORDER BY version DESC LIMIT 1")
    .bind(agency, templateId)
    .first<TemplateRow>();
  return row ? templateSnapshot(row) : null;
}

/** The newest version of each of the agency's templates. */
export async function agencyTemplates(env: Env, agency: string): Promise<TemplateSnapshot[]> {
  const { results } = await env.DB.prepare(
    `SELECT t.* FROM rule_templates t
     WHERE t.agency_id = ?1 AND t.version = (SELECT MAX(version) FROM rule_templates WHERE agency_id = ?1 AND template_id = t.template_id)
     ORDER BY t.template_id`,
  )
    .bind(agency)
    .all<TemplateRow>();
  return results.map(templateSnapshot);
}

/** The agency's merchants that inherit a template (all templates when `templateId` is null). */
export async function inheritors(env: Env, agency: string, templateId: string | null): Promise<Inheritance[]> {
  const { results } = await env.DB.prepare(
    "SELECT * FROM tenant_rule_templates WHERE agency_id = ?1 AND (?2 IS NULL OR template_id = ?2) ORDER BY tenant_id",
  )
    .bind(agency, templateId)
    .all<InheritanceRow>();
  return results.map(inheritance);
}

export async function inheritanceOf(env: Env, tenant: string): Promise<Inheritance | null> {
  const row = await env.DB.prepare("SELECT * FROM tenant_rule_templates WHERE tenant_id = ?").bind(tenant).first<InheritanceRow>();
  return row ? inheritance(row) : null;
}

/** Applies `fn` to every `steps.<step>.consumer.secret` string an override carries; the input is never mutated. */
async function mapOverrideSecrets(overrides: TemplateOverrides, fn: (secret: string) => Promise<string>): Promise<TemplateOverrides> {
  const out = structuredClone(overrides);
  const steps = out.steps;
  if (typeof steps !== "object" || steps === null) return out;
  for (const rule of Object.values(steps)) {
    const consumer: unknown = typeof rule === "object" && rule !== null ? (rule as Record<string, unknown>).consumer : undefined;
    if (typeof consumer === "object" && consumer !== null) {
      const c = consumer as Record<string, unknown>;
      if (typeof c.secret === "string") c.secret = await fn(c.secret);
    }
  }
  return out;
}

export const sealOverrides = (o: TemplateOverrides, key: string) => mapOverrideSecrets(o, (s) => seal(s, key));
export const unsealOverrides = (o: TemplateOverrides, key: string) => mapOverrideSecrets(o, (s) => unseal(s, key));
/** Overrides as responses show them: secrets as keyed fingerprints. */
export async function overridesView(o: TemplateOverrides, key: string): Promise<TemplateOverrides> {
  return mapOverrideSecrets(await unsealOverrides(o, key), (s) => secretFingerprint(s, key));
}

/** What a template version would do to one merchant. */
export type Evaluation =
  | { tenant: string; status: "changes"; rules: OwnershipRules; changes: RulesChange[]; steps: string[] }
  | { tenant: string; status: "unchanged"; rules: OwnershipRules }
  | { tenant: string; status: "invalid"; issues: RulesIssue[] };

/** The field differences shown to people: secrets as keyed fingerprints, never their characters. */
async function redactChanges(changes: RulesChange[], key: string): Promise<RulesChange[]> {
  const show = async (v: RulesChange["from"]) => (typeof v === "string" ? secretFingerprint(v, key) : v);
  return Promise.all(changes.map(async (c) => (c.path.endsWith(".consumer.secret") ? { ...c, from: await show(c.from), to: await show(c.to) } : c)));
}

/**
 * `template` with `overrides` (both plaintext) for `tenant`: invalid when
 * the merged rules fail the schema or name someone the merchant's directory
 * does not hold; otherwise compared with the merchant's current rules, read
 * uncached so an unchanged verdict is never a stale one.
 */
export async function evaluate(env: Env, tenant: string, template: OwnershipRules, overrides: TemplateOverrides): Promise<Evaluation> {
  const eff = effectiveRules(template, overrides);
  if (!eff.ok) return { tenant, status: "invalid", issues: eff.issues };
  const names = await unreachableRuleNames(env, tenant, eff.rules);
  if (names.length > 0) return { tenant, status: "invalid", issues: names };
  const [current] = await rulesHistory(env, tenant, 1);
  // A secret sealed under a retired SECRETS_KEY cannot be compared: it counts as changed.
  const before = current ? await unsealRules(current.rules, env.SECRETS_KEY).catch(() => current.rules) : {};
  const changes = rulesDiff(before, eff.rules);
  if (changes.length === 0) return { tenant, status: "unchanged", rules: eff.rules };
  return { tenant, status: "changes", rules: eff.rules, changes: await redactChanges(changes, env.SECRETS_KEY), steps: changedSections(changes) };
}

/** The guard every inheritance write carries: no version of the template newer than the one computed from exists. */
function noNewer(agency: string, template: string, version: string): string {
  return `NOT EXISTS (SELECT 1 FROM rule_templates WHERE agency_id = ${agency} AND template_id = ${template} AND version > ${version})`;
}

/**
 * A fresh revision for an inheritance row: random, so a row deleted and made
 * again never repeats one an apply in flight may still hold.
 */
function newRevision(): number {
  const b = crypto.getRandomValues(new Uint8Array(6));
  return b.reduce((n, x) => n * 256 + x, 0);
}

/**
 * Writes one merchant's outcome of template version `version` in one D1
 * batch (one transaction): the new rules version when they change (`rules`
 * null: unchanged), then the row's applied version. Written only while the row
 * still holds `revision` (the merchant did not change its template or
 * overrides meanwhile) and no newer template version exists; `written` false
 * when either happened: the newer writer decides this merchant's rules.
 */
export async function writeInheritance(
  env: Env,
  link: { tenant: string; agency: string; template_id: string; revision: number },
  version: number,
  rules: OwnershipRules | null,
): Promise<{ written: boolean; rules_version: number | null }> {
  const now = new Date().toISOString();
  const stmts: D1PreparedStatement[] = [];
  if (rules) {
    const sealed = JSON.stringify(await sealRules(rules, env.SECRETS_KEY));
    const guard = `${noNewer("?4", "?5", "?6")} AND EXISTS (SELECT 1 FROM tenant_rule_templates WHERE tenant_id = ?1 AND revision = ?7)`;
    stmts.push(rulesInsert(env, link.tenant, sealed, now, { sql: guard, binds: [link.agency, link.template_id, version, link.revision] }));
  }
  stmts.push(
    env.DB.prepare(
      `UPDATE tenant_rule_templates SET applied_version = ?4, updated_at = ?5
       WHERE tenant_id = ?1 AND revision = ?6 AND ${noNewer("?2", "?3", "?4")}`,
    ).bind(link.tenant, link.agency, link.template_id, version, now, link.revision),
  );
  const results = await env.DB.batch<RulesRow>(stmts);
  const written = (results[results.length - 1]?.meta.changes ?? 0) > 0;
  const snap = rules ? insertedRules(link.tenant, results[0]?.results[0]) : null;
  return { written, rules_version: snap?.version ?? null };
}

/**
 * A merchant's own choice of template and overrides, stored in one batch with
 * the rules they give (`rules` null: unchanged). Refused (`written` false)
 * when a newer template version appeared, or the row is no longer what was
 * read (`expected`: its revision then, null: there was none); the route
 * answers 409 so the client retries on the new state.
 */
export async function putInheritance(
  env: Env,
  link: { tenant: string; agency: string; template_id: string; overrides: TemplateOverrides },
  version: number,
  expected: number | null,
  rules: OwnershipRules | null,
): Promise<{ written: boolean; rules_version: number | null }> {
  const now = new Date().toISOString();
  const revision = newRevision();
  const overrides = JSON.stringify(await sealOverrides(link.overrides, env.SECRETS_KEY));
  const binds = [link.tenant, link.agency, link.template_id, version, overrides, revision, now];
  const row =
    expected === null
      ? env.DB.prepare(
          `INSERT INTO tenant_rule_templates (tenant_id, agency_id, template_id, applied_version, overrides, revision, updated_at)
           SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE ${noNewer("?2", "?3", "?4")}
           ON CONFLICT (tenant_id) DO NOTHING`,
        ).bind(...binds)
      : env.DB.prepare(
          `UPDATE tenant_rule_templates SET agency_id = ?2, template_id = ?3, applied_version = ?4, overrides = ?5, revision = ?6, updated_at = ?7
           WHERE tenant_id = ?1 AND revision = ?8 AND ${noNewer("?2", "?3", "?4")}`,
        ).bind(...binds, expected);
  const stmts: D1PreparedStatement[] = [row];
  if (rules) {
    const sealed = JSON.stringify(await sealRules(rules, env.SECRETS_KEY));
    // The batch is one transaction: the rules are written only if the row statement above took.
    stmts.push(rulesInsert(env, link.tenant, sealed, now, { sql: "EXISTS (SELECT 1 FROM tenant_rule_templates WHERE tenant_id = ?1 AND revision = ?4)", binds: [revision] }));
  }
  const results = await env.DB.batch<RulesRow>(stmts);
  const written = (results[0]?.meta.changes ?? 0) > 0;
  const snap = rules ? insertedRules(link.tenant, results[1]?.results[0]) : null;
  return { written, rules_version: snap?.version ?? null };
}

/** Stops inheriting: the merchant keeps its current rules and edits them directly from then on. */
export async function deleteInheritance(env: Env, tenant: string): Promise<boolean> {
  const res = await env.DB.prepare("DELETE FROM tenant_rule_templates WHERE tenant_id = ?").bind(tenant).run();
  return res.meta.changes > 0;
}
