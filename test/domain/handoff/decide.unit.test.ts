import { describe, expect, it } from "vitest";
import { acknowledge, applyEvents } from "../../../domain/handoff/decide";
import { exportId } from "../../../domain/handoff/document";
import { checkSla } from "../../../domain/handoff/sla";
import { wantsRouting } from "../../../domain/handoff/plan";
import { OrderCommit, type OrderReader } from "../../../domain/order/commit";
import type { BreachRecord, Effect, ExportRecord } from "../../../domain/order/effects";
import { initialState, type MachineState } from "../../../domain/order/machine";
import { ev, money } from "../../helpers/events";
import { exampleRules } from "../../helpers/ownership";

// The order object's decisions run here in plain Node: no workerd, no SQLite.
// A reader of plain arrays stands in for the object's tables; what the
// decisions want written comes back as effects.

const O = "o-2001";
const T0 = Date.parse("2026-03-05T10:00:00.000Z");
const RULES = { version: 3, rules: exampleRules() };
const ROUTING_SLA_MS = 30_000; // test/fixtures/ownership/rules.json: routing "PT30S"
const FULFIL = exportId("fulfil_order", 1, O);

function reader(tables: { exports?: ExportRecord[]; breaches?: BreachRecord[] } = {}): OrderReader {
  return {
    exports: () => tables.exports ?? [],
    attempts: () => [],
    cancellations: () => [],
    timers: () => [],
    breaches: () => tables.breaches ?? [],
    tasks: () => [],
    receipts: () => [],
    recentAudit: () => [],
  };
}

function commit(r: OrderReader, now: number): OrderCommit {
  return new OrderCommit(r, "acme", O, now, RULES);
}

const of = <T extends Effect["type"]>(effects: readonly Effect[], type: T) => effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);
const audits = (effects: readonly Effect[]) => of(effects, "audit").map((e) => e.entry.type);

// A physical order carries where it ships (Shopify orders/create: shipping_address), or the QA gate holds it.
const created = ev.created(O, T0, {
  total: money(5000),
  line_items: [{ sku: "TEE-M", quantity: 1, unit_price_minor: 5000, requires_shipping: true }],
  shipping_address: { name: "Ada Lovelace", address1: "1 Loop Rd", city: "Lyon", zip: "69001", country_code: "FR" },
});
const captured = ev.captured(O, T0 + 1000, { amount: money(5000), payment_id: "pi_1" });

/** A paid order whose routing decision was issued (and delivered, when `status` says so), as the object would hold it. */
function routed(status: string): { state: MachineState; exports: ExportRecord[] } {
  const c = commit(reader(), T0 + 2000);
  const state = applyEvents(c, initialState(O), [created, captured]);
  const issued = of(c.effects, "issue_export")[0];
  if (!issued) throw new Error("no routing export issued");
  const row: ExportRecord = { ...issued.row, status, first_attempt_at: null, delivered_at: null, acked_at: null, ack: null, ack_redeliveries: 0 };
  return { state, exports: [row] };
}

describe("handoff decisions are effects", () => {
  it("a captured order issues the routing export, schedules its delivery and starts the routing clock", () => {
    const now = T0 + 2000;
    const c = commit(reader(), now);
    const state = applyEvents(c, initialState(O), [created, captured]);

    expect(state.view.state).toBe("routed");
    const [issued, ...more] = of(c.effects, "issue_export");
    expect(more).toEqual([]);
    expect(issued?.row).toMatchObject({ export_id: FULFIL, action: "fulfil_order", version: 1, status: "pending", consumer_url: "http://127.0.0.1:9/wms/handoff", requires_ack: 1 });
    // The consumer secret travels sealed as the rules hold it; it is unsealed only to sign.
    expect(issued?.row.consumer_secret).toBe(RULES.rules.steps.routing.consumer?.secret);
    expect(of(c.effects, "schedule_timer")).toContainEqual({ type: "schedule_timer", kind: "deliver", key: FULFIL, due_at: now, replace: false });
    expect(of(c.effects, "add_fact").map((e) => [e.event.type, e.event.source])).toEqual([
      ["order.created", "shopify"],
      ["payment.captured", "stripe"],
      ["fulfillment.requested", "handoff"],
    ]);
    expect(audits(c.effects)).toContain("export.issued");
    expect(of(c.effects, "enqueue_index")).toHaveLength(1);
    // Later reads in the same decision see the earlier writes.
    expect(c.exportById(FULFIL)?.status).toBe("pending");
    expect(c.timers("sla").map((t) => t.key)).toContain("routing");
  });

  it("the same decision is not issued twice: an order that already holds it emits no export", () => {
    const { state, exports } = routed("pending");
    const c = commit(reader({ exports }), T0 + 3000);
    applyEvents(c, state, []);
    expect(of(c.effects, "issue_export")).toEqual([]);
    expect(audits(c.effects)).not.toContain("export.issued");
  });

  it("a consumer's rejecting ack holds the order and opens a task whose evidence already shows the ack", () => {
    const { state, exports } = routed("delivered");
    const c = commit(reader({ exports }), T0 + 5000);
    const next = acknowledge(c, state, exports[0] as ExportRecord, { status: "rejected", reason: "no stock at berlin-1" });

    expect(next.view.state).toBe("on_hold");
    expect(of(c.effects, "update_export").map((e) => e.patch.status)).toEqual(["acked", "rejected"]);
    expect(audits(c.effects)).toEqual(expect.arrayContaining(["export.acked", "export.escalated", "hold.opened", "task.opened"]));
    const [task] = of(c.effects, "open_task").map((e) => e.task);
    expect(task).toMatchObject({ type: "consumer_rejected", step: "routing", owner: "routing@agency.example", status: "open" });
    // The evidence was gathered from the working copy: this decision's own audit entries and export status are in it.
    const evidence = task?.evidence as { audit: { type: string }[]; exports: { export_id: string; status: string }[] };
    expect(evidence.audit.map((a) => a.type)).toContain("export.escalated");
    expect(evidence.exports).toEqual([expect.objectContaining({ export_id: FULFIL, status: "rejected" })]);
    expect(of(c.effects, "schedule_timer").filter((e) => e.kind === "task")).toHaveLength(1);
  });

  it("an ack never makes an order routable, so it reserves no stock: its only new fact is an escalation, which holds", () => {
    for (const status of ["accepted", "rejected"] as const) {
      const { state, exports } = routed("delivered");
      const c = commit(reader({ exports }), T0 + 5000);
      const next = acknowledge(c, state, exports[0] as ExportRecord, { status, reason: null });
      expect(of(c.effects, "add_fact").map((e) => e.event.type)).toEqual(status === "accepted" ? [] : ["handoff.exception"]);
      // Routability is a function of the facts (wantsRouting): no hold released, no milestone added.
      expect(next.view.milestones).toEqual(state.view.milestones);
      expect(next.view.holds.length).toBeGreaterThanOrEqual(state.view.holds.length);
      expect(wantsRouting(next.view, RULES.rules) && !wantsRouting(state.view, RULES.rules)).toBe(false);
    }
  });
});

describe("SLA decisions are effects", () => {
  it("a clock found past several deadlines records every level once; a second look records nothing", () => {
    const { state, exports } = routed("delivered");
    // The routing clock runs from capture and is due one SLA later; the alarm fires so late that
    // two more SLA intervals have passed too: owner, backup and on-call, all in one look.
    const now = T0 + 1000 + ROUTING_SLA_MS + 2.5 * ROUTING_SLA_MS;
    const c = commit(reader({ exports }), now);
    checkSla(c, state.view, "routing");

    const breaches = of(c.effects, "insert_breach").map((e) => e.breach);
    expect(breaches.map((b) => [b.level, b.contact])).toEqual([
      [0, "routing@agency.example"],
      [1, "lead@agency.example"],
      [2, "pagerduty:agency-oncall"],
    ]);
    expect(audits(c.effects).filter((t) => t.startsWith("sla."))).toEqual(["sla.breached", "sla.escalated", "sla.escalated"]);
    expect(of(c.effects, "open_task").map((e) => e.task.type)).toEqual(["sla_breach"]);
    // Past the last level the clock's timer is done.
    expect(of(c.effects, "cancel_timer")).toContainEqual({ type: "cancel_timer", kind: "sla", key: "routing" });

    const recorded = breaches.map((b) => ({ ...b, resolved_at: null }));
    const again = commit(reader({ exports, breaches: recorded }), now + 1000);
    checkSla(again, state.view, "routing");
    expect(of(again.effects, "insert_breach")).toEqual([]);
    expect(audits(again.effects).filter((t) => t.startsWith("sla."))).toEqual([]);
  });
});

describe("the working copy", () => {
  it("applies each effect before the next read: earlier timer wins unless replaced, cancel removes, audit seq continues", () => {
    const c = new OrderCommit(
      { ...reader(), timers: () => [{ kind: "drain", key: "outbox", due_at: 500 }], recentAudit: () => [{ seq: 7, at: new Date(T0).toISOString(), type: "x", data: {} }] },
      "acme",
      O,
      T0,
      null,
    );
    c.schedule("drain", "outbox", 900);
    expect(c.timers("drain").map((t) => t.due_at)).toEqual([500]);
    c.schedule("drain", "outbox", 900, true);
    expect(c.timers("drain").map((t) => t.due_at)).toEqual([900]);
    c.cancel("drain", "outbox");
    expect(c.timers()).toEqual([]);
    c.audit("a", { n: 1, skipped: undefined });
    // Tables read late replay what was emitted before.
    expect(c.recentAudit().map((a) => [a.seq, a.type, a.data])).toEqual([
      [7, "x", {}],
      [8, "a", { n: 1 }],
    ]);
    expect(c.effects.map((e) => e.type)).toEqual(["schedule_timer", "schedule_timer", "cancel_timer", "audit"]);
  });
});
