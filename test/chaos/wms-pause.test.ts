import { afterEach, describe, expect, it } from "vitest";
import { exportId } from "../../domain/handoff/document";
import { ack, TEST_SLA } from "../helpers/handoff";
import { settleAlarms } from "../helpers/http";
import { mapPool } from "../helpers/invariants";
import { Campaign, rng, shuffle } from "./campaign";
import { workerJson } from "./transport";

afterEach(settleAlarms);

const MIN = 60_000;

describe("chaos: the warehouse feed pauses, then resumes", () => {
  it("no fulfillment.accepted for hours: breaches escalate to the warehouse's ladder; the backlog flushes and every order completes", async () => {
    const c = await Campaign.open("chaos-wms-pause");
    const random = rng(0x3a05e);
    const ids = c.newOrders(6);
    for (const o of ids) {
      await c.send(c.delivery(o, "created"));
      await c.send(c.delivery(o, "captured"));
    }
    await c.runDue(ids, c.t0);
    // The WMS takes every routing export and acks it: its API works, only its event feed is stuck.
    for (const o of ids) {
      await c.pinNow(o);
      expect((await ack(c.tenant, exportId("fulfil_order", 1, o), "accepted", undefined, undefined, c.clock)).status).toBe(200);
    }

    // Three fulfillment SLAs later, still nothing from the warehouse.
    const paused = c.t0 + 3 * TEST_SLA.fulfillment + 5 * MIN;
    await c.runDue(ids, paused);
    for (const o of ids) {
      const order = await c.order(o);
      expect(order.state).toBe("routed");
      expect(order.breaches.filter((b) => b.step === "fulfillment").map((b) => [b.level, b.contact])).toEqual([
        [0, "warehouse@3pl-acme.example"],
        [1, "shift-lead@3pl-acme.example"],
        [2, "pagerduty:3pl-acme"],
      ]);
      expect((await c.tasks(o)).filter((t) => t.status === "open").map((t) => [t.type, t.step, t.owner])).toEqual([["sla_breach", "fulfillment", "warehouse@3pl-acme.example"]]);
      await c.stub(o).flush();
    }
    // The queue people work from (D1) shows all of them.
    const queue = await workerJson<{ tasks: { order_id: string }[] }>("GET", `/v1/tenants/${c.tenant}/tasks?type=sla_breach&status=open`, { token: c.key });
    expect(queue.body.tasks.map((t) => t.order_id).sort()).toEqual([...ids].sort());

    // The feed resumes with its backlog, out of order: some orders were backordered first, some events come twice.
    c.clock = paused + MIN;
    const backlog = shuffle(
      ids.flatMap((o, i) => [...(i % 2 === 0 ? [c.delivery(o, "rejected", paused - 30 * MIN)] : []), c.delivery(o, "accepted", paused - 10 * MIN)]),
      random,
    );
    for (const d of backlog) {
      await c.send(d);
      if (random() < 0.3) await c.send(d);
    }
    // Shipping is handed to the carrier (a 2xx is its acknowledgement), which then reports its progress.
    await c.runDue(ids, c.clock);
    await mapPool(ids, 6, async (o) => {
      await c.send(c.delivery(o, "shipped", paused + 20 * MIN));
      await c.send(c.delivery(o, "delivered", paused + 60 * MIN));
    });
    await c.runDue(ids, c.clock + 1000);

    expect(await c.states(ids)).toEqual(ids.map(() => "delivered"));
    for (const o of ids) {
      const tasks = await c.tasks(o);
      expect(tasks.map((t) => [t.type, t.status])).toEqual([["sla_breach", "cancelled"]]);
      expect((await c.order(o)).breaches.every((b) => b.resolved_at !== null)).toBe(true);
    }
    const report = await c.invariants();
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ orders: 6, terminal: 6, exports: 12 });
  }, 60_000);
});
