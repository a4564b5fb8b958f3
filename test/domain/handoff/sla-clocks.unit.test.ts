import { describe, expect, it } from "vitest";
import { acknowledge, applyEvents } from "../../../domain/handoff/decide";
import { checkSla, slaTimers } from "../../../domain/handoff/sla";
import type { OrderCommit } from "../../../domain/order/commit";
import { initialState, type MachineState } from "../../../domain/order/machine";
import { ev, money } from "../../helpers/events";
import { exampleRules } from "../../helpers/ownership";
import { decideOver, derivedSla, keptSla, noTables, type Tables } from "../../helpers/sla-walk";

// The order object keeps no row for an SLA clock: it derives the clock's next
// time from the order (slaTimers). These walk an order through the decisions
// that schedule and cancel `sla` timers, carrying every table from one commit
// to the next as the object would, and require the derived clocks to be
// exactly the timers the decisions keep, at every step.

const O = "o-3001";
const T0 = Date.parse("2026-03-05T10:00:00.000Z");
const RULES = { version: 3, rules: exampleRules() };
const ROUTING_SLA_MS = 30_000; // test/fixtures/ownership/rules.json: routing "PT30S"
const DUE = T0 + 1000 + ROUTING_SLA_MS; // the routing clock runs from capture

const created = ev.created(O, T0, {
  total: money(5000),
  line_items: [{ sku: "TEE-M", quantity: 1, unit_price_minor: 5000, requires_shipping: true }],
  shipping_address: { name: "Ada Lovelace", address1: "1 Loop Rd", city: "Lyon", zip: "69001", country_code: "FR" },
});
const captured = ev.captured(O, T0 + 1000, { amount: money(5000), payment_id: "pi_1" });

function step(t: Tables, now: number, decide: (c: OrderCommit) => void): Tables {
  return decideOver(t, O, RULES, now, decide);
}

const kept = keptSla;
const derived = (state: MachineState, t: Tables) => derivedSla(state, RULES, t);

describe("SLA clocks derived from the order are the timers the decisions keep", () => {
  it("through the deadline, each escalation level and the clock's end", () => {
    let state = initialState(O);
    let t: Tables = noTables;
    t = step(t, T0 + 2000, (c) => {
      state = applyEvents(c, state, [created, captured]);
    });
    expect(kept(t).map(([k]) => k)).toContain("routing");
    expect(derived(state, t)).toEqual(kept(t));

    // Fired early (a clock moved): nothing recorded, the same time stands.
    t = step(t, DUE - 5000, (c) => checkSla(c, state.view, "routing"));
    expect(derived(state, t)).toEqual(kept(t));

    // At the deadline: level 0, then due one interval later for the backup.
    t = step(t, DUE, (c) => checkSla(c, state.view, "routing"));
    expect(t.breaches.map((b) => b.level)).toEqual([0]);
    expect(derived(state, t)).toEqual(kept(t));
    expect(derived(state, t)).toContainEqual(["routing", DUE + ROUTING_SLA_MS]);

    // A commit in between (no new fact) keeps the escalating clock where it was.
    t = step(t, DUE + 1000, (c) => {
      state = applyEvents(c, state, []);
    });
    expect(derived(state, t)).toEqual(kept(t));

    // Late by more than one level: both recorded in one look, then the top level.
    t = step(t, DUE + 2.5 * ROUTING_SLA_MS, (c) => checkSla(c, state.view, "routing"));
    expect(t.breaches.map((b) => b.level)).toEqual([0, 1, 2]);
    expect(derived(state, t)).toEqual(kept(t));
    expect(derived(state, t).map(([k]) => k)).not.toContain("routing");
  });

  it("a milestone stops the clock: no timer and no derived time", () => {
    let state = initialState(O);
    let t: Tables = noTables;
    t = step(t, T0 + 2000, (c) => {
      state = applyEvents(c, state, [created, captured]);
    });
    const row = t.exports.find((r) => r.action === "fulfil_order");
    if (!row) throw new Error("no routing export issued");
    t = { ...t, exports: t.exports.map((r) => (r === row ? { ...r, status: "delivered" } : r)) };
    t = step(t, T0 + 5000, (c) => {
      state = acknowledge(c, state, { ...row, status: "delivered" }, { status: "accepted", reason: null });
    });
    expect(derived(state, t)).toEqual(kept(t));
    expect(derived(state, t).map(([k]) => k)).not.toContain("routing");
  });

  it("no rules, no clocks", () => {
    let state = initialState(O);
    step(noTables, T0 + 2000, (c) => {
      state = applyEvents(c, state, [created, captured]);
    });
    expect(slaTimers(state.view, null, [], null, [])).toEqual([]);
  });
});
