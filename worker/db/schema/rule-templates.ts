import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt } from "./columns";
import { agencies, tenants } from "./tenants";

/**
 * Ownership-rule templates an agency holds (issue 15). Versioned like a
 * tenant's rules: every PUT is the template's next version, none is rewritten.
 */
export const ruleTemplates = sqliteTable(
  "rule_templates",
  {
    agencyId: text("agency_id")
      .notNull()
      .references(() => agencies.id),
    templateId: text("template_id").notNull(),
    version: integer("version").notNull(),
    /** OwnershipRules as JSON; each consumer.secret is AES-GCM ciphertext under SECRETS_KEY, as in ownership_rules. */
    rules: text("rules").notNull(),
    /** The acting key's name. */
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.agencyId, t.templateId, t.version] })],
);

/**
 * Which template a merchant inherits, with its own overrides (a JSON merge
 * patch on the template's rules, domain/ownership/template.ts). One row per
 * merchant: a merchant inherits at most one template.
 */
export const tenantRuleTemplates = sqliteTable(
  "tenant_rule_templates",
  {
    tenantId: text("tenant_id")
      .primaryKey()
      .references(() => tenants.id),
    agencyId: text("agency_id")
      .notNull()
      .references(() => agencies.id),
    templateId: text("template_id").notNull(),
    /** The merge patch as JSON; a consumer.secret in it is sealed like the rules'. */
    overrides: text("overrides").notNull(),
    /** Bumped by every change of the row, so an apply that read an older row writes nothing. */
    revision: integer("revision").notNull(),
    /** The template version the merchant's current rules were last computed from. */
    appliedVersion: integer("applied_version").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("tenant_rule_templates_template").on(t.agencyId, t.templateId)],
);

export type RuleTemplateRow = typeof ruleTemplates.$inferSelect;
export type TenantRuleTemplateRow = typeof tenantRuleTemplates.$inferSelect;
