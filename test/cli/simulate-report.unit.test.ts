import { describe, expect, it } from "vitest";
import type { OrderLite, TaskLite } from "../../cli/simulate/api";
import { bySender, classify, exportTotals, percentile, renderSummary, type Summary } from "../../cli/simulate/report";
import { parseStoredRules, restoredRules, simulatorRules } from "../../cli/simulate/rules";
import { demoOwnershipRules } from "../../cli/demo-consumers";
import { OwnershipRules, StoredOwnershipRules } from "../../domain/ownership/schema";

function order(partial: Partial<OrderLite>): OrderLite {
  return { state: "paid", receipts: [], exports: [], sla: [], holds: [], outbox: { pending: 0 }, ...partial };
}

function task(partial: Partial<TaskLite>): TaskLite {
  return { task_id: "tk_1", order_id: "1", type: "consumer_rejected", status: "open", owner: "ops@x.example", step: "routing", opened_at: "2026-11-27T10:00:00.000Z", ref: "", ...partial };
}

const EMPTY: Summary = {
  orders: 0,
  categories: { terminal: 0, on_hold_with_owner: 0, waiting_on_sla_clock: 0, sender_silent_with_owner: 0, silently_dropped: 0 },
  held: {},
  waiting: {},
  dropped: [],
  inbound: { webhooks: 0, requests: 0, lost: 0, redeliveries: 0, duplicatesSent: 0, duplicatesAbsorbed: 0, gaveUp: 0, silenced: 0, statuses: {} },
  latency: { count: 0, p50: Number.NaN, p99: Number.NaN, max: Number.NaN },
  silences: [],
  exports: { exports: 0, attempts: 0, retries: 0, byStatus: {} },
  consumers: { deliveries: 0, redeliveries: 0, outage503: 0, rejected422: 0, slow: 0, badSignature: 0 },
  senders: {},
  wallSeconds: 0,
};

describe("classify: the silent-drop definition", () => {
  const none = new Set<string>();

  it("terminal orders are accounted for", () => {
    expect(classify(order({ state: "delivered" }), [], none).category).toBe("terminal");
    expect(classify(order({ state: "cancelled" }), [], none).category).toBe("terminal");
  });

  it("an open or claimed task with a named owner holds the order", () => {
    expect(classify(order({ state: "on_hold" }), [task({})], none)).toEqual({ category: "on_hold_with_owner", reason: "consumer_rejected → ops@x.example" });
    expect(classify(order({ state: "on_hold" }), [task({ status: "claimed" })], none).category).toBe("on_hold_with_owner");
  });

  it("a running SLA clock with an owner means the engine is still watching", () => {
    const c = classify(order({ state: "authorized", sla: [{ step: "payment", due_at: "2026-11-21T21:00:00Z", owner: "finance@x.example" }] }), [], none);
    expect(c.category).toBe("waiting_on_sla_clock");
  });

  it("no task, no clock, not terminal: dropped — as is an unowned or closed task", () => {
    expect(classify(order({ state: "paid" }), [], none).category).toBe("silently_dropped");
    expect(classify(order({ state: "on_hold" }), [task({ owner: "unassigned" })], none).category).toBe("silently_dropped");
    expect(classify(order({ state: "on_hold" }), [task({ status: "resolved" })], none).category).toBe("silently_dropped");
    expect(classify(order({ state: "authorized", sla: [{ step: "payment", due_at: "x", owner: "unassigned" }] }), [], none).category).toBe("silently_dropped");
  });

  it("a 404, or an acknowledged receipt missing from the order, is a drop whatever the state", () => {
    expect(classify(null, [], none).reason).toContain("404");
    const c = classify(order({ state: "delivered", receipts: [{ id: "rcpt_a" }] }), [], new Set(["rcpt_a", "rcpt_b"]));
    expect(c.category).toBe("silently_dropped");
    expect(c.reason).toContain("rcpt_b");
  });
});

describe("totals and percentiles", () => {
  it("counts export attempts and retries", () => {
    const attempt = { status: 503, outcome: "retry" };
    const t = exportTotals([
      order({ exports: [{ export: { export_id: "a", intended_action: "fulfil_order" }, status: "acked", attempts: [attempt, attempt, { status: 200, outcome: "delivered" }] }] }),
      null,
      order({ exports: [{ export: { export_id: "b", intended_action: "fulfil_order" }, status: "rejected", attempts: [{ status: 422, outcome: "rejected" }] }] }),
    ]);
    expect(t).toEqual({ exports: 2, attempts: 4, retries: 2, byStatus: { acked: 1, rejected: 1 } });
  });

  it("nearest-rank percentiles", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([], 50)).toBeNaN();
  });

  it("renders the table with every row the issue asks for", () => {
    const s: Summary = {
      orders: 10,
      categories: { terminal: 7, on_hold_with_owner: 2, waiting_on_sla_clock: 1, sender_silent_with_owner: 0, silently_dropped: 0 },
      held: { consumer_rejected: 2 },
      waiting: { "payment clock": 1 },
      dropped: [],
      inbound: { webhooks: 40, requests: 45, lost: 2, redeliveries: 2, duplicatesSent: 5, duplicatesAbsorbed: 5, gaveUp: 0, silenced: 0, statuses: { "202": 40, "200": 5 } },
      latency: { count: 45, p50: 12, p99: 48, max: 60 },
      silences: [],
      exports: { exports: 14, attempts: 16, retries: 2, byStatus: { acked: 14 } },
      consumers: { deliveries: 16, redeliveries: 0, outage503: 2, rejected422: 2, slow: 0, badSignature: 0 },
      senders: {},
      wallSeconds: 90,
    };
    const text = renderSummary(s);
    for (const row of ["orders", "terminal", "on hold with owner", "SILENTLY DROPPED", "duplicates absorbed", "delivery attempts", "retries", "ack latency p50 / p99"]) expect(text).toContain(row);
    expect(text).toContain("12 ms / 48 ms");
    expect(text).not.toContain("MTTD");
  });

  it("breaks the results down per sender: what each sent, how the engine answered, what became of its orders", () => {
    const stats = (webhooks: number, requests: number, statuses: Record<string, number>, gaveUp = 0) => ({ webhooks, requests, failures: requests - webhooks, gaveUp, duplicateReceipts: 0, statuses });
    const senders = bySender(
      [
        { category: "terminal", labels: ["woo", "adyen", "easypost"] },
        { category: "terminal", labels: ["shop", "adyen", "carrier"] },
        { category: "silently_dropped", labels: ["woo", "hmac", "easypost"] },
      ],
      { woo: stats(3, 3, { "202": 2, "503": 1 }, 1), adyen: stats(2, 2, { "202": 2 }), wms: stats(4, 4, { "202": 4 }) },
    );
    expect(senders.woo).toEqual({ webhooks: 3, requests: 3, statuses: { "202": 2, "503": 1 }, duplicatesAbsorbed: 0, gaveUp: 1, orders: { terminal: 1, silently_dropped: 1 } });
    expect(senders.adyen?.orders).toEqual({ terminal: 2 });
    expect(senders.wms?.orders).toEqual({});
    expect(senders.hmac).toMatchObject({ webhooks: 0, orders: { silently_dropped: 1 } });
    const text = renderSummary({ ...EMPTY, senders });
    expect(text).toMatch(/ {2}woo +│ +3 \/ 3 │ 202 2, 503 1 · gave up 1 · orders: terminal 1, DROPPED 1/);
    expect(text).toMatch(/ {2}adyen +│ +2 \/ 2 │ 202 2 · orders: terminal 2/);
  });

  it("shows MTTD per silence fault, and an undetected one as such", () => {
    const base = { role: "shop", source: "shop", from: "2026-12-07T12:00:00.000Z", to: "2026-12-07T12:01:30.000Z", silence_after_ms: 30_000, sweep_every_ms: 10_000, goal_ms: 40_000 };
    const s: Summary = {
      orders: 3,
      categories: { terminal: 1, on_hold_with_owner: 0, waiting_on_sla_clock: 0, sender_silent_with_owner: 2, silently_dropped: 0 },
      held: {},
      waiting: {},
      dropped: [],
      inbound: { webhooks: 5, requests: 3, lost: 0, redeliveries: 0, duplicatesSent: 0, duplicatesAbsorbed: 0, gaveUp: 0, silenced: 2, statuses: { "202": 3 } },
      latency: { count: 3, p50: 12, p99: 48, max: 60 },
      silences: [
        { ...base, detected: true, task_id: "tk_s", owner: "ops@x.example", opened_at: "2026-12-07T12:00:36.500Z", last_verified_receipt_at: "2026-12-07T11:59:59.000Z", mttd_ms: 36_500, since_last_receipt_ms: 37_500, within_goal: true },
        { ...base, role: "stripe", source: "stripe", detected: false, task_id: null, owner: null, opened_at: null, last_verified_receipt_at: null, mttd_ms: null, since_last_receipt_ms: null, within_goal: false },
      ],
      exports: { exports: 0, attempts: 0, retries: 0, byStatus: {} },
      consumers: { deliveries: 0, redeliveries: 0, outage503: 0, rejected422: 0, slow: 0, badSignature: 0 },
      senders: {},
      wallSeconds: 100,
    };
    const text = renderSummary(s);
    expect(text).toMatch(/MTTD silence shop \(shop\) +│ +36\.5 s │ 37\.5 s after the last verified receipt: within goal 40\.0 s; task tk_s → ops@x\.example/);
    expect(text).toMatch(/MTTD silence stripe \(stripe\) +│ +NOT DETECTED/);
    expect(text).toMatch(/sender silent, outage owned +│ +2/);
    expect(text).toMatch(/withheld \(silence\) +│ +2/);
  });

  it("an order its silenced sender never sent counts as owned only when the outage has a task", () => {
    expect(classify(null, [], new Set(), "ops@x.example")).toEqual({ category: "sender_silent_with_owner", reason: "source_silent → ops@x.example" });
    expect(classify(null, [], new Set(), null).category).toBe("silently_dropped");
    // Known only from the payment (its orders/create was withheld): the outage owns it too.
    expect(classify(order({ state: "received" }), [], new Set(), "ops@x.example")).toEqual({ category: "sender_silent_with_owner", reason: "state received; source_silent → ops@x.example" });
    expect(classify(order({ state: "received" }), [], new Set(), null).category).toBe("silently_dropped");
  });
});

describe("ownership rules for the run", () => {
  const secrets = { wms: `whsec_${Buffer.alloc(24, 1).toString("base64")}`, carrier: `whsec_${Buffer.alloc(24, 2).toString("base64")}` };
  const original = parseStoredRules(StoredOwnershipRules.parse({ ...demoOwnershipRules("http://127.0.0.1:9999", secrets) }));

  it("keeps the tenant's owners, SLAs and policy, and hands routing and shipping to the simulator", () => {
    if (!original) throw new Error("demo rules should parse");
    const redacted = parseStoredRules({ ...original, steps: { ...original.steps, routing: { ...original.steps.routing, consumer: { url: "http://wms", secret: "sha256:1a2b3c4d", requires_ack: true } } } });
    if (!redacted) throw new Error("redacted rules should parse");
    const mine = { wms: secrets.carrier, carrier: secrets.wms };
    const rules = OwnershipRules.parse(simulatorRules(redacted, "http://127.0.0.1:4000", mine));
    expect(rules.steps.routing.consumer).toEqual({ url: "http://127.0.0.1:4000/wms", secret: mine.wms, requires_ack: true });
    expect(rules.steps.shipping.consumer?.url).toBe("http://127.0.0.1:4000/carrier");
    expect(rules.steps.payment.sla).toBe(original.steps.payment.sla);
    expect(rules.policy).toEqual(original.policy);
  });

  it("restores the original only with the real consumer secrets", () => {
    if (!original) throw new Error("demo rules should parse");
    const back = restoredRules(original, secrets);
    expect(back && OwnershipRules.parse(back).steps.routing.consumer).toEqual({ url: "http://127.0.0.1:9999/wms", secret: secrets.wms, requires_ack: true });
    expect(restoredRules(original, null)).toBeNull();
  });
});
