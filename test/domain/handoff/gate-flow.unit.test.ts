import { describe, expect, it } from "vitest";
import { sendable } from "../../../domain/handoff/cancel";
import { applyEvents, decisionExpired } from "../../../domain/handoff/decide";
import { exportId, HandoffExport } from "../../../domain/handoff/document";
import type { RulesInput } from "../../../domain/handoff/plan";
import { resolve } from "../../../domain/tasks/decide";
import { OrderReplay } from "../../../domain/whatif/replay";
import type { MachineEvent } from "../../../domain/events/handoff-events";
import { OwnershipRules } from "../../../domain/ownership/schema";
import { ev, money } from "../../helpers/events";
import { exampleRules } from "../../helpers/ownership";

// The gate inside the order's decisions, over an in-memory copy of the object's
// tables (the what-if's OrderReplay): what is stored, held, opened and issued.

const O = "o-4001";
const T0 = Date.parse("2026-03-05T10:00:00.000Z");
const ADDRESS = { name: "Ada Lovelace", address1: "1 Loop Rd", city: "Lyon", zip: "69001", country_code: "FR" };
const V1 = exportId("fulfil_order", 1, O);
const V2 = exportId("fulfil_order", 2, O);

function order(rules: RulesInput = { version: 1, rules: exampleRules() }): OrderReplay {
  const r = new OrderReplay({ tenant: "acme", order_id: O }, () => rules);
  r.rules = rules;
  return r;
}

function feed(r: OrderReplay, at: number, events: MachineEvent[]): void {
  r.decide(at, (c) => applyEvents(c, r.state, events));
}

const rows = (r: OrderReplay) => r.tables.exportRows.map((x) => [x.export_id, x.status]);
const trail = (r: OrderReplay) => r.trail.map((e) => e.type);

/** A paid physical order that arrived without a shipping address. */
function blockedOrder(): OrderReplay {
  const r = order();
  feed(r, T0, [ev.created(O, T0, { total: money(5000), line_items: [{ sku: "TEE-M", quantity: 1, requires_shipping: true }] }), ev.captured(O, T0 + 1000, { amount: money(5000), payment_id: "pi_1" })]);
  return r;
}

describe("an export the gate refuses", () => {
  it("is stored blocked, never scheduled, and holds the order with a task listing each failed check", () => {
    const r = blockedOrder();
    expect(rows(r)).toEqual([[V1, "blocked"]]);
    expect(r.tables.timerRows.filter((t) => t.kind === "deliver")).toEqual([]);
    expect(r.state.view.state).toBe("on_hold");
    const [hold] = r.state.view.holds;
    expect(hold).toMatchObject({ reason: "export_blocked", event_id: `handoff:export_blocked:${V1}` });
    expect(hold?.checks).toEqual([{ code: "shipping_address_missing", field: "order.shipping_address", message: expect.stringContaining("no shipping address") }]);
    const [task] = r.tables.taskRows;
    expect(task).toMatchObject({ type: "export_blocked", status: "open", step: "routing", owner: "routing@agency.example" });
    expect(task?.title).toContain("shipping_address_missing at order.shipping_address");
    expect(trail(r)).toContain("export.blocked");
    expect(trail(r)).not.toContain("export.issued");
  });

  it("stays one blocked version while nothing it depends on changes", () => {
    const r = blockedOrder();
    feed(r, T0 + 2000, [ev.updated(O, T0 + 2000, { tags: ["vip"] })]);
    expect(rows(r)).toEqual([[V1, "blocked"]]);
    expect(r.tables.taskRows).toHaveLength(1);
  });

  it("a fact that fixes it (the address, after capture) issues a new version and releases the hold", () => {
    const r = blockedOrder();
    feed(r, T0 + 5000, [ev.updated(O, T0 + 5000, { shipping_address: ADDRESS })]);
    expect(rows(r)).toEqual([
      [V1, "blocked"],
      [V2, "pending"],
    ]);
    const v2 = HandoffExport.parse(JSON.parse(r.tables.exportRows[1]?.body ?? "{}"));
    expect(v2).toMatchObject({ supersedes: V1, justification: null, order: { shipping_address: ADDRESS } });
    expect(r.state.view.holds).toEqual([]);
    expect(r.state.view.state).toBe("routed");
    expect(r.tables.taskRows.map((t) => [t.type, t.status])).toEqual([["export_blocked", "cancelled"]]);
  });

  it("an override with a justification issues it as a new version, waiving the checks in the acting key's name", () => {
    const r = blockedOrder();
    const task = r.tables.taskRows[0];
    if (!task) throw new Error("no task");
    r.decide(T0 + 9000, (c) => {
      const out = resolve(c, r.state, task.task_id, { action: "override", by: "ops-lead-key", resolution: "address by phone", justification: "customer collects at the depot" }, applyEvents);
      return out.ok ? out.state : null;
    });
    expect(rows(r)).toEqual([
      [V1, "superseded"],
      [V2, "pending"],
    ]);
    expect(HandoffExport.parse(JSON.parse(r.tables.exportRows[1]?.body ?? "{}")).justification).toBe("customer collects at the depot");
    const waived = r.trail.find((e) => e.type === "export.gate_waived");
    expect(waived?.data).toMatchObject({ export_id: V2, by: "ops-lead-key", checks: [{ code: "shipping_address_missing" }] });
    expect(r.state.view.state).toBe("routed");
  });

  it("a replay without a fix decides again and is blocked again, as a new version with its own task", () => {
    const r = blockedOrder();
    const task = r.tables.taskRows[0];
    if (!task) throw new Error("no task");
    r.decide(T0 + 9000, (c) => {
      const out = resolve(c, r.state, task.task_id, { action: "replay", by: "ops-key", resolution: "retry", justification: "try again" }, applyEvents);
      return out.ok ? out.state : null;
    });
    expect(rows(r)).toEqual([
      [V1, "superseded"],
      [V2, "blocked"],
    ]);
    expect(r.tables.taskRows.map((t) => [t.type, t.status])).toEqual([
      ["export_blocked", "resolved"],
      ["export_blocked", "open"],
    ]);
  });

  it("a digital order (every line requires_shipping: false) needs no address", () => {
    const r = order();
    feed(r, T0, [ev.created(O, T0, { total: money(2500), line_items: [{ sku: "GIFT-25", quantity: 1, requires_shipping: false }] }), ev.captured(O, T0 + 1000, { amount: money(2500), payment_id: "pi_2" })]);
    expect(rows(r)).toEqual([[V1, "pending"]]);
  });
});

describe("watchers and valid_for on exports", () => {
  const raw = exampleRules();
  const rules: RulesInput = {
    version: 2,
    rules: OwnershipRules.parse({ ...raw, steps: { ...raw.steps, routing: { ...raw.steps.routing, watchers: ["cs@acme.example"], valid_for: "PT1M" } } }),
  };
  const paid = (): OrderReplay => {
    const r = order(rules);
    feed(r, T0, [
      ev.created(O, T0, { total: money(5000), line_items: [{ sku: "TEE-M", quantity: 1 }], shipping_address: ADDRESS }),
      ev.captured(O, T0 + 1000, { amount: money(5000), payment_id: "pi_1" }),
    ]);
    return r;
  };

  it("the export carries the step's watchers and valid_until = issued_at + valid_for, with a ttl timer", () => {
    const r = paid();
    const v1 = HandoffExport.parse(JSON.parse(r.tables.exportRows[0]?.body ?? "{}"));
    expect(v1).toMatchObject({ watchers: ["cs@acme.example"], issued_at: new Date(T0).toISOString(), valid_until: new Date(T0 + 60_000).toISOString() });
    expect(r.tables.timerRows.find((t) => t.kind === "ttl")).toMatchObject({ key: V1, due_at: T0 + 60_000 });
  });

  it("past valid_until and unacknowledged it is never sent, and is decided again as a new version", () => {
    const r = paid();
    expect(sendable(r.tables, "deliver", V1, T0 + 59_999)).not.toBeNull();
    expect(sendable(r.tables, "deliver", V1, T0 + 60_000)).toBeNull();
    r.runTimers(T0 + 60_001);
    expect(rows(r)).toEqual([
      [V1, "superseded"],
      [V2, "pending"],
    ]);
    expect(trail(r)).toEqual(expect.arrayContaining(["export.expired", "export.withdrawn", "export.issued"]));
    const v2 = HandoffExport.parse(JSON.parse(r.tables.exportRows[1]?.body ?? "{}"));
    expect(v2).toMatchObject({ supersedes: V1, valid_until: new Date(T0 + 120_000).toISOString() });
  });

  it("an acknowledged export is settled: its TTL passing changes nothing", () => {
    const r = paid();
    r.decide(T0 + 2000, (c) => decisionExpired(c, r.state, "exp_unknown"));
    feed(r, T0 + 3000, [ev.accepted(O, T0 + 3000, { fulfillment_id: "f1", export_id: V1 })]);
    r.runTimers(T0 + 120_000);
    // The warehouse's acceptance acked it (and opened the shipping handoff, which has no TTL).
    expect(rows(r)).toEqual([
      [V1, "acked"],
      [exportId("request_shipment", 1, O), "pending"],
    ]);
    expect(trail(r)).not.toContain("export.expired");
  });
});
