import type { StepRule } from "../ownership/schema";

/** Who a task goes to when nobody configured anyone: only tenants created before `default_owner` existed and not yet given one. */
export const UNASSIGNED = "unassigned";

/**
 * The escalation ladder (owner, backup, on-call) for a step: the ownership
 * rule when the tenant has one, else the tenant's default owner on every rung,
 * so no task and no order is ever left without a named person.
 */
export function ownerLadder(rule: Pick<StepRule, "owner" | "backup" | "on_call" | "owning_party"> | undefined, defaultOwner: string | null): { ladder: [string, string, string]; owningParty: string } {
  if (rule) return { ladder: [rule.owner, rule.backup, rule.on_call], owningParty: rule.owning_party };
  const who = defaultOwner ?? UNASSIGNED;
  return { ladder: [who, who, who], owningParty: defaultOwner === null ? UNASSIGNED : "merchant" };
}
