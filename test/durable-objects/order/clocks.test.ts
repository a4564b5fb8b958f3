import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { OrderDO } from "../../../durable-objects/order/OrderDO";
import { freshScenario } from "../../helpers/consumer";
import { advance, getOrder, handoffTenant, ORDER_DATA, orderStub, post, setClock, TEST_SLA } from "../../helpers/handoff";
import { orderClocks, settleAlarms } from "../../helpers/http";

afterEach(settleAlarms);

/** The test clock: a minute ahead, so no alarm the tests schedule fires on its own. */
const t0 = () => Math.ceil((Date.now() + 60_000) / 1000) * 1000;

const slaRows = (o: DurableObjectStub<OrderDO>) =>
  runInDurableObject(o, (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM timers WHERE kind = 'sla'").one().n);

/** The payment clock as the alarm sees it, the earliest timer, and the alarm actually armed. */
const clocks = (o: DurableObjectStub<OrderDO>) =>
  runInDurableObject(o, async (i, state) => {
    const c = orderClocks(i);
    return { payment: c.get("sla", "payment")?.due_at ?? null, next: c.next(), alarm: await state.storage.getAlarm() };
  });

/** An order authorized and never captured: its payment clock runs from T0. */
async function authorized(tenant: string, orderId: string, T0: number): Promise<DurableObjectStub<OrderDO>> {
  const o = orderStub(tenant, orderId);
  await setClock(o, T0);
  expect((await post(tenant, "wms", "order.created", orderId, T0, { ...ORDER_DATA, total: { amount_minor: 100, currency: "EUR" } })).status).toBe(202);
  expect((await post(tenant, "wms", "payment.authorized", orderId, T0, { amount: { amount_minor: 100, currency: "EUR" } })).status).toBe(202);
  // The requests drain their commits; then the alarm rests on the earliest clock.
  await expect.poll(async () => ((c) => c.alarm === c.next)(await clocks(o)), { timeout: 10_000 }).toBe(true);
  return o;
}

describe("SLA clocks are derived from the order, not stored", () => {
  it("a running clock writes no timer row; the alarm, a restarted object and poke() all find it, and each level moves it", async () => {
    const key = await handoffTenant("slaclock", freshScenario("wms"), freshScenario("carrier"));
    const T0 = t0();
    const o = await authorized("slaclock", "o-1", T0);
    const due = T0 + TEST_SLA.payment;
    expect(await slaRows(o)).toBe(0);
    expect(await clocks(o)).toEqual({ payment: due, next: due, alarm: due });

    // A lost alarm: the object's start re-arms it from the derived clock.
    await runInDurableObject(o, (_i, state) => state.storage.deleteAlarm());
    await evictDurableObject(o);
    expect((await clocks(o)).alarm).toBe(due);

    // The sweep's nudge at the deadline runs the check as the alarm would.
    await setClock(o, due);
    expect((await o.poke()).due).toBe(1);
    let order = await getOrder("slaclock", "o-1", key);
    expect(order.breaches.map((b) => [b.step, b.level])).toEqual([["payment", 0]]);
    // The next level is due one interval on, still without a row.
    expect(await clocks(o)).toMatchObject({ payment: due + TEST_SLA.payment });
    expect(await slaRows(o)).toBe(0);

    await advance(o, due + 2 * TEST_SLA.payment);
    order = await getOrder("slaclock", "o-1", key);
    expect(order.breaches.map((b) => b.level)).toEqual([0, 1, 2]);
    // Past the top level the clock asks for no alarm.
    expect((await clocks(o)).payment).toBeNull();
    expect(await slaRows(o)).toBe(0);
  });

  it("an object from before keeps its sla timer row: it fires once, goes, and the derived clock takes over", async () => {
    const key = await handoffTenant("slaold", freshScenario("wms"), freshScenario("carrier"));
    const T0 = t0();
    const o = await authorized("slaold", "o-2", T0);
    const due = T0 + TEST_SLA.payment;
    // An older deploy kept the clock as a row; this one is early (a rule since relaxed), so it wins over the derived time.
    await runInDurableObject(o, (_i, state) => state.storage.sql.exec("INSERT INTO timers (kind, key, due_at) VALUES ('sla', 'payment', ?)", T0 + 1000));
    await evictDurableObject(o);
    expect(await clocks(o)).toEqual({ payment: T0 + 1000, next: T0 + 1000, alarm: T0 + 1000 });
    await setClock(o, T0 + 1000);
    expect(await runDurableObjectAlarm(o)).toBe(true);
    // Not due by the order's own clock: nothing breached, the row is gone, the alarm back at the derived deadline.
    expect((await getOrder("slaold", "o-2", key)).breaches).toEqual([]);
    expect(await slaRows(o)).toBe(0);
    expect(await clocks(o)).toEqual({ payment: due, next: due, alarm: due });
  });
});
