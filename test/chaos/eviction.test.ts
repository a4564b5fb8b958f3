import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { exportId } from "../../domain/handoff/document";
import { requests, script } from "../helpers/consumer";
import { orderClocks, settleAlarms } from "../helpers/http";
import { Campaign } from "./campaign";

afterEach(settleAlarms);

describe("chaos: objects evicted mid-retry", () => {
  it("an object torn down between attempts re-arms from its timers and resumes the same schedule with the same webhook-id", async () => {
    const c = await Campaign.open("chaos-evict");
    const ids = c.newOrders(4);
    // Every order's first two attempts fail (the script answers in arrival order, one attempt per order per round).
    await script(c.wms, Array.from({ length: 2 * ids.length }, () => ({ status: 502 })), { status: 200 });
    for (const o of ids) {
      await c.send(c.delivery(o, "created"));
      await c.send(c.delivery(o, "captured"));
    }
    const evictAll = async (): Promise<void> => {
      for (const o of ids) {
        await evictDurableObject(c.stub(o));
        // The constructor repairs the alarm from the timers table; the pinned clock is gone, so runDue pins it again.
        // (An order with nothing left to do, its outbox drained by the requests themselves, holds no timer and no alarm.)
        const { alarm, timers } = await runInDurableObject(c.stub(o), async (i, state) => ({
          alarm: await state.storage.getAlarm(),
          // Stored timers and the SLA clocks derived from the order (durable-objects/order/clocks.ts).
          timers: orderClocks(i).all().length,
        }));
        expect(alarm !== null).toBe(timers > 0);
      }
    };
    await c.runDue(ids, c.t0);
    await evictAll();
    await c.runDue(ids, c.t0 + 10_000);
    await evictAll();
    await c.runDue(ids, c.t0 + 30_000);
    for (const o of ids) {
      const [e] = (await c.order(o)).exports;
      expect(e?.attempts.map((a) => [a.status, a.outcome])).toEqual([
        [502, "retry"],
        [502, "retry"],
        [200, "delivered"],
      ]);
    }
    const ids1 = new Set((await requests(c.wms)).map((r) => r.headers["webhook-id"]));
    expect(ids1).toEqual(new Set(ids.map((o) => exportId("fulfil_order", 1, o))));

    // Evicted while waiting for the ack, and again after each step of the lifecycle.
    await evictAll();
    for (const o of ids) await c.send(c.delivery(o, "accepted"));
    await evictAll();
    await c.runDue(ids, c.t0 + 60_000);
    await evictAll();
    for (const o of ids) {
      await c.send(c.delivery(o, "shipped"));
      await c.send(c.delivery(o, "delivered"));
    }
    await evictAll();
    expect(await c.states(ids)).toEqual(ids.map(() => "delivered"));
    const report = await c.invariants();
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ orders: 4, terminal: 4, exports: 8 });
  }, 60_000);
});
