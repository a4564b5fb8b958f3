import { describe, expect, it } from "vitest";
import { generateMonth } from "../../../bench/what-if/month";
import { decisionsOf } from "../../../domain/whatif/decisions";
import { recordedOrder } from "../../../domain/whatif/recorded";
import { replayOrder, rulesInForce } from "../../../domain/whatif/replay";

// A month decided live by the object's own functions, with two rules changes inside it.
const month = generateMonth({ orders: 400, seed: 7 });
const recorded = month.orders.map((o) => recordedOrder(month.tenant, o.order_id, o.trail));
const all = month.orders.flatMap((o) => o.trail);

describe("what-if replay under the rules in force", () => {
  it("the generated month exercises what the proof must cover", () => {
    const issued = all.filter((e) => e.type === "export.issued").map((e) => (e.data as { decision_version: number }).decision_version);
    expect(new Set(issued)).toEqual(new Set([1, 2, 3]));
    const types = new Set(all.map((e) => e.type));
    for (const t of ["sla.breached", "sla.escalated", "task.opened", "task.escalated", "task.resolved", "export.escalated", "export.ack_missing", "export.acked", "cancellation.acked"]) {
      expect(types, t).toContain(t);
    }
    expect(recorded.every((o) => o.gaps.length === 0)).toBe(true);
  });

  it("reproduces every order's recorded trail exactly, entry for entry, from the trail alone", () => {
    const mismatched: string[] = [];
    for (const order of recorded) {
      const replay = replayOrder(order, rulesInForce(month.versions), month.end);
      const got = replay.trail.map((e) => ({ at: e.at, type: e.type, data: JSON.parse(JSON.stringify(e.data)) as unknown }));
      const want = order.trail.map((e) => ({ at: e.at, type: e.type, data: e.data }));
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatched.push(order.order_id);
    }
    expect(mismatched).toEqual([]);
  });

  it("so the decisions compared by a what-if agree: exports, breaches with who was paged, tasks, final state", () => {
    for (const order of recorded.slice(0, 50)) {
      const replay = replayOrder(order, rulesInForce(month.versions), month.end);
      expect(decisionsOf(replay.trail)).toEqual(decisionsOf(order.trail));
    }
  });
});
