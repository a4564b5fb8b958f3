import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { exportId } from "../../../domain/handoff/document";
import type { OrderDO } from "../../../durable-objects/order/OrderDO";
import { freshScenario, script } from "../../helpers/consumer";
import { DRAIN_BACKSTOP_HORIZON_MS } from "../../../domain/order/commit";
import { ack, advance, getOrder, handoffTenant, ORDER_DATA, orderStub, paidOrder, post, setClock, TEST_RETRY, TEST_SLA } from "../../helpers/handoff";
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

/** The routing export's timer columns, and how many timer rows of its kinds the object holds. */
const exportTimers = (o: DurableObjectStub<OrderDO>, id: string) =>
  runInDurableObject(o, (i, state) => ({
    row: state.storage.sql.exec<{ deliver_at: number | null; ack_due_at: number | null; ttl_at: number | null }>("SELECT deliver_at, ack_due_at, ttl_at FROM exports WHERE export_id = ?", id).one(),
    rows: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM timers WHERE kind IN ('deliver', 'ack', 'ttl')").one().n,
    next: orderClocks(i).next(),
  }));

/** A paid order (at T0) whose warehouse answers the first delivery 502: its routing export is issued, not yet sent. */
async function paidWithOutage(tenant: string, orderId: string) {
  const wms = freshScenario("wms");
  const key = await handoffTenant(tenant, wms, freshScenario("carrier"));
  await script(wms, [{ status: 502 }]);
  const T0 = t0();
  const o = orderStub(tenant, orderId);
  await setClock(o, T0);
  await paidOrder(tenant, orderId, T0);
  return { key, T0, o, id: exportId("fulfil_order", 1, orderId) };
}

describe("an export's timers are columns of its row", () => {
  it("issued, retried, delivered: the delivery and ack clocks move on the export's row, never a timer row", async () => {
    const { key, T0, o, id } = await paidWithOutage("exptimers", "o-3");
    // Issued: its first delivery is due at once.
    expect(await exportTimers(o, id)).toMatchObject({ row: { deliver_at: T0, ack_due_at: null }, rows: 0, next: T0 });
    await advance(o, T0);
    // The 502 is retried: the next attempt is the row's column, shown as the export's next_attempt_at.
    const retry = (await exportTimers(o, id)).row.deliver_at;
    expect(retry).toBeGreaterThan(T0);
    expect(retry).toBeLessThanOrEqual(T0 + TEST_RETRY.max_interval);
    expect((await getOrder("exptimers", "o-3", key)).exports[0]?.next_attempt_at).toBe(new Date(retry ?? 0).toISOString());
    await advance(o, T0 + TEST_RETRY.max_interval);
    // Delivered: no attempt due, the ack awaited for one routing SLA.
    expect(await exportTimers(o, id)).toMatchObject({ row: { deliver_at: null, ack_due_at: T0 + TEST_RETRY.max_interval + TEST_SLA.routing }, rows: 0 });
    const order = await getOrder("exptimers", "o-3", key);
    expect(order.exports[0]).toMatchObject({ status: "delivered", next_attempt_at: null });
    expect(order.exports[0]?.attempts.map((a) => a.status)).toEqual([502, 200]);
  });

  it("an object from before (timer rows, no columns) gains the columns at start and its retry goes on", async () => {
    const { key, T0, o, id } = await paidWithOutage("exptold", "o-4");
    await advance(o, T0);
    // As an older deploy left it: the retry a row of the timers table, the exports table without the columns.
    const retry = await runInDurableObject(o, (_i, state) => {
      const sql = state.storage.sql;
      const due = sql.exec<{ d: number }>("SELECT deliver_at AS d FROM exports WHERE export_id = ?", id).one().d;
      sql.exec("INSERT INTO timers (kind, key, due_at) VALUES ('deliver', ?, ?)", id, due);
      for (const col of ["deliver_at", "ack_due_at", "ttl_at"]) sql.exec(`ALTER TABLE exports DROP COLUMN ${col}`);
      return due;
    });
    await evictDurableObject(o);
    // The start adds the columns and arms the alarm from the row.
    expect(await exportTimers(o, id)).toMatchObject({ row: { deliver_at: null }, rows: 1, next: retry });
    expect((await getOrder("exptold", "o-4", key)).exports[0]?.next_attempt_at).toBe(new Date(retry).toISOString());
    await advance(o, T0 + TEST_RETRY.max_interval);
    expect((await getOrder("exptold", "o-4", key)).exports[0]?.attempts.map((a) => a.status)).toEqual([502, 200]);
    // The row went with the delivery; the ack clock is the row's column.
    expect(await exportTimers(o, id)).toMatchObject({ row: { deliver_at: null, ack_due_at: T0 + TEST_RETRY.max_interval + TEST_SLA.routing }, rows: 0 });
  });
});

/** The clocks the live object holds (its memo), then the same read by a fresh instance from storage alone. */
async function memoAndFresh(o: DurableObjectStub<OrderDO>) {
  const held = await runInDurableObject(o, (i) => orderClocks(i).all());
  await evictDurableObject(o);
  const fresh = await runInDurableObject(o, (i) => orderClocks(i).all());
  return { held, fresh };
}

/** A tenant and an order authorized at T0, its payment clock running: the clock, due at `due`. */
async function paymentClock(tenant: string, orderId: string) {
  await handoffTenant(tenant, freshScenario("wms"), freshScenario("carrier"));
  const T0 = t0();
  return { T0, o: await authorized(tenant, orderId, T0), due: T0 + TEST_SLA.payment };
}

describe("the clocks are derived once per state of the store", () => {
  it("asked again with nothing written, the same derivation answers; any write, through the store or not, and a rolled-back one, derives them again", async () => {
    const { T0, o, due } = await paymentClock("slamemo", "o-5");
    await runInDurableObject(o, async (i, state) => {
      const c = orderClocks(i);
      const first = c.all();
      expect(c.all()).toBe(first);
      expect(c.next()).toBe(due);
      // The alarm's own row moves no clock: written through untouchedBy, the derivation stands.
      await c.untouchedBy(() => state.storage.setAlarm(due + 1));
      expect(c.all()).toBe(first);
      // Written past it, the count moved: derived again, to the same clocks.
      await state.storage.setAlarm(due);
      expect(c.all()).not.toBe(first);
      expect(c.all()).toEqual(first);
      // A write that bypasses the store (an old deploy's row, a repair by hand) is seen at once.
      state.storage.sql.exec("INSERT INTO timers (kind, key, due_at) VALUES ('sla', 'payment', ?)", T0 + 1000);
      expect(c.next()).toBe(T0 + 1000);
      state.storage.sql.exec("DELETE FROM timers WHERE kind = 'sla'");
      expect(c.next()).toBe(due);
      // A transaction that rolled back (every one goes through the object's tx, which forgets what it read)
      // leaves the clocks as they were, derived again, not as the transaction had written them.
      const tx = (fn: () => void) => (i as unknown as { tx(f: () => void): void }).tx(fn);
      expect(() =>
        tx(() => {
          state.storage.sql.exec("INSERT INTO timers (kind, key, due_at) VALUES ('task', 'x', ?)", T0 + 5);
          expect(c.next()).toBe(T0 + 5);
          throw new Error("rolled back");
        }),
      ).toThrow("rolled back");
      expect(c.next()).toBe(due);
    });
  });

  it("at every step of a lifecycle (breach, capture, delivery, ack) the clocks held equal those a fresh object derives", async () => {
    const key = await handoffTenant("slafresh", freshScenario("wms"), freshScenario("carrier"));
    const T0 = t0();
    const o = await authorized("slafresh", "o-6", T0);
    const steps: { held: unknown; fresh: unknown }[] = [await memoAndFresh(o)];
    // The payment deadline passes: a breach, the clock at its next level.
    await advance(o, T0 + TEST_SLA.payment);
    steps.push(await memoAndFresh(o));
    // Captured: the payment clock stops, routing's runs, its export is due at once.
    const T1 = T0 + TEST_SLA.payment + 1000;
    await setClock(o, T1);
    expect((await post("slafresh", "wms", "payment.captured", "o-6", T1, { amount: { amount_minor: 100, currency: "EUR" }, payment_id: "pi_6" })).status).toBe(202);
    steps.push(await memoAndFresh(o));
    // Delivered: the ack clock on the export's row.
    await advance(o, T1);
    steps.push(await memoAndFresh(o));
    const id = exportId("fulfil_order", 1, "o-6");
    expect((await getOrder("slafresh", "o-6", key)).exports[0]?.status).toBe("delivered");
    // Acked: the ack clock goes, fulfillment's runs.
    await setClock(o, T1 + 1000);
    expect((await ack("slafresh", id, "accepted", undefined, undefined, T1 + 1000)).status).toBeLessThan(300);
    steps.push(await memoAndFresh(o));
    for (const s of steps) expect(s.held).toEqual(s.fresh);
    // The walk moved the clocks: each step compared something new.
    expect(new Set(steps.map((s) => JSON.stringify(s.fresh))).size).toBe(steps.length);
  });
});

describe("a stored row that no longer parses does not leave the order without an alarm", () => {
  it("an unparseable fact: the object starts, arms its alarm within the horizon, says why; its alarm runs; repaired, the clock is back", async () => {
    const { T0, o, due } = await paymentClock("slabad", "o-7");
    const original = await runInDurableObject(o, async (_i, state) => {
      // A fact rides on its commit's audit block (fact-rows.ts): the first block that carries one.
      const row = state.storage.sql.exec<{ id: number; json: string }>("SELECT last_seq AS id, facts AS json FROM audit_blocks WHERE facts IS NOT NULL ORDER BY last_seq LIMIT 1").one();
      state.storage.sql.exec("UPDATE audit_blocks SET facts = '{not json' WHERE last_seq = ?", row.id);
      await state.storage.deleteAlarm();
      return row;
    });
    await evictDurableObject(o);
    const before = Date.now();
    const seen = await runInDurableObject(o, async (i, state) => ({ failure: orderClocks(i).failure(), next: orderClocks(i).next(), alarm: await state.storage.getAlarm() }));
    expect(seen.failure).toMatch(/JSON/);
    // No stored timer: the alarm is the retry, one horizon after the start re-armed it.
    expect(seen.next).toBeNull();
    expect(seen.alarm).toBeGreaterThanOrEqual(before);
    expect(seen.alarm).toBeLessThanOrEqual(Date.now() + DRAIN_BACKSTOP_HORIZON_MS);
    // The retry fires: nothing throws, and it comes back again.
    expect(await runDurableObjectAlarm(o)).toBe(true);
    expect(await runInDurableObject(o, (_i, state) => state.storage.getAlarm())).toBeGreaterThan(Date.now());
    // Repaired (the write moves the store's count): the next re-arm finds the payment clock.
    await runInDurableObject(o, (_i, state) => state.storage.sql.exec("UPDATE audit_blocks SET facts = ? WHERE last_seq = ?", original.json, original.id));
    await evictDurableObject(o);
    const repaired = await clocks(o);
    expect(repaired).toMatchObject({ payment: due, next: due });
    // A restarted object never postpones an alarm before D1 has said how far it holds the chain (watermark.ts):
    // the retry stays where it was, earlier than the clock, and its run moves the alarm to the clock.
    expect(repaired.alarm).toBeLessThanOrEqual(due);
    expect(await runDurableObjectAlarm(o)).toBe(true);
    expect(await clocks(o)).toEqual({ payment: due, next: due, alarm: due });
    expect(await runInDurableObject(o, (i) => orderClocks(i).failure())).toBeNull();
  });

  it("an unparseable export body: the stored delivery timer still arms the alarm, and the failure is known", async () => {
    const { T0, o, id } = await paidWithOutage("slabadexp", "o-8");
    const body = await runInDurableObject(o, (_i, state) => {
      const b = state.storage.sql.exec<{ body: string }>("SELECT body FROM exports WHERE export_id = ?", id).one().body;
      state.storage.sql.exec("UPDATE exports SET body = 'not json' WHERE export_id = ?", id);
      return b;
    });
    await runInDurableObject(o, (_i, state) => state.storage.deleteAlarm());
    await evictDurableObject(o);
    const seen = await runInDurableObject(o, async (i, state) => ({ failure: orderClocks(i).failure(), all: orderClocks(i).all(), alarm: await state.storage.getAlarm() }));
    expect(seen.failure).not.toBeNull();
    // Its first delivery, due at T0, is a column of its row: still served, and the alarm is at it.
    expect(seen.all.map((t) => [t.kind, t.key, t.due_at])).toEqual([["deliver", id, T0]]);
    expect(seen.alarm).toBe(T0);
    await runInDurableObject(o, (_i, state) => state.storage.sql.exec("UPDATE exports SET body = ? WHERE export_id = ?", body, id));
    expect(await runInDurableObject(o, (i) => orderClocks(i).failure())).toBeNull();
  });
});
