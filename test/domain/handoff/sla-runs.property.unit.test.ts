import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { acknowledge, applyEvents } from "../../../domain/handoff/decide";
import { existingExports, slaDeadlines } from "../../../domain/handoff/plan";
import { checkSla, currentRun, slaTimers } from "../../../domain/handoff/sla";
import { allocate } from "../../../domain/inventory/allocate";
import { recordReservation } from "../../../domain/inventory/record";
import { restockRefusal, takeFills } from "../../../domain/inventory/restock";
import { initialState, type MachineState } from "../../../domain/order/machine";
import type { OrderCommit } from "../../../domain/order/commit";
import { ev, money } from "../../helpers/events";
import { exampleRules } from "../../helpers/ownership";
import { decideOver, derivedSla, keptSla, noTables, type Tables } from "../../helpers/sla-walk";

// Any interleaving of alarms (on time, late, twice), warehouse answers and
// restocks that restart routing: no (step, run, level) is recorded twice, a
// run's levels are always its first few, and every run that passed its
// deadline is recorded at the level its lateness reached.

const O = "o-5001";
const T0 = Date.parse("2026-03-05T10:00:00.000Z");
const RULES = { version: 3, rules: exampleRules() };
const SLA = 30_000; // routing "PT30S"
const UNITS = 4;
const LINES = [{ sku: "TEE-M", quantity: UNITS, unit_price_minor: 1000, requires_shipping: true }];
const created = ev.created(O, T0, {
  total: money(UNITS * 1000),
  line_items: LINES,
  shipping_address: { name: "Ada Lovelace", address1: "1 Loop Rd", city: "Lyon", zip: "69001", country_code: "FR" },
});
const captured = ev.captured(O, T0 + 1000, { amount: money(UNITS * 1000), payment_id: "pi_1" });
const SPLIT = allocate(LINES, [{ sku: "TEE-M", tracked: true, lines: [{ line: "0", requested: UNITS, reserved: 1, backordered: UNITS - 1 }] }]);

type Op = { dt: number; kind: "alarm" | "refire" | "ack" | "restock" | "nothing" };
const op = fc.record({
  dt: fc.integer({ min: 0, max: 4 * SLA }),
  kind: fc.constantFrom<Op["kind"]>("alarm", "alarm", "refire", "ack", "restock", "nothing"),
});

/** How many walks breached a restarted run: the property must have met the case it is about. */
let restartsBreached = 0;

function play(ops: readonly Op[]): void {
  let state: MachineState = initialState(O);
  let t: Tables = noTables;
  let now = T0 + 2000;
  let fills = 0;
  const at = (fn: (c: OrderCommit, s: MachineState) => MachineState | void): void => {
    t = decideOver(t, O, RULES, now, (c) => {
      state = fn(c, state) ?? state;
    });
  };
  /** The object's alarm: every derived SLA clock due by now fires, once each. */
  const alarm = (): void => {
    for (const x of slaTimers(state.view, RULES, t.exports, t.allocation, t.breaches)) if (x.due_at <= now) at((c, s) => checkSla(c, s.view, x.key));
  };
  at((c, s) => {
    recordReservation(c, SPLIT);
    return applyEvents(c, s, [created, captured]);
  });
  for (const o of ops) {
    now += o.dt;
    if (o.kind === "alarm") alarm();
    // A check nobody scheduled (a duplicate delivery of the alarm, a retry after a crash): check() below
    // requires it to have recorded nothing the clock's lateness does not call for.
    if (o.kind === "refire") at((c, s) => checkSla(c, s.view, "routing"));
    if (o.kind === "ack") {
      const live = t.exports.find((r) => r.action === "fulfil_order" && (r.status === "pending" || r.status === "delivered"));
      if (live) at((c, s) => acknowledge(c, s, { ...live, status: "delivered" }, { status: "accepted", reason: null }));
    }
    if (o.kind === "restock" && fills < UNITS - 1 && restockRefusal(state.view, t.allocation) === null) {
      const held = t.allocation;
      if (!held) throw new Error("no stock decision");
      fills += 1;
      at((c, s) => {
        c.recordAllocation(takeFills(LINES, held, "TEE-M", [{ key: `0#r${fills}`, line: "0", units: 1 }], c.now).allocation);
        return applyEvents(c, s, []);
      });
    }
    alarm();
    check(state, t, now);
  }
  if (t.breaches.some((b) => b.run > 0)) restartsBreached += 1;
}

function check(state: MachineState, t: Tables, now: number): void {
  expect(derivedSla(state, RULES, t)).toEqual(keptSla(t));
  const keys = t.breaches.map((b) => `${b.step}/${b.run}/${b.level}`);
  expect(new Set(keys).size).toBe(keys.length);
  for (const step of new Set(t.breaches.map((b) => b.step))) {
    const rows = t.breaches.filter((b) => b.step === step);
    const runs = [...new Set(rows.map((b) => b.run))].sort((a, b) => a - b);
    // Runs are numbered in order, without gaps; only the last can be open.
    expect(runs).toEqual(runs.map((_, i) => i));
    expect(new Set(rows.filter((b) => b.resolved_at === null).map((b) => b.run)).size).toBeLessThanOrEqual(1);
    for (const run of runs) {
      const levels = rows.filter((b) => b.run === run).map((b) => b.level).sort();
      expect(levels).toEqual(levels.map((_, i) => i));
      expect(new Set(rows.filter((b) => b.run === run).map((b) => b.since_at)).size).toBe(1);
    }
  }
  // Every running clock past its deadline is recorded, in a run of its own start, at the level its lateness reached.
  for (const d of slaDeadlines(state.view, RULES, existingExports(t.exports), t.allocation)) {
    if (now < d.due_at) continue;
    const r = currentRun(t.breaches, d);
    expect(r.stale).toBe(false);
    expect(Math.max(...r.recorded.map((b) => b.level))).toBe(Math.min(2, Math.floor((now - d.due_at) / d.interval_ms)));
    expect(r.recorded.every((b) => b.since_at === Date.parse(d.since_at))).toBe(true);
    expect(t.tasks.some((x) => x.ref === (r.run === 0 ? `sla:${d.step}` : `sla:${d.step}#${r.run}`) && x.status === "open")).toBe(true);
  }
}

describe("SLA runs under any interleaving", () => {
  it("no (step, run, level) twice; every run past its deadline recorded at its level, with an open task", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 14 }), (ops) => play(ops)),
      { numRuns: 150 },
    );
    expect(restartsBreached).toBeGreaterThan(10);
  });
});
