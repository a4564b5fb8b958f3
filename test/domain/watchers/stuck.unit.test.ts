import { describe, expect, it } from "vitest";
import { DEFAULT_STEP_SLA_MS, shortestSla, waitingOn } from "../../../domain/watchers/defaults";
import { judgeStuck, stuckRef } from "../../../domain/watchers/stuck";
import { ownerLadder } from "../../../domain/tasks/owner";
import { ORDER_STATES, TERMINAL_STATES } from "../../../domain/order/view";

const T0 = Date.parse("2026-11-02T10:00:00Z");
const H = 3_600_000;

describe("stuck orders under the built-in SLAs", () => {
  it("every non-terminal state waits on a step; terminal ones on nothing", () => {
    for (const s of ORDER_STATES) expect(waitingOn(s) === null).toBe(TERMINAL_STATES.includes(s));
  });

  it("a paid order with no routing progress is stuck after the routing SLA (1 h), not before", () => {
    const o = { orderId: "o1", state: "paid", milestones: { created_at: new Date(T0 - 5 * H).toISOString(), captured_at: new Date(T0).toISOString() }, createdAt: new Date(T0 - 5 * H).toISOString() };
    expect(judgeStuck(o, null, T0 + 59 * 60_000)).toBeNull();
    expect(judgeStuck(o, null, T0 + H)).toEqual({ step: "routing", since: new Date(T0).toISOString(), due: new Date(T0 + H).toISOString(), sla_ms: DEFAULT_STEP_SLA_MS.routing });
  });

  it("an order heard of only through its payment waits on payment from when it was first seen", () => {
    const o = { orderId: "o2", state: "received", milestones: {}, createdAt: new Date(T0).toISOString() };
    expect(judgeStuck(o, null, T0 + 23 * H)).toBeNull();
    expect(judgeStuck(o, null, T0 + 24 * H)?.step).toBe("payment");
  });

  it("terminal and unknown states are never stuck", () => {
    for (const state of ["delivered", "cancelled", "refunded", "exploded"]) {
      expect(judgeStuck({ orderId: "o", state, milestones: {}, createdAt: new Date(T0).toISOString() }, null, T0 + 1000 * H)).toBeNull();
    }
  });

  it("the shortest built-in SLA bounds what a run reads", () => {
    expect(shortestSla(null)).toBe(H);
  });

  it("one episode per state and start: a new stall is a new ref", () => {
    expect(stuckRef("paid", "2026-11-02T10:00:00.000Z")).not.toBe(stuckRef("routed", "2026-11-02T10:00:00.000Z"));
  });
});

describe("the owner ladder", () => {
  it("takes the rule's contacts, else the default owner on every rung, else unassigned", () => {
    expect(ownerLadder({ owner: "a", backup: "b", on_call: "c", owning_party: "3pl:x" }, "d")).toEqual({ ladder: ["a", "b", "c"], owningParty: "3pl:x" });
    expect(ownerLadder(undefined, "ops@x")).toEqual({ ladder: ["ops@x", "ops@x", "ops@x"], owningParty: "merchant" });
    expect(ownerLadder(undefined, null).ladder).toEqual(["unassigned", "unassigned", "unassigned"]);
  });
});
