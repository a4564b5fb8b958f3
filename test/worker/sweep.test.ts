import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { sweepStalled, STALL_GRACE_MS } from "../../worker/sweep";
import { freshScenario } from "../helpers/consumer";
import { getOrder, handoffTenant, orderStub, ORDER_DATA, post, setClock, TEST_SLA } from "../helpers/handoff";
import { settleAlarms } from "../helpers/http";

afterEach(settleAlarms);

describe("the cron sweep is the belt to the alarms' braces", () => {
  it("an order whose alarm was lost past its SLA deadline is poked into breaching", async () => {
    const key = await handoffTenant("sweep", freshScenario("wms"), freshScenario("carrier"));
    const t0 = Date.now();
    expect((await post("sweep", "wms", "order.created", "w-1", t0, ORDER_DATA)).status).toBe(202);
    const o = orderStub("sweep", "w-1");
    await o.flush();
    // The alarm is lost (e.g. given up after its retries) and the payment deadline passes.
    await runInDurableObject(o, async (_i, state) => {
      await state.storage.deleteAlarm();
    });
    const later = t0 + TEST_SLA.payment + 2 * STALL_GRACE_MS;
    await setClock(o, later);
    expect((await getOrder("sweep", "w-1", key)).breaches).toEqual([]);

    const r = await sweepStalled(env, later);
    expect(r).toMatchObject({ checked: 1, poked: 1 });
    expect(r.due).toBeGreaterThan(0);
    expect((await getOrder("sweep", "w-1", key)).breaches.map((b) => [b.step, b.level, b.contact])).toEqual([["payment", 0, "finance@acme.example"]]);
  });

  it("leaves terminal and fresh orders alone", async () => {
    expect(await sweepStalled(env, Date.now())).toMatchObject({ poked: expect.any(Number) });
    const none = await sweepStalled(env, 0);
    expect(none.checked).toBe(0);
  });
});
