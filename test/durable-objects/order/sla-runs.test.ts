import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { exportId } from "../../../domain/handoff/document";
import type { Task } from "../../../domain/tasks/task";
import { OrderDO } from "../../../durable-objects/order/OrderDO";
import { freshScenario } from "../../helpers/consumer";
import { ack, advance, getOrder, handoffTenant, ORDER_DATA, orderStub, paidOrder, post, setClock, TEST_SLA } from "../../helpers/handoff";
import { call, json, orderClocks, settleAlarms } from "../../helpers/http";

afterEach(settleAlarms);

/** The test clock: a minute ahead, so no alarm the tests schedule fires on its own. */
const t0 = () => Math.ceil((Date.now() + 60_000) / 1000) * 1000;

const breachesOf = async (tenant: string, orderId: string, key: string) =>
  (await getOrder(tenant, orderId, key)).breaches.map((b) => [b.step, b.run, b.level, b.resolved_at !== null]);

async function tasksOf(tenant: string, key: string, type: string): Promise<Task[]> {
  const res = await call("GET", `/v1/tenants/${tenant}/tasks?type=${type}`, { token: key });
  expect(res.status).toBe(200);
  return (await json<{ tasks: Task[] }>(res)).tasks;
}

/** The order's SLA audit entries: type, step, run (null: an entry that names none). */
const trail = (o: DurableObjectStub<OrderDO>) =>
  runInDurableObject(o, async (i) => {
    if (!(i instanceof OrderDO)) throw new Error("not an order object");
    return (await i.getAudit()).entries
      .filter((e) => e.type.startsWith("sla."))
      .map((e) => {
        const d = e.data as { step: string; run?: number };
        return [e.type, d.step, d.run ?? null];
      });
  });

/** A tenant with the test rules and one order object, its clock pinned at T0. */
async function start(tenant: string, orderId: string) {
  const key = await handoffTenant(tenant, freshScenario("wms"), freshScenario("carrier"));
  const T0 = t0();
  const o = orderStub(tenant, orderId);
  await setClock(o, T0);
  return { key, T0, o };
}

describe("a step that restarts breaches again, through the order object", () => {
  it("routing breaches, the warehouse accepts, a late fact changes the decision: the new run breaches, pages and opens its own task; D1 holds both runs", async () => {
    const tenant = "slaruns";
    const { key, T0, o } = await start(tenant, "o-1");
    await paidOrder(tenant, "o-1", T0);
    await advance(o, T0); // routing v1 delivered, its ack awaited
    const due = T0 - 1000 + TEST_SLA.routing; // routing runs from the capture
    await advance(o, due);
    expect(await breachesOf(tenant, "o-1", key)).toEqual([["routing", 0, 0, false]]);

    // The warehouse accepts, late: routing has its answer, its clock stops and the first run recovers.
    await setClock(o, due + 1000);
    expect((await ack(tenant, exportId("fulfil_order", 1, "o-1"), "accepted", undefined, undefined, due + 1000)).status).toBe(200);
    expect(await breachesOf(tenant, "o-1", key)).toEqual([["routing", 0, 0, true]]);

    // A late fact claiming a pre-capture time changes the address: v1 is cancelled with the warehouse and v2
    // planned, so routing runs again (from the capture, so already past due) and no warehouse holds an answer.
    await setClock(o, due + 2000);
    const shipping_address = { ...ORDER_DATA.shipping_address, address1: "2 Difference Engine Rd" };
    expect((await post(tenant, "wms", "order.updated", "o-1", T0 - 1500, { shipping_address })).status).toBe(202);
    expect(await runInDurableObject(o, (i) => orderClocks(i).get("sla", "routing")?.due_at)).toBe(due);
    await advance(o, due + 2000);
    const order = await getOrder(tenant, "o-1", key);
    expect(order.exports.map((e) => [e.export.version, e.status])).toEqual([
      [1, "cancelling"],
      [2, "awaiting_cancellation"],
    ]);
    expect(order.breaches.map((b) => [b.step, b.run, b.level, b.resolved_at !== null, b.since_at])).toEqual([
      ["routing", 0, 0, true, new Date(T0 - 1000).toISOString()],
      ["routing", 1, 0, false, new Date(T0 - 1000).toISOString()],
    ]);
    // GET …/orders/:id shows the running clock (since the capture) and which run each breach is of.
    expect(order.sla.find((c) => c.step === "routing")).toMatchObject({ since: "captured_at", due_at: new Date(due).toISOString() });
    expect(await trail(o)).toEqual([
      ["sla.breached", "routing", 0],
      ["sla.recovered", "routing", null],
      ["sla.breached", "routing", 1],
    ]);
    // Its next level is derived for this run: one interval on, not "done" because run 0 was.
    expect(await runInDurableObject(o, (i) => orderClocks(i).get("sla", "routing")?.due_at)).toBe(due + TEST_SLA.routing);

    await o.flush();
    const breachTasks = await tasksOf(tenant, key, "sla_breach");
    // The first run's task was closed when its run recovered; the new run has its own (a new id, so the notifier tells its owner afresh).
    expect(breachTasks.map((t) => [t.ref, t.status]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ["sla:routing", "cancelled"],
      ["sla:routing#1", "open"],
    ]);
    const d1 = await env.DB.prepare("SELECT step, run, level, resolved_at IS NOT NULL AS resolved FROM sla_breaches WHERE tenant_id = ? AND order_id = ? ORDER BY run, level")
      .bind(tenant, "o-1")
      .all<{ step: string; run: number; level: number; resolved: number }>();
    expect(d1.results).toEqual([
      { step: "routing", run: 0, level: 0, resolved: 1 },
      { step: "routing", run: 1, level: 0, resolved: 0 },
    ]);
  });

  it("an object from before runs: its (step, level) rows become run 0 at start and keep their meaning, the open run escalating from where it was", async () => {
    const tenant = "slarunsold";
    const { key, T0, o } = await start(tenant, "o-2");
    expect((await post(tenant, "wms", "order.created", "o-2", T0, { ...ORDER_DATA, total: { amount_minor: 100, currency: "EUR" } })).status).toBe(202);
    expect((await post(tenant, "wms", "payment.authorized", "o-2", T0, { amount: { amount_minor: 100, currency: "EUR" } })).status).toBe(202);
    const due = T0 + TEST_SLA.payment;
    await advance(o, due);
    expect(await breachesOf(tenant, "o-2", key)).toEqual([["payment", 0, 0, false]]);

    // As an older deploy left it: breaches keyed by (step, level), no run and no start.
    await runInDurableObject(o, (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("ALTER TABLE breaches RENAME TO breaches_new");
      sql.exec(`CREATE TABLE breaches (step TEXT NOT NULL, level INTEGER NOT NULL, due_at INTEGER NOT NULL, breached_at INTEGER NOT NULL,
        contact TEXT NOT NULL, owning_party TEXT NOT NULL, resolved_at INTEGER, PRIMARY KEY (step, level)) WITHOUT ROWID`);
      sql.exec("INSERT INTO breaches SELECT step, level, due_at, breached_at, contact, owning_party, resolved_at FROM breaches_new");
      sql.exec("DROP TABLE breaches_new");
    });
    await evictDurableObject(o);
    const order = await getOrder(tenant, "o-2", key);
    expect(order.breaches).toEqual([expect.objectContaining({ step: "payment", run: 0, level: 0, since_at: null, resolved_at: null })]);
    // The old row is still the open run's level 0: the next alarm escalates it, and does not breach it again.
    await setClock(o, due);
    expect(await runInDurableObject(o, (i) => orderClocks(i).get("sla", "payment")?.due_at)).toBe(due + TEST_SLA.payment);
    await advance(o, due + TEST_SLA.payment);
    expect(await breachesOf(tenant, "o-2", key)).toEqual([
      ["payment", 0, 0, false],
      ["payment", 0, 1, false],
    ]);
    expect(await trail(o)).toEqual([
      ["sla.breached", "payment", 0],
      ["sla.escalated", "payment", 0],
    ]);
  });
});
