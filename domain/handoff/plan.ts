import type { ClockStep, OwnershipRules, Step } from "../ownership/schema";
import { clockRule, durationMs, retryPolicyMs, stepSlaMs } from "../ownership/schema";
import { ACTION_STEP, exportId, HandoffExport, type ExportStatus, type IntendedAction } from "./document";
import { canonicalJson, epochMs } from "../order/facts";
import type { MachineEvent } from "../events/handoff-events";
import { TERMINAL_STATES, type OrderView } from "../order/view";
import { iso } from "../time";
import { exactCheck } from "../zod-exact";
import { isWithdrawn } from "./cancellation";
import type { Allocation } from "../inventory/allocate";

/**
 * Pure planning beside the machine: given the derived view and the tenant's
 * ownership rules, which handoffs should exist and which SLA clocks are
 * running. The object persists and performs what this returns.
 */

export interface RulesInput {
  version: number;
  rules: OwnershipRules;
}

export interface ExistingExport {
  export: HandoffExport;
  status: ExportStatus;
}

/** The object's export rows as the planner reads them: the document sent and where it stands. */
export function existingExports(rows: readonly { body: string; status: string }[]): ExistingExport[] {
  return rows.map((r) => ({ export: parsedExport(r.body), status: r.status as ExportStatus }));
}

/**
 * A body is immutable once issued and every decision re-reads all of an order's exports: parse each text once.
 * Bounded, so an isolate serving many orders (or a what-if replaying a month) does not grow without end.
 */
const PARSED = new Map<string, HandoffExport>();
const PARSED_MAX = 2048;

/** True only for a JSON value HandoffExport accepts and returns unchanged: zod is asked only when it says no. */
const isExactExport = exactCheck(HandoffExport);

export function parsedExport(body: string): HandoffExport {
  const hit = PARSED.get(body);
  if (hit) return hit;
  const value: unknown = JSON.parse(body);
  return remember(body, isExactExport(value) ? value : HandoffExport.parse(value));
}

/**
 * A planned document's JSON text, written once: the QA gate checks these bytes and the
 * object stores them (decide.ts), and a plan's documents are not edited in between.
 */
const BODIES = new WeakMap<HandoffExport, string>();

export function exportBody(doc: HandoffExport): string {
  let body = BODIES.get(doc);
  if (body === undefined) {
    body = JSON.stringify(doc);
    BODIES.set(doc, body);
  }
  return body;
}

/**
 * The schema's complaints about a document's JSON text (the QA gate's first
 * check, domain/handoff/gate.ts); none, and the text is the body about to be
 * stored: its parse is kept, so no reader parses it again.
 */
export function exportSchemaIssues(body: string, planned?: HandoffExport): readonly { path: readonly PropertyKey[]; message: string }[] {
  if (PARSED.has(body)) return [];
  const value: unknown = JSON.parse(body);
  // The schema's own verdict, only sooner: a value it would return unchanged needs no parse (domain/zod-exact.ts).
  if (isExactExport(value)) {
    const doc = remember(body, value);
    // The stored document is `planned`'s JSON round trip, unchanged by the schema: of plain JSON data (facts
    // are parsed from JSON) the canonical text is the same, so its decision key is the one the planner built.
    const key = planned === undefined ? undefined : PLANNED_KEYS.get(planned);
    if (key !== undefined) KEYS.set(doc, key);
    return [];
  }
  const parsed = HandoffExport.safeParse(value);
  if (!parsed.success) return parsed.error.issues;
  remember(body, parsed.data);
  return [];
}

function remember(body: string, doc: HandoffExport): HandoffExport {
  // Shared between callers: frozen, so a caller that tried to edit one would fail loudly instead of corrupting the next.
  const frozen = deepFreeze(doc);
  if (PARSED.size >= PARSED_MAX) PARSED.clear();
  PARSED.set(body, frozen);
  return frozen;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null) {
    // Plain JSON data (parsed, or zod's output): its own keys, without an array of their values per object.
    if (Array.isArray(v)) for (const x of v) deepFreeze(x);
    else for (const k in v) if (Object.hasOwn(v, k)) deepFreeze(v[k]);
    Object.freeze(v);
  }
  return v;
}

/**
 * A card authorization lapses after ~7 days (Visa merchant-initiated: 4 d 18 h).
 * Escalating an uncaptured one after 3 days leaves people a working day and more.
 */
export const AUTH_CAPTURE_GUARD_MS = 3 * 24 * 3600_000;

/** Issued exports are frozen and shared (parsedExport): each one's key is computed once, not per decision. */
const KEYS = new WeakMap<object, string>();
/** A planned document's decision key, as the planner computed it (candidateKey) from the parts the document carries. */
const PLANNED_KEYS = new WeakMap<HandoffExport, string>();

function decisionKey(e: Pick<HandoffExport, "intended_action" | "order">): string {
  const hit = KEYS.get(e);
  if (hit !== undefined) return hit;
  const key = canonicalJson({ action: e.intended_action, order: e.order });
  if (Object.isFrozen(e)) KEYS.set(e, key);
  return key;
}

/**
 * A candidate decision's key, remembered per action by the identity of its parts: one order's
 * successive decisions see the same field objects (facts are never edited; the view keeps a field
 * to the fact that set it), so the canonical text is built once per change, not once per decision.
 */
const lastCandidate = new Map<IntendedAction, { order: HandoffExport["order"]; key: string }>();

function candidateKey(action: IntendedAction, order: HandoffExport["order"]): string {
  const hit = lastCandidate.get(action);
  if (hit && hit.order.total === order.total && hit.order.line_items === order.line_items && hit.order.shipping_address === order.shipping_address && hit.order.location === order.location) {
    return hit.key;
  }
  const key = decisionKey({ intended_action: action, order });
  lastCandidate.set(action, { order, key });
  return key;
}

/** The rule an action is handed off under: a backorder has its own step when the tenant set one, else routing's. */
export function actionRule(rules: OwnershipRules, action: IntendedAction): { step: string; rule: OwnershipRules["steps"][Step] } {
  if (action === "backorder_order" && rules.steps.backorder) return { step: "backorder", rule: rules.steps.backorder };
  const step = ACTION_STEP[action];
  return { step, rule: rules.steps[step] };
}

/** Whether routing is due (paid per `fulfil_on`, not settled, a consumer to route to): the moment stock is reserved. */
export function wantsRouting(view: OrderView, rules: OwnershipRules): boolean {
  return wants(view, rules, "fulfil_order", null);
}

function wants(view: OrderView, rules: OwnershipRules, action: IntendedAction, allocation: Allocation | null): boolean {
  // A blocked export's hold does not stop deciding: a new fact or rules version is exactly what may fix it (gate.ts).
  if (TERMINAL_STATES.includes(view.state) || view.holds.some((h) => h.reason !== "export_blocked")) return false;
  const m = view.milestones;
  switch (action) {
    case "backorder_order":
      // Only once routing was decided against stock: the units it could not cover, while nothing has shipped.
      return allocation !== null && allocation.backordered.length > 0 && m.shipped_at === undefined && actionRule(rules, action).rule.consumer !== undefined;
    case "fulfil_order": {
      // Nothing in stock: no routing export (the order is backordered instead).
      if (allocation?.outcome === "none") return false;
      // Without the order itself there is nothing to route (payment can arrive first).
      if (m.created_at === undefined) return false;
      const paid = m.captured_at !== undefined || (rules.policy.fulfil_on === "authorized" && m.authorized_at !== undefined);
      // Once the warehouse has taken it, routing is settled: its answer is not a new decision.
      const settled = view.fulfillment.status === "accepted" || m.shipped_at !== undefined;
      return paid && !settled && rules.steps.routing.consumer !== undefined;
    }
    case "request_shipment":
      // Nor anything to ship: a shipment request without the order's items and address would only be
      // superseded (and, once the carrier holds it, cancelled) when the order arrives.
      if (m.created_at === undefined) return false;
      return view.fulfillment.status === "accepted" && m.shipped_at === undefined && rules.steps.shipping.consumer !== undefined;
  }
}

export interface Plan {
  issue: HandoffExport[];
  /** Older versions the new ones replace: withdrawn if never sent, else cancelled with the consumer (cancellation.ts). */
  supersede: string[];
  /** Facts the decisions add to the order (routing makes it `routed`). */
  facts: MachineEvent[];
  /** Live decisions nothing replaces, taken back (a backorder whose units all came in stock): withdrawn or cancelled like a superseded one. */
  retire: string[];
}

export function planExports(
  tenant: string,
  view: OrderView,
  facts: readonly MachineEvent[],
  rulesIn: RulesInput,
  existing: readonly ExistingExport[],
  now: number,
  /** A person's override: carried on every decision issued by this plan. */
  justification: string | null = null,
  /** The stock decision taken when the order became routable (domain/inventory/allocate.ts); null: untracked, route everything. */
  allocation: Allocation | null = null,
  /** Blocked versions to decide again though unchanged: the directory now knows a name they failed on (gate.ts unblockedByDirectory). */
  reopened: ReadonlySet<string> = new Set(),
): Plan {
  const { rules, version } = rulesIn;
  const plan: Plan = { issue: [], supersede: [], facts: [], retire: [] };
  // Built once, and only for a plan that issues something: most decisions issue nothing.
  let trail: HandoffExport["audit_trail"] | null = null;
  const auditTrail = (): HandoffExport["audit_trail"] =>
    (trail ??= facts.filter((f) => f.source !== "handoff").map((f) => ({ event_id: f.id, type: f.type, source: f.source, occurred_at: f.occurred_at })));
  const retry = retryPolicyMs(rules);

  for (const action of ["fulfil_order", "request_shipment", "backorder_order"] as const) {
    if (!wants(view, rules, action, allocation)) continue;
    const { step, rule } = actionRule(rules, action);
    const order: HandoffExport["order"] = {
      total: view.fields.total ?? null,
      line_items: linesFor(action, view, allocation),
      shipping_address: view.fields.shipping_address ?? null,
      // Where it ships from is the warehouse's answer to routing, and the carrier's input.
      location: action === "request_shipment" ? view.fulfillment.location : null,
    };
    const mine = existing.filter((e) => e.export.intended_action === action).sort((a, b) => a.export.version - b.export.version);
    // Withdrawn and cancelled versions do not count as "already decided": a replay withdraws the failed one to issue it again.
    const live = mine.filter((e) => !isWithdrawn(e.status)).at(-1);
    const latest = mine.at(-1);
    const key = candidateKey(action, order);
    // The gate refused this very decision under these rules: nothing changed, so it stays blocked (no new version per event).
    if (
      latest?.status === "blocked" &&
      latest.export.decision_version === version &&
      latest.export.justification === justification &&
      decisionKey(latest.export) === key &&
      !reopened.has(latest.export.export_id)
    ) {
      continue;
    }
    // Past its TTL and never acknowledged, the live version is decided again: a new version even if nothing changed.
    if (live && decisionKey(live.export) === key && !isStale(live, now)) continue;
    // The consumer kept a version we asked it to drop: nothing new goes out until a person decides (replay asks again).
    if (live?.status === "not_cancelled") continue;

    const dueAt =
      action === "fulfil_order"
        ? now + stepSlaMs(rules, "fulfillment")
        : action === "backorder_order"
          ? now + durationMs(rule.sla, "steps.backorder.sla")
          : now + stepSlaMs(rules, "shipping");
    const shipBy = action === "request_shipment" ? dueAt : dueAt + stepSlaMs(rules, "shipping");
    const v = (latest?.export.version ?? 0) + 1;
    const id = exportId(action, v, view.order_id);
    const doc: HandoffExport = {
      export_id: id,
      version: v,
      supersedes: latest?.export.export_id ?? null,
      tenant,
      order_id: view.order_id,
      step,
      owning_party: rule.owning_party,
      owner: rule.owner,
      decision_version: version,
      intended_action: action,
      order,
      sla: { due_at: iso(dueAt), ship_by: iso(shipBy) },
      exception_path: rule.exception_path ?? null,
      watchers: rule.watchers ?? [],
      // A decision we stopped trying to deliver must not be acted on later.
      expires_at: iso(now + retry.max_age),
      valid_until: rule.valid_for === undefined ? null : iso(now + durationMs(rule.valid_for, `steps.${step}.valid_for`)),
      issued_at: iso(now),
      justification,
      audit_trail: auditTrail(),
    };
    PLANNED_KEYS.set(doc, key);
    plan.issue.push(doc);
    if (live) plan.supersede.push(live.export.export_id);
    if (action === "fulfil_order") {
      plan.facts.push({
        id: `handoff:${id}`,
        type: "fulfillment.requested",
        order_id: view.order_id,
        occurred_at: iso(now),
        source: "handoff",
        data: { fulfillment_id: id },
      });
    }
  }
  // Every backordered unit came in stock (a restock filled it): the backorder decision is taken back, never silently dropped.
  if (allocation !== null && allocation.fills.length > 0 && allocation.backordered.length === 0) {
    for (const e of existing) if (e.export.intended_action === "backorder_order" && !isWithdrawn(e.status)) plan.retire.push(e.export.export_id);
  }
  // Nothing could be promised: the order is backordered (its backorder export owns the rest).
  if (allocation?.outcome === "none" && view.fulfillment.status === "none" && !TERMINAL_STATES.includes(view.state)) {
    plan.facts.push({
      id: `handoff:backordered:${view.order_id}`,
      type: "fulfillment.rejected",
      order_id: view.order_id,
      occurred_at: iso(now),
      source: "handoff",
      data: { code: "out_of_stock", reason: "no stock to reserve" },
    });
  }
  return plan;
}

/**
 * A decision past its `valid_until` that its consumer has not acknowledged:
 * it must not be delivered, and the planner decides it again. Acknowledged or
 * already being taken back, it is settled either way.
 */
export function isStale(e: ExistingExport, now: number): boolean {
  const until = e.export.valid_until;
  if (until === null) return false;
  return (e.status === "pending" || e.status === "delivered" || e.status === "awaiting_cancellation") && epochMs(until) <= now;
}

/** The routing export carries the reserved units; the backorder export the rest; shipping the whole order. */
function linesFor(action: IntendedAction, view: OrderView, allocation: Allocation | null): HandoffExport["order"]["line_items"] {
  const all = view.fields.line_items ?? [];
  if (allocation === null || allocation.outcome === "untracked") return all;
  if (action === "fulfil_order") return allocation.routed;
  if (action === "backorder_order") return allocation.backordered;
  return all;
}

export interface Deadline {
  step: ClockStep;
  /** The milestone the clock runs from. */
  since: string;
  since_at: string;
  due_at: number;
  /** Who is on the hook at each escalation level: owner, then backup, then on-call. */
  ladder: [string, string, string];
  owning_party: string;
  interval_ms: number;
}

/**
 * Running SLA clocks: one per step whose starting milestone happened and whose
 * finishing one has not. Terminal orders run none.
 */
export function slaDeadlines(view: OrderView, rulesIn: RulesInput, exports: readonly ExistingExport[], allocation: Allocation | null = null): Deadline[] {
  if (TERMINAL_STATES.includes(view.state)) return [];
  const { rules } = rulesIn;
  const m = view.milestones;
  const out: Deadline[] = [];
  const clock = (step: ClockStep, since: string, sinceAt: string | undefined, cap?: number): void => {
    if (sinceAt === undefined) return;
    const rule = clockRule(rules, step);
    const interval = stepSlaMs(rules, step);
    const due = Math.min(epochMs(sinceAt) + interval, cap ?? Number.POSITIVE_INFINITY);
    out.push({ step, since, since_at: sinceAt, due_at: due, ladder: [rule.owner, rule.backup, rule.on_call], owning_party: rule.owning_party, interval_ms: interval });
  };
  const routingAcked = exports.some((e) => e.export.intended_action === "fulfil_order" && e.status === "acked");
  const progressed = m.accepted_at !== undefined || m.shipped_at !== undefined;

  if (m.captured_at === undefined) {
    const authCap = m.authorized_at === undefined ? undefined : epochMs(m.authorized_at) + AUTH_CAPTURE_GUARD_MS;
    clock("payment", m.created_at !== undefined ? "created_at" : "authorized_at", m.created_at ?? m.authorized_at, authCap);
  }
  const routeFrom = rules.policy.fulfil_on === "authorized" ? (m.authorized_at ?? m.captured_at) : m.captured_at;
  // Runs even when the order itself never arrived (Shopify gave up): a captured
  // payment with nothing to route must still breach and reach an owner.
  // Nothing could be routed and the whole order was handed to the backorder step: routing was decided, its clock stops.
  const wholeBackorder = exports.some((e) => e.export.intended_action === "backorder_order" && !isWithdrawn(e.status)) && !exports.some((e) => e.export.intended_action === "fulfil_order");
  // Routing re-decided because stock arrived (a restock fill): its clock runs from the arrival, not from the capture days ago.
  const restocked = allocation?.restocked_at ?? null;
  const [routeSince, routeAt] = restocked !== null && routeFrom !== undefined && restocked > routeFrom ? ["restocked_at", restocked] : ["captured_at", routeFrom];
  if (!routingAcked && !progressed && !wholeBackorder) clock("routing", routeSince, routeAt);
  if (!progressed) clock("fulfillment", "routed_at", m.routed_at);
  if (m.shipped_at === undefined) clock("shipping", "accepted_at", m.accepted_at);
  if (m.delivered_at === undefined) clock("delivery", "shipped_at", m.shipped_at);
  // The backorder step (issue 17): from the first backorder export while one is live and nothing has
  // shipped; a newer version (the rest changed) does not restart it. Owned by steps.backorder, else routing.
  const backorders = exports.filter((e) => e.export.intended_action === "backorder_order").sort((a, b) => a.export.version - b.export.version);
  if (m.shipped_at === undefined && backorders.some((e) => !isWithdrawn(e.status))) clock("backorder", "backorder_issued_at", backorders[0]?.export.issued_at);
  return out;
}
