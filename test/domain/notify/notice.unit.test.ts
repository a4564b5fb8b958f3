import { describe, expect, it } from "vitest";
import { orderNotices, taskNotices } from "../../../domain/notify/notice";
import type { Task } from "../../../domain/tasks/task";

const T0 = Date.parse("2026-12-07T09:00:00.000Z");

function task(over: Partial<Task> = {}): Task {
  return {
    task_id: "tk_1",
    tenant: "acme",
    order_id: "1001",
    rejection_id: null,
    type: "delivery_failed",
    status: "open",
    title: "Handoff could not be delivered (retries exhausted): HTTP 503",
    step: "routing",
    owner: "routing@agency.example",
    owning_party: "agency:fulfillment-team",
    escalation: ["routing@agency.example", "lead@agency.example", "agency-oncall"],
    level: 0,
    sla_due: new Date(T0 + 1_800_000).toISOString(),
    opened_at: new Date(T0).toISOString(),
    ref: "handoff:delivery_failed:exp_fulfil_order_v1_1001",
    claimed_at: null,
    claimed_by: null,
    resolved_at: null,
    resolved_by: null,
    resolution: null,
    justification: null,
    action: null,
    value: { amount_minor: 4900, currency: "USD" },
    time_to_first_response_ms: null,
    time_to_resolve_ms: null,
    evidence: {},
    ...over,
  };
}

describe("notices derived from an order's tasks and breaches", () => {
  it("an open task alerts its owner; escalated, every level up to its own, each to that level's contact", () => {
    expect(taskNotices(task(), T0).map((n) => [n.key, n.kind, n.recipient, n.at])).toEqual([["tk_1:L0:alert", "task.opened", "routing@agency.example", T0]]);
    const up = taskNotices(task({ level: 2, owner: "agency-oncall" }), T0 + 5000);
    expect(up.map((n) => [n.key, n.kind, n.recipient])).toEqual([
      ["tk_1:L0:alert", "task.opened", "routing@agency.example"],
      ["tk_1:L1:alert", "task.escalated", "lead@agency.example"],
      ["tk_1:L2:alert", "task.escalated", "agency-oncall"],
    ]);
  });

  it("a closed task is one resolution for everyone it alerted", () => {
    const done = taskNotices(task({ status: "resolved", resolved_at: new Date(T0 + 60_000).toISOString() }), T0 + 90_000);
    expect(done).toEqual([expect.objectContaining({ key: "tk_1:resolve", phase: "resolve", kind: "task.resolved", recipient: null, at: T0 + 60_000 })]);
  });

  it("a breach and the task it opened share one subject, so one message per level; the breach's words win", () => {
    const t = task({ task_id: "tk_sla", type: "sla_breach", ref: "sla:routing", title: "SLA breached: routing" });
    const breach = { step: "routing", run: 0, level: 0, due_at: T0 - 1000, breached_at: T0, contact: "routing@agency.example", owning_party: "agency:fulfillment-team", resolved_at: null };
    const ns = orderNotices({ tenant: "acme", orderId: "1001", tasks: [t], breaches: [breach], now: T0 });
    expect(ns.map((n) => [n.key, n.kind])).toEqual([["tk_sla:L0:alert", "sla.breached"]]);
    expect(ns[0]).toMatchObject({ subject: "tk_sla", task_id: "tk_sla", value: { amount_minor: 4900, currency: "USD" }, due_at: new Date(T0 - 1000).toISOString() });
  });

  it("a breach resolved before it was ever told is only a resolution; derivation is stable (same keys twice)", () => {
    const breach = { step: "shipping", run: 0, level: 1, due_at: T0, breached_at: T0 + 1, contact: "x", owning_party: "3pl", resolved_at: T0 + 2 };
    const a = orderNotices({ tenant: "acme", orderId: "1001", tasks: [], breaches: [breach], now: T0 + 3 });
    expect(a.map((n) => n.key)).toEqual(["breach:1001:shipping:resolve"]);
    const b = orderNotices({ tenant: "acme", orderId: "1001", tasks: [], breaches: [breach], now: T0 + 999 });
    expect(b.map((n) => n.key)).toEqual(a.map((n) => n.key));
  });

  it("a step that breaches again after recovering is a new subject: its owner is told afresh, the first run stays resolved", () => {
    const first = task({ task_id: "tk_r0", type: "sla_breach", ref: "sla:routing", status: "cancelled", resolved_at: new Date(T0 + 10).toISOString() });
    const second = task({ task_id: "tk_r1", type: "sla_breach", ref: "sla:routing#1" });
    const breaches = [
      { step: "routing", run: 0, level: 0, due_at: T0, breached_at: T0 + 1, contact: "r@x", owning_party: "wms", resolved_at: T0 + 10 },
      { step: "routing", run: 1, level: 0, due_at: T0 + 100, breached_at: T0 + 101, contact: "r@x", owning_party: "wms", resolved_at: null },
    ];
    const ns = orderNotices({ tenant: "acme", orderId: "1001", tasks: [first, second], breaches, now: T0 + 200 });
    expect(ns.filter((n) => n.kind.startsWith("sla.")).map((n) => [n.key, n.kind])).toEqual([
      ["tk_r0:resolve", "sla.recovered"],
      ["tk_r1:L0:alert", "sla.breached"],
    ]);
    // Without tasks (not drained yet), each run still has a subject of its own.
    const bare = orderNotices({ tenant: "acme", orderId: "1001", tasks: [], breaches, now: T0 + 200 });
    expect(bare.map((n) => n.key)).toEqual(["breach:1001:routing:resolve", "breach:1001:routing#1:L0:alert"]);
  });
});
