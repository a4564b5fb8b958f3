import { StoredOwnershipRules, type OwnershipRules } from "../../domain/ownership/schema";

/** The console's what-if form, checked as the API checks its body: dates (a bare day is midnight UTC) and rules, if any. */
export function whatIfForm(form: { from: string; to: string; rules: string }): { ok: true; value: { from: string; to: string; rules: OwnershipRules | null } } | { ok: false; error: string } {
  const day = (s: string): number => Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s.trim()) ? `${s.trim()}T00:00:00Z` : s.trim());
  const from = day(form.from);
  const to = day(form.to);
  if (Number.isNaN(from) || Number.isNaN(to)) return { ok: false, error: "Enter both dates as YYYY-MM-DD or an ISO datetime with Z or an offset." };
  if (from >= to) return { ok: false, error: "'from' must be before 'to'." };
  let rules: OwnershipRules | null = null;
  if (form.rules.trim() !== "") {
    let json: unknown;
    try {
      json = JSON.parse(form.rules);
    } catch {
      return { ok: false, error: "The proposed rules are not valid JSON." };
    }
    const parsed = StoredOwnershipRules.safeParse(json);
    if (!parsed.success) return { ok: false, error: `The proposed rules fail validation: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` };
    rules = parsed.data;
  }
  return { ok: true, value: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), rules } };
}
