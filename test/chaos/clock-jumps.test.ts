import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { setClock } from "../helpers/handoff";
import { settleAlarms } from "../helpers/http";
import { Campaign, isOpenTask, LIFECYCLE, type Step } from "./campaign";

afterEach(settleAlarms);

const DAY = 24 * 3_600_000;

/** Where each order stalls, and the clocks (step → owner, backup, on-call) that must have breached after the jump. */
const STALLS: { name: string; steps: Step[]; breached: Record<string, [string, string, string]>; tasks: [string, string, string][] }[] = [
  { name: "created only", steps: ["created"], breached: { payment: ["finance@acme.example", "ops@acme.example", "pagerduty:acme-payments"] }, tasks: [["sla_breach", "payment", "finance@acme.example"]] },
  {
    name: "authorized, never captured",
    steps: ["created", "authorized"],
    breached: { payment: ["finance@acme.example", "ops@acme.example", "pagerduty:acme-payments"] },
    tasks: [["payment_not_captured", "payment", "finance@acme.example"]],
  },
  {
    name: "routed, warehouse silent",
    steps: ["created", "captured"],
    breached: {
      routing: ["routing@agency.example", "lead@agency.example", "pagerduty:agency-oncall"],
      fulfillment: ["warehouse@3pl-acme.example", "shift-lead@3pl-acme.example", "pagerduty:3pl-acme"],
    },
    tasks: [
      ["sla_breach", "routing", "routing@agency.example"],
      ["sla_breach", "fulfillment", "warehouse@3pl-acme.example"],
    ],
  },
  {
    name: "accepted, never shipped",
    steps: ["created", "captured", "accepted"],
    breached: { shipping: ["shipping@3pl-acme.example", "shift-lead@3pl-acme.example", "pagerduty:3pl-acme"] },
    tasks: [["sla_breach", "shipping", "shipping@3pl-acme.example"]],
  },
  {
    name: "shipped, never delivered",
    steps: ["created", "captured", "accepted", "shipped"],
    breached: { delivery: ["support@fastship.example", "escalations@fastship.example", "cx-lead@acme.example"] },
    tasks: [["sla_breach", "delivery", "support@fastship.example"]],
  },
  { name: "delivered", steps: [...LIFECYCLE], breached: {}, tasks: [] },
];

describe("chaos: the clock jumps past many deadlines at once", () => {
  it("one late alarm records every escalation level once; repeats and backward jumps change nothing; every stall has an owner", async () => {
    const c = await Campaign.open("chaos-jump");
    const ids = c.newOrders(STALLS.length);
    for (const [i, o] of ids.entries()) for (const s of STALLS[i]?.steps ?? []) await c.send(c.delivery(o, s));
    await c.runDue(ids, c.t0);

    // Ten days pass with no alarm (a platform incident, a laptop asleep), then one alarm fires.
    const late = c.t0 + 10 * DAY;
    const snapshot = async (o: string) => {
      const order = await c.order(o);
      return { breaches: order.breaches.map((b) => [b.step, b.level, b.contact, b.breached_at]), tasks: (await c.tasks(o)).map((t) => [t.task_id, t.status, t.level]) };
    };
    const first: Awaited<ReturnType<typeof snapshot>>[] = [];
    for (const [i, o] of ids.entries()) {
      const stall = STALLS[i];
      if (stall === undefined) continue;
      await setClock(c.stub(o), late);
      await runDurableObjectAlarm(c.stub(o));
      const order = await c.order(o);
      for (const [step, ladder] of Object.entries(stall.breached)) {
        const b = order.breaches.filter((x) => x.step === step);
        expect(b.map((x) => [x.level, x.contact]), `${stall.name}: ${step}`).toEqual(ladder.map((who, level) => [level, who]));
        expect(new Set(b.map((x) => x.breached_at)).size).toBe(1);
      }
      expect(Object.keys(stall.breached).sort(), stall.name).toEqual([...new Set(order.breaches.map((b) => b.step))].sort());
      const tasks = (await c.tasks(o)).filter(isOpenTask).map((t) => [t.type, t.step, t.owner]);
      expect(tasks.sort(), stall.name).toEqual([...stall.tasks].sort());
      first.push(await snapshot(o));
    }

    // The same alarm again (a platform retry), then a clock that steps back an hour (NTP): nothing new.
    for (const o of ids) {
      await setClock(c.stub(o), late);
      await runDurableObjectAlarm(c.stub(o));
      await setClock(c.stub(o), late - 3_600_000);
      await runDurableObjectAlarm(c.stub(o));
    }
    for (const [i, o] of ids.entries()) expect(await snapshot(o)).toEqual(first[i]);

    // Forward again by weeks: tasks climb their ladders, and every order is still terminal or owned.
    await c.runDue(ids, late + 21 * DAY);
    expect(await c.unowned(ids)).toEqual([]);
    const report = await c.invariants();
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ orders: STALLS.length, terminal: 1, owned: STALLS.length - 1 });
  }, 60_000);
});
