import { z } from "zod";
import { OwnershipRules } from "./schema";

/**
 * Ownership-rule templates (issue 15): an agency writes one rule set, each
 * merchant inherits it with its own overrides. The overrides are a JSON Merge
 * Patch (RFC 7396) on the rules document: an object merges key by key, `null`
 * removes a key, anything else replaces it. The rules hold no arrays (the one
 * place merge patch is clumsy), so every field can be overridden on its own:
 * `{"steps":{"payment":{"owner":"cfo@shop.example"}}}` changes one owner,
 * `{"steps":{"shipping":{"consumer":null}}}` stops one handoff. The result,
 * not the patch, is validated, with the very schema a tenant's PUT uses.
 */

export const TemplateOverrides = z.record(z.string(), z.unknown()).meta({
  id: "RuleTemplateOverrides",
  description:
    "A JSON Merge Patch (RFC 7396) applied to the template's rules: objects merge key by key, null removes a key, any other value replaces it. " +
    "Empty ({}) inherits the template as is. The merged rules must be valid ownership rules.",
  example: { steps: { payment: { owner: "finance@shop-one.example" }, shipping: { sla: "P2D" } } },
});
export type TemplateOverrides = z.infer<typeof TemplateOverrides>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** RFC 7396 section 2, MergePatch(Target, Patch). Inputs are never mutated. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

export interface RulesIssue {
  path: string;
  message: string;
}

export type Effective = { ok: true; rules: OwnershipRules } | { ok: false; issues: RulesIssue[] };

/** template ⊕ overrides, validated as a tenant's rules are (defaults filled in). */
export function effectiveRules(template: OwnershipRules, overrides: TemplateOverrides): Effective {
  const parsed = OwnershipRules.safeParse(mergePatch(template, overrides));
  if (parsed.success) return { ok: true, rules: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) };
}

type Leaf = string | number | boolean | null;

export interface RulesChange {
  /** Dotted path of the field, e.g. `steps.payment.owner`. */
  path: string;
  /** Absent (null) when the field is added. */
  from: Leaf;
  /** Absent (null) when the field is removed. */
  to: Leaf;
}

export const RulesChangeSchema = z
  .object({
    path: z.string().meta({ example: "steps.payment.owner" }),
    from: z.union([z.string(), z.number(), z.boolean(), z.null()]),
    to: z.union([z.string(), z.number(), z.boolean(), z.null()]),
  })
  .meta({ id: "RulesChange", description: "One field that differs; null stands for absent. Consumer secrets appear as keyed fingerprints." });

function leaves(v: unknown, prefix: string, out: Map<string, Leaf>): void {
  if (isObject(v)) {
    for (const [k, child] of Object.entries(v)) leaves(child, prefix === "" ? k : `${prefix}.${k}`, out);
  } else if (v !== undefined) {
    // The rules hold only objects and scalars; anything else is shown as its JSON text.
    out.set(prefix, typeof v === "string" || typeof v === "number" || typeof v === "boolean" || v === null ? v : JSON.stringify(v));
  }
}

/** Field-level differences between two rule documents, in path order. */
export function rulesDiff(before: unknown, after: unknown): RulesChange[] {
  const a = new Map<string, Leaf>();
  const b = new Map<string, Leaf>();
  leaves(before, "", a);
  leaves(after, "", b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: RulesChange[] = [];
  for (const path of paths) {
    const from = a.get(path) ?? null;
    const to = b.get(path) ?? null;
    if (from !== to) out.push({ path, from, to });
  }
  return out;
}

/** The steps a diff touches (`steps.<step>.…`), in order of first appearance; `policy` when the policy changes. */
export function changedSections(changes: RulesChange[]): string[] {
  const seen = new Set<string>();
  for (const c of changes) {
    const [head, step] = c.path.split(".");
    seen.add(head === "steps" && step !== undefined ? step : (head ?? c.path));
  }
  return [...seen];
}
