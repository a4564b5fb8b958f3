import { afterEach, describe, expect, it } from "vitest";
import { exportId } from "../../domain/handoff/document";
import { requests, script } from "../helpers/consumer";
import { TEST_RETRY } from "../helpers/handoff";
import { settleAlarms } from "../helpers/http";
import { mapPool } from "../helpers/invariants";
import { Campaign } from "./campaign";
import { workerCall } from "./transport";

afterEach(settleAlarms);

const MIN = 60_000;

describe("chaos: a consumer outage longer than the retry window", () => {
  it("retries run out into delivery_failed tasks with an owner; replayed after recovery, every order completes", async () => {
    const c = await Campaign.open("chaos-outage");
    // The WMS is down for the whole retry window (and rate-limits some attempts for good measure).
    await script(c.wms, [{ status: 503 }, { status: 429, headers: { "retry-after": "2" } }], { status: 503 });
    const ids = c.newOrders(4);
    for (const o of ids) {
      await c.send(c.delivery(o, "created"));
      await c.send(c.delivery(o, "captured"));
    }
    // Step through the retries: max_attempts (5) is reached within a minute of backoff.
    for (let s = 0; s <= 60; s += 5) await c.runDue(ids, c.t0 + s * 1000);

    const v1 = (o: string) => exportId("fulfil_order", 1, o);
    for (const o of ids) {
      const order = await c.order(o);
      expect(order.state).toBe("on_hold");
      expect(order.exports.map((e) => [e.export.export_id, e.status, e.attempts.length])).toEqual([[v1(o), "failed", TEST_RETRY.max_attempts]]);
      expect((await c.tasks(o)).filter((t) => t.status === "open").map((t) => [t.type, t.owner])).toEqual([["delivery_failed", "routing@agency.example"]]);
    }
    const log = await requests(c.wms);
    for (const o of ids) expect(log.filter((r) => r.headers["webhook-id"] === v1(o))).toHaveLength(TEST_RETRY.max_attempts);

    // Twenty minutes later the WMS is back; the on-call replays each task.
    await script(c.wms, [], { status: 200 });
    c.clock = c.t0 + 20 * MIN;
    await mapPool(ids, 2, async (o) => {
      await c.pinNow(o);
      const [task] = (await c.tasks(o)).filter((t) => t.type === "delivery_failed");
      const res = await workerCall("POST", `/v1/tenants/${c.tenant}/tasks/${task?.task_id ?? "none"}/resolve`, {
        token: c.key,
        body: { by: "oncall@agency.example", action: "replay", resolution: "WMS recovered", justification: "WMS outage over (INC-42)" },
      });
      expect(res.status).toBe(200);
    });
    await c.runDue(ids, c.clock);
    for (const o of ids) {
      expect((await c.order(o)).exports.map((e) => [e.export.version, e.status])).toEqual([
        [1, "superseded"],
        [2, "delivered"],
      ]);
    }
    // The warehouse works the backlog; the carrier ships and delivers.
    c.clock += MIN;
    for (const o of ids) await c.send(c.delivery(o, "accepted", c.clock - 30_000));
    await c.runDue(ids, c.clock);
    for (const o of ids) {
      await c.send(c.delivery(o, "shipped", c.clock));
      await c.send(c.delivery(o, "delivered", c.clock + 1000));
    }
    await c.runDue(ids, c.clock + 2000);

    expect(await c.states(ids)).toEqual(ids.map(() => "delivered"));
    const report = await c.invariants();
    expect(report.violations).toEqual([]);
    // v1 (failed), v2 (acked by the warehouse's acceptance) and the carrier's shipment request, per order.
    expect(report).toMatchObject({ orders: 4, terminal: 4, exports: 12 });
  }, 60_000);
});
