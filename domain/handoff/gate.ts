import { parseInstant } from "../time";
import type { GateFailure } from "../events/handoff-events";
import type { Address, LineItem } from "../events/canonical";
import { parseDuration } from "../ownership/duration";
import type { OwnershipRules } from "../ownership/schema";
import type { HandoffExport } from "./document";
import { exportBody, exportSchemaIssues, type ExistingExport, type Plan } from "./plan";

/**
 * The QA gate: the last look at a decision before it may leave. Pure and
 * deterministic (the document, the rules, the order's other exports, `now`),
 * so a what-if replay runs the very same checks the order object ran.
 * A document that fails is never sent: the order object stores it as
 * `blocked` and holds the order with an `export_blocked` task listing every
 * failure (domain/handoff/decide.ts).
 */

export interface GateInput {
  doc: HandoffExport;
  rules: OwnershipRules;
  /** The order's exports as they stand before this decision. */
  existing: readonly ExistingExport[];
  /** The export this decision retracts in the same commit (not a conflict: it is being taken back). */
  replaces: string | null;
  now: number;
  /**
   * The tenant's contact and rotation ids, when the caller knows them; null: names
   * are only checked for presence (they were checked against the directory when the rules were stored).
   */
  directory: ReadonlySet<string> | null;
}

/** Statuses in which a consumer holds, or is about to hold, a decision. */
const LIVE = new Set(["pending", "delivered", "acked", "awaiting_cancellation", "not_cancelled"]);

/**
 * An override's justification waives what a person can vouch for (an address
 * sent by other means, an owner being set up); never a document that breaks its
 * own schema, nor a second live decision for the same step.
 */
const NEVER_WAIVED: ReadonlySet<GateFailure["code"]> = new Set(["schema_invalid", "conflicting_live_export"]);

export function waivable(f: GateFailure): boolean {
  return !NEVER_WAIVED.has(f.code);
}

/**
 * Physical goods need somewhere to go. A line ships unless it says
 * `requires_shipping: false` (Shopify's flag for gift cards and downloads); a
 * sender that does not say is assumed to ship, so a missing address is caught
 * rather than a parcel going nowhere. An order is physical if any line ships.
 */
export function isPhysical(lines: readonly LineItem[]): boolean {
  return lines.some((l) => l.requires_shipping !== false);
}

/** An address a carrier can use: a street line and a country, at the least. */
export function usableAddress(a: Address | null): boolean {
  return a !== null && (a.address1 ?? "").trim() !== "" && (a.country_code ?? "").trim() !== "";
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function instant(v: string | null): number | null {
  if (v === null || !INSTANT.test(v)) return null;
  const ms = parseInstant(v);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * "Owner and contact known": the owner is the step's in the rules the decision names, and
 * every name (owner, exception contact, watchers) is a contact or rotation of the directory
 * the order object holds, when the tenant has one.
 */
export function nameChecks(doc: HandoffExport, rules: OwnershipRules, directory: ReadonlySet<string> | null): GateFailure[] {
  const out: GateFailure[] = [];
  const fail = (code: GateFailure["code"], field: string, message: string): void => {
    out.push({ code, field, message });
  };
  // The step named on the document, including the optional `backorder` step.
  const stepRule = Object.entries(rules.steps).find(([step]) => step === doc.step)?.[1];
  const known = (name: string): boolean => name.trim() !== "" && (directory === null || directory.has(name));
  if (!stepRule) fail("owner_unknown", "step", `the rules have no step '${doc.step}' to own this decision`);
  if (!known(doc.owner)) {
    fail("owner_unknown", "owner", doc.owner.trim() === "" ? "no owner is named" : `owner '${doc.owner}' is neither a contact nor a rotation`);
  }
  if (stepRule && stepRule.owner !== doc.owner) fail("owner_unknown", "owner", `owner '${doc.owner}' is not the owner of step ${doc.step} ('${stepRule.owner}') in rules version ${doc.decision_version}`);
  if (doc.exception_path !== null && !known(doc.exception_path.contact_id)) {
    fail("contact_unknown", "exception_path.contact_id", `exception contact '${doc.exception_path.contact_id}' is neither a contact nor a rotation`);
  }
  for (const [i, w] of doc.watchers.entries()) {
    if (!known(w)) fail("contact_unknown", `watchers.${i}`, `watcher '${w}' is neither a contact nor a rotation`);
  }
  return out;
}

const NAME_CODES: ReadonlySet<GateFailure["code"]> = new Set(["owner_unknown", "contact_unknown"]);

/**
 * Blocked versions to decide again although nothing else changed: those whose hold lists
 * a name check that the directory now passes (a contact added back). The planner otherwise
 * keeps one blocked version per unchanged decision; without this, re-adding the contact
 * would fix nothing until an unrelated fact changed the decision.
 */
export function unblockedByDirectory(
  holds: readonly { reason: string; event_id: string; checks?: readonly GateFailure[] }[],
  existing: readonly ExistingExport[],
  rules: OwnershipRules,
  directory: ReadonlySet<string> | null,
): Set<string> {
  const out = new Set<string>();
  for (const e of existing) {
    if (e.status !== "blocked") continue;
    const hold = holds.find((h) => h.reason === "export_blocked" && h.event_id === `handoff:export_blocked:${e.export.export_id}`);
    const recorded = (hold?.checks ?? []).filter((f) => NAME_CODES.has(f.code));
    if (recorded.length === 0) continue;
    const now = nameChecks(e.export, rules, directory);
    if (recorded.some((r) => !now.some((n) => n.code === r.code && n.field === r.field && n.message === r.message))) out.add(e.export.export_id);
  }
  return out;
}

export function gateChecks(input: GateInput): GateFailure[] {
  const { doc, rules, now } = input;
  const out: GateFailure[] = [];
  const fail = (code: GateFailure["code"], field: string, message: string): void => {
    out.push({ code, field, message });
  };

  // The schema the consumer is promised, on the bytes it would get (a JSON round trip drops undefined, keeps null).
  for (const issue of exportSchemaIssues(exportBody(doc), doc)) fail("schema_invalid", issue.path.join(".") || "(document)", issue.message);

  out.push(...nameChecks(doc, rules, input.directory));
  const stepRule = Object.entries(rules.steps).find(([step]) => step === doc.step)?.[1];
  // Every handed-off action can fail (the consumer can refuse it): its failure needs a path to a person.
  if (doc.exception_path === null) {
    fail("exception_path_missing", "exception_path", `a ${doc.intended_action} can fail at the consumer; steps.${doc.step}.exception_path must say where its exceptions go`);
  }

  if (stepRule && parseDuration(stepRule.sla) === null) fail("sla_invalid", `steps.${doc.step}.sla`, `'${stepRule.sla}' is not an ISO-8601 duration`);
  for (const [field, value] of [["sla.due_at", doc.sla.due_at], ["sla.ship_by", doc.sla.ship_by]] as const) {
    const at = instant(value);
    if (at === null) fail("sla_invalid", field, value === null ? "no deadline is set" : `'${value}' is not an ISO-8601 instant`);
    else if (at <= now) fail("sla_past", field, `${value} is already past at the decision (${new Date(now).toISOString()})`);
  }

  const lines = doc.order.line_items;
  if (!lines.some((l) => l.quantity > 0)) fail("line_items_missing", "order.line_items", "the order has no line item with a quantity to act on");
  if (isPhysical(lines) && !usableAddress(doc.order.shipping_address)) {
    fail(
      "shipping_address_missing",
      "order.shipping_address",
      doc.order.shipping_address === null
        ? "physical goods (a line without requires_shipping: false) but no shipping address"
        : "the shipping address has no street line (address1) or no country_code",
    );
  }

  for (const e of input.existing) {
    const x = e.export;
    if (x.export_id === doc.export_id || x.export_id === input.replaces || x.intended_action !== doc.intended_action || x.step !== doc.step) continue;
    if (LIVE.has(e.status)) fail("conflicting_live_export", "supersedes", `${x.export_id} (${e.status}) is still live for step ${doc.step} and this decision does not replace it`);
  }
  return out;
}

/** One line per failure, for the hold's detail and the task title. */
export function describeFailures(fs: readonly GateFailure[]): string {
  return fs.map((f) => `${f.code} at ${f.field}: ${f.message}`).join("; ");
}

export interface GateResult {
  doc: HandoffExport;
  failures: GateFailure[];
}

/**
 * Runs the gate over a plan: what passes (or is waived by an override) stays
 * in it; a refused decision leaves it with everything tied to it (the version
 * it would retract, the routing fact it would add), so nothing acts as if it had been sent.
 */
export function gatePlan(
  plan: Plan,
  ctx: { rules: OwnershipRules; existing: readonly ExistingExport[]; now: number; directory: ReadonlySet<string> | null; override: boolean },
): { plan: Plan; blocked: GateResult[]; waived: GateResult[] } {
  const out: Plan = { issue: [], supersede: [...plan.supersede], facts: [...plan.facts], retire: [...plan.retire] };
  const blocked: GateResult[] = [];
  const waived: GateResult[] = [];
  const actionOf = new Map(ctx.existing.map((e) => [e.export.export_id, e.export.intended_action]));
  for (const doc of plan.issue) {
    const replaces = plan.supersede.find((id) => actionOf.get(id) === doc.intended_action) ?? null;
    const failures = gateChecks({ doc, rules: ctx.rules, existing: ctx.existing, replaces, now: ctx.now, directory: ctx.directory });
    if (failures.length === 0) {
      out.issue.push(doc);
    } else if (ctx.override && failures.every(waivable)) {
      out.issue.push(doc);
      waived.push({ doc, failures });
    } else {
      blocked.push({ doc, failures });
      out.supersede = out.supersede.filter((id) => id !== replaces);
      out.facts = out.facts.filter((f) => f.id !== `handoff:${doc.export_id}`);
    }
  }
  return { plan: out, blocked, waived };
}
