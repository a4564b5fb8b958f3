import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exportId, HandoffExport } from "../../../domain/handoff/document";
import { gateChecks, gatePlan, isPhysical, unblockedByDirectory, usableAddress, waivable, type GateInput } from "../../../domain/handoff/gate";
import type { ExistingExport } from "../../../domain/handoff/plan";
import { money } from "../../helpers/events";
import { exampleRules } from "../../helpers/ownership";

// The QA gate alone: one document, the rules, the order's other exports, now.

const O = "o-3001";
const NOW = Date.parse("2026-03-05T10:00:00.000Z");
const at = (ms: number) => new Date(NOW + ms).toISOString();
const RULES = exampleRules();
const ADDRESS = { name: "Ada Lovelace", address1: "1 Loop Rd", city: "Lyon", zip: "69001", country_code: "FR" };

function doc(over: Partial<HandoffExport> = {}): HandoffExport {
  const routing = RULES.steps.routing;
  return HandoffExport.parse({
    export_id: exportId("fulfil_order", 1, O),
    version: 1,
    supersedes: null,
    tenant: "acme",
    order_id: O,
    step: "routing",
    owning_party: routing.owning_party,
    owner: routing.owner,
    decision_version: 1,
    intended_action: "fulfil_order",
    order: { total: money(5000), line_items: [{ sku: "TEE-M", quantity: 1, unit_price_minor: 5000 }], shipping_address: ADDRESS, location: null },
    sla: { due_at: at(60_000), ship_by: at(120_000) },
    exception_path: routing.exception_path ?? null,
    watchers: [],
    expires_at: at(86_400_000),
    valid_until: null,
    issued_at: at(0),
    justification: null,
    audit_trail: [],
    ...over,
  });
}

function input(d: HandoffExport, over: Partial<GateInput> = {}): GateInput {
  return { doc: d, rules: RULES, existing: [], replaces: null, now: NOW, directory: null, ...over };
}

const codes = (i: GateInput) => gateChecks(i).map((f) => `${f.code}@${f.field}`);

describe("the QA gate, check by check", () => {
  it("passes a complete decision", () => {
    expect(gateChecks(input(doc()))).toEqual([]);
  });

  it("schema: a field the JSON Schema refuses is named by its path", () => {
    const broken = { ...doc(), version: 0 };
    expect(codes(input(broken))).toEqual(["schema_invalid@version"]);
  });

  it("owner: empty, not the step's owner, or unknown to the tenant's directory", () => {
    expect(codes(input(doc({ owner: " " })))).toEqual(["owner_unknown@owner", "owner_unknown@owner"]);
    expect(codes(input(doc({ owner: "someone@else.example" })))).toEqual(["owner_unknown@owner"]);
    const directory = new Set([RULES.steps.routing.owner]);
    expect(codes(input(doc(), { directory }))).toEqual(["contact_unknown@exception_path.contact_id"]);
    expect(codes(input(doc({ watchers: ["ghost"] }), { directory: new Set([RULES.steps.routing.owner, RULES.steps.routing.exception_path?.contact_id ?? ""]) }))).toEqual([
      "contact_unknown@watchers.0",
    ]);
  });

  it("a version blocked on a name is decided again once the directory the object holds knows it, not before", () => {
    const ghost = doc({ watchers: ["ghost"] });
    const known = new Set([RULES.steps.routing.owner, RULES.steps.routing.exception_path?.contact_id ?? ""]);
    const checks = gateChecks(input(ghost, { directory: known }));
    const holds = [{ reason: "export_blocked", event_id: `handoff:export_blocked:${ghost.export_id}`, checks }];
    const existing: ExistingExport[] = [{ export: ghost, status: "blocked" }];
    expect(unblockedByDirectory(holds, existing, RULES, known)).toEqual(new Set());
    expect(unblockedByDirectory(holds, existing, RULES, new Set([...known, "ghost"]))).toEqual(new Set([ghost.export_id]));
    // No directory (free-text names): every name passes, so it is decided again too.
    expect(unblockedByDirectory(holds, existing, RULES, null)).toEqual(new Set([ghost.export_id]));
    // A block on something else (the address) is not the directory's to lift.
    const noAddress = [{ reason: "export_blocked", event_id: `handoff:export_blocked:${ghost.export_id}`, checks: [{ code: "shipping_address_missing" as const, field: "order.shipping_address", message: "no address" }] }];
    expect(unblockedByDirectory(noAddress, existing, RULES, new Set([...known, "ghost"]))).toEqual(new Set());
  });

  it("exception path: an action handed to a consumer can fail, so it needs one", () => {
    expect(gateChecks(input(doc({ exception_path: null })))).toEqual([
      { code: "exception_path_missing", field: "exception_path", message: expect.stringContaining("steps.routing.exception_path") },
    ]);
  });

  it("SLA: due_at and ship_by must be instants after the decision", () => {
    expect(codes(input(doc({ sla: { due_at: "tomorrow", ship_by: null } })))).toEqual(["sla_invalid@sla.due_at", "sla_invalid@sla.ship_by"]);
    expect(codes(input(doc({ sla: { due_at: at(0), ship_by: at(-1) } })))).toEqual(["sla_past@sla.due_at", "sla_past@sla.ship_by"]);
  });

  it("line items: at least one with a quantity", () => {
    expect(codes(input(doc({ order: { ...doc().order, line_items: [] } })))).toContain("line_items_missing@order.line_items");
    expect(codes(input(doc({ order: { ...doc().order, line_items: [{ sku: "A", quantity: 0 }] } })))).toContain("line_items_missing@order.line_items");
  });

  it("shipping address: required for physical goods, not for goods nothing ships", () => {
    const noAddress = { ...doc().order, shipping_address: null };
    expect(codes(input(doc({ order: noAddress })))).toEqual(["shipping_address_missing@order.shipping_address"]);
    const digital = { ...noAddress, line_items: [{ sku: "GIFT-25", quantity: 1, requires_shipping: false }] };
    expect(codes(input(doc({ order: digital })))).toEqual([]);
    // One shipping line among digital ones makes the order physical.
    const mixed = { ...noAddress, line_items: [...digital.line_items, { sku: "TEE", quantity: 1, requires_shipping: true }] };
    expect(codes(input(doc({ order: mixed })))).toEqual(["shipping_address_missing@order.shipping_address"]);
    const noStreet = { ...doc().order, shipping_address: { name: "Ada", country_code: "FR" } };
    expect(gateChecks(input(doc({ order: noStreet })))[0]?.message).toContain("address1");
  });

  it("conflict: another live export of the same action and step that this decision does not replace", () => {
    const v1 = doc();
    const v2 = doc({ export_id: exportId("fulfil_order", 2, O), version: 2, supersedes: v1.export_id });
    const live: ExistingExport[] = [{ export: v1, status: "delivered" }];
    expect(codes(input(v2, { existing: live }))).toEqual(["conflicting_live_export@supersedes"]);
    expect(codes(input(v2, { existing: live, replaces: v1.export_id }))).toEqual([]);
    expect(codes(input(v2, { existing: [{ export: v1, status: "cancelled" }] }))).toEqual([]);
    // A split's backorder shares the routing step but is the other half of the decision, not a rival.
    const backorder = doc({ export_id: exportId("backorder_order", 1, O), intended_action: "backorder_order" });
    expect(codes(input(backorder, { existing: live }))).toEqual([]);
  });
});

describe("the physical-goods rule", () => {
  it("is physical exactly when some line does not say requires_shipping: false", () => {
    const line = fc.record({ sku: fc.string({ minLength: 1, maxLength: 8 }), quantity: fc.integer({ min: 1, max: 5 }), requires_shipping: fc.option(fc.boolean(), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        const clean = lines.map(({ requires_shipping, ...l }) => (requires_shipping === undefined ? l : { ...l, requires_shipping }));
        expect(isPhysical(clean)).toBe(clean.some((l) => !("requires_shipping" in l) || l.requires_shipping === true));
      }),
    );
  });

  it("an address needs a street line and a country", () => {
    expect(usableAddress(ADDRESS)).toBe(true);
    expect(usableAddress(null)).toBe(false);
    expect(usableAddress({ address1: "  ", country_code: "FR" })).toBe(false);
    expect(usableAddress({ address1: "1 Loop Rd" })).toBe(false);
  });
});

describe("the gate over a plan", () => {
  it("is deterministic and reports every failure of a document at once", () => {
    const bad = doc({ exception_path: null, order: { ...doc().order, line_items: [], shipping_address: null }, sla: { due_at: at(-5), ship_by: null } });
    const first = gateChecks(input(bad));
    // No line at all is nothing to ship either: the missing items are the failure, not the address.
    expect(first.map((f) => f.code)).toEqual(["exception_path_missing", "sla_past", "sla_invalid", "line_items_missing"]);
    expect(gateChecks(input(bad))).toEqual(first);
  });

  it("a refused decision leaves the plan with the version it would retract and the fact it would add", () => {
    const v1 = doc();
    const v2 = doc({ export_id: exportId("fulfil_order", 2, O), version: 2, supersedes: v1.export_id, order: { ...v1.order, shipping_address: null } });
    const plan = { issue: [v2], supersede: [v1.export_id], facts: [{ id: `handoff:${v2.export_id}`, type: "fulfillment.requested", order_id: O, occurred_at: at(0), source: "handoff", data: { fulfillment_id: v2.export_id } } as const] };
    const ctx = { rules: RULES, existing: [{ export: v1, status: "delivered" as const }], now: NOW, directory: null };
    const gated = gatePlan(plan, { ...ctx, override: false });
    expect(gated.plan).toEqual({ issue: [], supersede: [], facts: [] });
    expect(gated.blocked.map((b) => b.failures.map((f) => f.code))).toEqual([["shipping_address_missing"]]);
    // An override waives what a person can vouch for: the decision goes, retracting v1.
    const overridden = gatePlan(plan, { ...ctx, override: true });
    expect(overridden.plan).toEqual(plan);
    expect(overridden.waived).toHaveLength(1);
  });

  it("never waives a broken schema or a second live decision", () => {
    expect(waivable({ code: "schema_invalid", field: "version", message: "" })).toBe(false);
    expect(waivable({ code: "conflicting_live_export", field: "supersedes", message: "" })).toBe(false);
    expect(waivable({ code: "shipping_address_missing", field: "order.shipping_address", message: "" })).toBe(true);
  });
});
