import { describe, expect, it } from "vitest";
import { acknowledge, applyEvents } from "../../../domain/handoff/decide";
import { checkSla } from "../../../domain/handoff/sla";
import { allocate } from "../../../domain/inventory/allocate";
import { recordReservation } from "../../../domain/inventory/record";
import { takeFills } from "../../../domain/inventory/restock";
import { initialState, type MachineState } from "../../../domain/order/machine";
import type { OrderCommit } from "../../../domain/order/commit";
import { ev, money } from "../../helpers/events";
import { exampleRules } from "../../helpers/ownership";
import { decideOver, derivedSla, keptSla, noTables, type Tables } from "../../helpers/sla-walk";

// A step's clock can run more than once in an order's life: routing runs again
// when stock arrives for a backordered unit. Each run is owed its own breach,
// task and escalation; within one run each level is still recorded once.

const O = "o-4001";
const T0 = Date.parse("2026-03-05T10:00:00.000Z");
const RULES = { version: 3, rules: exampleRules() };
const SLA = 30_000; // test/fixtures/ownership/rules.json: routing "PT30S"
const DUE = T0 + 1000 + SLA; // the first run starts at capture
const LINES = [{ sku: "TEE-M", quantity: 2, unit_price_minor: 2500, requires_shipping: true }];

const created = ev.created(O, T0, {
  total: money(5000),
  line_items: LINES,
  shipping_address: { name: "Ada Lovelace", address1: "1 Loop Rd", city: "Lyon", zip: "69001", country_code: "FR" },
});
const captured = ev.captured(O, T0 + 1000, { amount: money(5000), payment_id: "pi_1" });
// One of the two units in stock: routing carries one, the backorder the other.
const SPLIT = allocate(LINES, [{ sku: "TEE-M", tracked: true, lines: [{ line: "0", requested: 2, reserved: 1, backordered: 1 }] }]);

function walk() {
  let state: MachineState = initialState(O);
  let t: Tables = noTables;
  const at = (now: number, fn: (c: OrderCommit, s: MachineState) => MachineState | void): void => {
    t = decideOver(t, O, RULES, now, (c) => {
      state = fn(c, state) ?? state;
    });
    // Whatever happened, the clocks the object derives are the timers the decisions keep.
    expect(derivedSla(state, RULES, t)).toEqual(keptSla(t));
  };
  const routing = () => t.breaches.filter((b) => b.step === "routing").map((b) => [b.run, b.level, b.due_at, b.resolved_at !== null]);
  const audits = (type: string) => t.audit.filter((a) => a.type === type && a.data.step === "routing").map((a) => a.data);
  const routingTasks = () => t.tasks.filter((x) => x.ref.startsWith("sla:routing")).map((x) => [x.ref, x.status]);
  return { at, routing, audits, routingTasks, tables: () => t, state: () => state };
}

/** Start → breach → recovery: the first run of routing, acked by the warehouse after its deadline. */
function firstRun() {
  const w = walk();
  w.at(T0 + 2000, (c, s) => {
    recordReservation(c, SPLIT);
    return applyEvents(c, s, [created, captured]);
  });
  w.at(DUE, (c, s) => checkSla(c, s.view, "routing"));
  const row = w.tables().exports.find((r) => r.action === "fulfil_order");
  if (!row) throw new Error("no routing export issued");
  w.at(DUE + 5000, (c, s) => acknowledge(c, s, { ...row, status: "delivered" }, { status: "accepted", reason: null }));
  return w;
}

/** Stock arrives for the backordered unit: routing is decided again, and its clock starts over from the arrival. */
function restock(w: ReturnType<typeof walk>, now: number): void {
  w.at(now, (c, s) => {
    const held = c.allocation();
    if (!held) throw new Error("no stock decision");
    const r = takeFills(LINES, held, "TEE-M", [{ key: "0#r1", line: "0", units: 1 }], c.now);
    c.recordAllocation(r.allocation);
    return applyEvents(c, s, []);
  });
}

describe("a step that restarts breaches again", () => {
  it("start → breach → recovery → restart → breach and escalate again, as a run of its own with a task of its own", () => {
    const w = firstRun();
    expect(w.routing()).toEqual([[0, 0, DUE, true]]);
    expect(w.audits("sla.recovered")).toEqual([{ step: "routing" }]);
    expect(w.routingTasks()).toEqual([["sla:routing", "cancelled"]]);

    const R = DUE + 60_000;
    restock(w, R);
    expect(w.state().view.milestones.accepted_at).toBeUndefined();
    expect(keptSla(w.tables())).toContainEqual(["routing", R + SLA]);

    // The new deadline passes: a new run breaches, pages the owner and opens its own task.
    w.at(R + SLA, (c, s) => checkSla(c, s.view, "routing"));
    expect(w.routing()).toEqual([
      [0, 0, DUE, true],
      [1, 0, R + SLA, false],
    ]);
    expect(w.audits("sla.breached").map((d) => [d.run, d.since, d.due_at])).toEqual([
      [0, "captured_at", new Date(DUE).toISOString()],
      [1, "restocked_at", new Date(R + SLA).toISOString()],
    ]);
    expect(w.routingTasks()).toEqual([
      ["sla:routing", "cancelled"],
      ["sla:routing#1", "open"],
    ]);

    // The same alarm again changes nothing; a late one climbs this run's ladder once.
    w.at(R + SLA, (c, s) => checkSla(c, s.view, "routing"));
    w.at(R + SLA + 2.5 * SLA, (c, s) => checkSla(c, s.view, "routing"));
    w.at(R + SLA + 2.5 * SLA, (c, s) => checkSla(c, s.view, "routing"));
    expect(w.routing().filter(([run]) => run === 1).map(([, level]) => level)).toEqual([0, 1, 2]);
    expect(w.audits("sla.escalated").map((d) => [d.run, d.level])).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(keptSla(w.tables()).map(([k]) => k)).not.toContain("routing");
  });

  it("a step whose start moves while it runs ends the breached run and breaches the new deadline afresh", () => {
    const w = walk();
    w.at(T0 + 2000, (c, s) => {
      recordReservation(c, SPLIT);
      return applyEvents(c, s, [created, captured]);
    });
    w.at(DUE, (c, s) => checkSla(c, s.view, "routing"));
    // Stock arrives before the warehouse answered: routing is decided again, its clock now runs from the arrival.
    const R = DUE + 10_000;
    restock(w, R);
    expect(w.routing()).toEqual([[0, 0, DUE, true]]);
    expect(w.audits("sla.recovered")).toEqual([{ step: "routing", restarted: true }]);
    expect(w.routingTasks()).toEqual([["sla:routing", "cancelled"]]);
    expect(w.tables().tasks.find((x) => x.ref === "sla:routing")?.resolution).toBe("the routing step started over with a new deadline");
    w.at(R + SLA, (c, s) => checkSla(c, s.view, "routing"));
    expect(w.routing()).toEqual([
      [0, 0, DUE, true],
      [1, 0, R + SLA, false],
    ]);
  });

  it("an alarm that fires before the new deadline records nothing, and a step that stays stopped stays quiet", () => {
    const w = firstRun();
    w.at(DUE + 20_000, (c, s) => checkSla(c, s.view, "routing"));
    expect(w.routing()).toEqual([[0, 0, DUE, true]]);
    expect(keptSla(w.tables()).map(([k]) => k)).not.toContain("routing");
  });
});
