import { describe, expect, it } from "vitest";
import { generateMonth } from "../../../bench/what-if/month";
import { epochMs } from "../../../domain/order/facts";
import { decisionsOf } from "../../../domain/whatif/decisions";
import { isChanged } from "../../../domain/whatif/diff";
import { recordedOrder, type AuditLine } from "../../../domain/whatif/recorded";
import { replayOrder, rulesInForce } from "../../../domain/whatif/replay";
import { clockHorizon, whatIfOrder } from "../../../domain/whatif/run";

/**
 * D1 holds a prefix of each order's trail: an alarm that is due but has not
 * run (or whose commit is not drained yet) is simply not there. The self-check
 * under the rules in force must not count it as a difference; a proposal
 * still plays its clocks to `until`.
 */

const month = generateMonth({ orders: 120, seed: 7 });
const versions = rulesInForce(month.versions);

/** The trail as D1 had it just before (or just after) the commit that recorded the first escalation. */
function cut(trail: readonly AuditLine[], keep: "before" | "through"): AuditLine[] | null {
  const hit = trail.find((e) => e.type === "sla.escalated");
  if (!hit) return null;
  const at = epochMs(hit.at);
  return trail.filter((e) => (keep === "before" ? epochMs(e.at) < at : epochMs(e.at) <= at));
}

function prefixes(keep: "before" | "through") {
  return month.orders.map((o) => ({ id: o.order_id, trail: cut(o.trail, keep) })).flatMap((o) => (o.trail ? [recordedOrder(month.tenant, o.id, o.trail)] : []));
}

/** That escalation's alarm is due and not recorded yet. */
const lagging = prefixes("before");

describe("how far a what-if plays an order's clocks", () => {
  it("the month has orders whose trail stops before a due escalation", () => {
    expect(lagging.length).toBeGreaterThan(3);
  });

  it("played to `until`, those orders gain the escalation the live alarm had not recorded (the race)", () => {
    for (const order of lagging) {
      const replay = replayOrder(order, versions, month.end);
      expect(decisionsOf(replay.trail).breaches.length, order.order_id).toBeGreaterThan(decisionsOf(order.trail).breaches.length);
    }
  });

  it("under the rules in force each order stops at its last recorded instant: nothing changes", () => {
    for (const order of lagging) {
      expect(clockHorizon(order, month.end, "in_force")).toBe(order.last_at + 1);
      const w = whatIfOrder(order, versions, month.end, "in_force");
      expect(isChanged(w.diff), order.order_id).toBe(false);
      expect(w.proposed).toEqual(w.recorded);
    }
  });

  it("a breach recorded at its due instant is still replayed (the horizon includes the last instant)", () => {
    const onTime = prefixes("through");
    expect(onTime.length).toBe(lagging.length);
    for (const order of onTime) {
      const w = whatIfOrder(order, versions, month.end, "in_force");
      expect(w.proposed.breaches.some((b) => b.level === 1), order.order_id).toBe(true);
      expect(isChanged(w.diff), order.order_id).toBe(false);
    }
  });

  it("an earlier `until` still bounds the in-force horizon", () => {
    const order = lagging[0];
    if (!order) throw new Error("no order");
    expect(clockHorizon(order, order.last_at - 5, "in_force")).toBe(order.last_at - 5);
  });

  it("a proposal plays its clocks to `until`, past the order's last entry", () => {
    for (const order of lagging) {
      expect(clockHorizon(order, month.end, "proposed")).toBe(month.end);
      const w = whatIfOrder(order, versions, month.end, "proposed");
      expect(w.proposed.breaches.length).toBeGreaterThan(w.recorded.breaches.length);
    }
  });
});
