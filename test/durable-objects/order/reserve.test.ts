import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { InventoryDO } from "../../../durable-objects/inventory/InventoryDO";
import { exportId } from "../../../domain/handoff/document";
import { Webhook } from "standardwebhooks";
import { freshScenario, requests } from "../../helpers/consumer";
import { getOrder, handoffTenant, ORDER_DATA, orderStub, paidOrder, post, ROUTING_SECRET, setClock } from "../../helpers/handoff";
import { call, fireDue, json, settleAlarms } from "../../helpers/http";
import { inventoryStub, level, sendStock, settleInventory } from "../../helpers/inventory";

// Every inventory and order alarm still pending (sweeps, restock offers, deliveries): slow on a loaded machine.
afterEach(async () => {
  await settleInventory();
  await settleAlarms();
}, 60_000);

const T0 = Date.parse("2026-12-07T10:00:00Z");

/** Each tenant's WMS consumer scenario, to read what it received. */
const wmsOf = new Map<string, string>();

async function tenantWithStock(tenant: string, onHand: number | null): Promise<string> {
  const wms = freshScenario(`${tenant}-wms`);
  wmsOf.set(tenant, wms);
  const key = await handoffTenant(tenant, wms, freshScenario(`${tenant}-carrier`), (r) => {
    // The backorder step: its own owner and SLA, handed to the same WMS queue.
    r.steps.backorder = { ...r.steps.routing, owner: "user:backorder-desk", sla: "PT4H" };
  });
  if (onHand !== null) await sendStock(tenant, `snap-${tenant}`, "inventory.snapshot", { sku: "MUG-01", on_hand: onHand }, "2026-12-07T09:00:00Z");
  return key;
}

function byAction(order: Awaited<ReturnType<typeof getOrder>>, action: string) {
  return order.exports.filter((e) => e.export.intended_action === action).map((e) => e.export);
}

describe("the order object reserves stock when it becomes routable", () => {
  it("untracked SKU (no stock ever reported): routes the whole order exactly as before, reserves nothing", async () => {
    const key = await tenantWithStock("rsv-untracked", null);
    await paidOrder("rsv-untracked", "o-u", T0);
    const order = await getOrder("rsv-untracked", "o-u", key);
    expect(order.state).toBe("routed");
    expect(byAction(order, "fulfil_order").map((e) => e.order.line_items)).toEqual([ORDER_DATA.line_items]);
    expect(byAction(order, "backorder_order")).toEqual([]);
    expect((await level("rsv-untracked", "MUG-01", key)).orders).toEqual([]);
  });

  it("all in stock: routes everything and the hold is committed after the order's commit", async () => {
    const key = await tenantWithStock("rsv-all", 5);
    await paidOrder("rsv-all", "o-a", T0);
    const order = await getOrder("rsv-all", "o-a", key);
    expect(byAction(order, "fulfil_order").map((e) => e.order.line_items)).toEqual([ORDER_DATA.line_items]);
    expect(byAction(order, "backorder_order")).toEqual([]);
    const lvl = await level("rsv-all", "MUG-01", key);
    expect(lvl).toMatchObject({ on_hand: 5, reserved: 2, available: 3 });
    expect(lvl.orders).toEqual([expect.objectContaining({ order_id: "o-a", line: "0", requested: 2, reserved: 2, status: "committed" })]);
  });

  it("some: a routing export for the reserved unit and a backorder export (own owner, SLA) for the rest", async () => {
    const key = await tenantWithStock("rsv-some", 1);
    await paidOrder("rsv-some", "o-s", T0);
    const order = await getOrder("rsv-some", "o-s", key);
    expect(order.state).toBe("routed");
    const [route] = byAction(order, "fulfil_order");
    const [back] = byAction(order, "backorder_order");
    expect(route?.order.line_items).toEqual([{ ...ORDER_DATA.line_items[0], quantity: 1 }]);
    expect(back).toMatchObject({ export_id: exportId("backorder_order", 1, "o-s"), step: "backorder", owner: "user:backorder-desk" });
    expect(back?.order.line_items).toEqual([{ ...ORDER_DATA.line_items[0], quantity: 1 }]);
    expect(Date.parse(back?.sla.due_at ?? "") - Date.parse(back?.issued_at ?? "")).toBe(4 * 3600_000);
    expect(await level("rsv-some", "MUG-01", key)).toMatchObject({ on_hand: 1, reserved: 1, available: 0 });
    // Delivered to the backorder step's consumer, signed with its (sealed, then unsealed) secret.
    const backId = exportId("backorder_order", 1, "o-s");
    await expect.poll(async () => (await requests(wmsOf.get("rsv-some") ?? "")).map((r) => r.headers["webhook-id"]), { timeout: 5000 }).toContain(backId);
    const req = (await requests(wmsOf.get("rsv-some") ?? "")).find((r) => r.headers["webhook-id"] === backId);
    expect(() => new Webhook(ROUTING_SECRET).verify(req?.body ?? "", req?.headers ?? {})).not.toThrow();
  });

  it("none: no routing export, the order is backordered with a backorder export for everything", async () => {
    const key = await tenantWithStock("rsv-none", 0);
    await paidOrder("rsv-none", "o-n", T0);
    const order = await getOrder("rsv-none", "o-n", key);
    expect(order.state).toBe("backordered");
    expect(byAction(order, "fulfil_order")).toEqual([]);
    expect(byAction(order, "backorder_order").map((e) => e.order.line_items)).toEqual([ORDER_DATA.line_items]);
  });

  it("the backorder step runs its own SLA clock (its owner, its SLA) while backordered, and breaches like any step", async () => {
    const key = await tenantWithStock("rsv-bsla", 0);
    await paidOrder("rsv-bsla", "o-b", T0);
    const order = await getOrder("rsv-bsla", "o-b", key);
    const [back] = byAction(order, "backorder_order");
    const issued = Date.parse(back?.issued_at ?? "");
    // Routing was decided (nothing to route): its clock stopped; the backorder clock runs from the backorder export.
    expect(order.sla.map((c) => c.step)).not.toContain("routing");
    const clock = order.sla.find((c) => c.step === "backorder");
    expect(clock).toMatchObject({ since: "backorder_issued_at", owner: "user:backorder-desk", due_at: new Date(issued + 4 * 3600_000).toISOString() });

    const stub = orderStub("rsv-bsla", "o-b");
    // Past the backorder SLA: every timer made due on the object's clock, as the platform's alarm would.
    await setClock(stub, issued + 4 * 3600_000 + 1000);
    await fireDue(stub);
    const breached = await getOrder("rsv-bsla", "o-b", key);
    // (The test order is authorized, not captured: its payment clock breaches too, by its own rule.)
    expect(breached.breaches.filter((b) => b.step !== "payment").map((b) => [b.step, b.level, b.contact])).toEqual([["backorder", 0, "user:backorder-desk"]]);
    // The task reaches the D1 queue through the order's outbox, drained by a timer on the object's (pinned) clock.
    await fireDue(stub);
    const breachTasks = async () => {
      const body = await json<{ tasks: { type: string; step: string; owner: string }[] }>(await call("GET", "/v1/tenants/rsv-bsla/tasks?order_id=o-b&type=sla_breach", { token: key }));
      return body.tasks.map((t) => [t.step, t.owner]);
    };
    await expect.poll(breachTasks, { timeout: 10_000 }).toContainEqual(["backorder", "user:backorder-desk"]);
  });

  it("cancellation releases the order's units; a shipment consumes them", async () => {
    const key = await tenantWithStock("rsv-close", 5);
    await paidOrder("rsv-close", "o-c1", T0);
    await paidOrder("rsv-close", "o-c2", T0);
    expect((await level("rsv-close", "MUG-01", key)).reserved).toBe(4);
    expect((await post("rsv-close", "wms", "order.cancelled", "o-c1", T0 + 1000, { reason: "customer" })).status).toBe(202);
    await runDurableObjectAlarm(orderStub("rsv-close", "o-c1"));
    expect((await post("rsv-close", "wms", "fulfillment.accepted", "o-c2", T0 + 2000, {})).status).toBe(202);
    expect((await post("rsv-close", "carrier", "shipment.shipped", "o-c2", T0 + 3000, { carrier: "ups", tracking_number: "1Z" })).status).toBe(202);
    await runDurableObjectAlarm(orderStub("rsv-close", "o-c2"));
    // The platform's own alarm may be running the same timer: wait for its calls to land.
    await expect.poll(async () => (await level("rsv-close", "MUG-01", key)).on_hand, { timeout: 5000 }).toBe(3);
    const lvl = await level("rsv-close", "MUG-01", key);
    expect(lvl).toMatchObject({ on_hand: 3, reserved: 0, available: 3 });
    expect(lvl.orders.map((r) => [r.order_id, r.status, r.reason])).toEqual(
      expect.arrayContaining([["o-c1", "released", "cancelled"], ["o-c2", "consumed", null]]),
    );
  });

  it("crash between reserve and the order's commit: the hold is never confirmed, the sweep releases it, and the order asking again gets the units", async () => {
    const key = await tenantWithStock("rsv-crash", 2);
    // The order object reserved (the RPC landed) and died before its commit: nothing on the order's side.
    const inv = inventoryStub("rsv-crash", "MUG-01");
    const first = await inv.reserve({ tenant: "rsv-crash", sku: "MUG-01", orderId: "o-x", lines: [{ line: "0", quantity: 2 }] });
    expect(first).toMatchObject({ tracked: true, outcome: "all" });
    expect((await level("rsv-crash", "MUG-01", key)).available).toBe(0);
    await runInDurableObject(inv, (o) => {
      if (!(o instanceof InventoryDO)) throw new Error("not an InventoryDO");
      o.clock = () => Date.now() + 10 * 60_000;
    });
    await runDurableObjectAlarm(inv);
    const swept = await level("rsv-crash", "MUG-01", key);
    expect(swept).toMatchObject({ reserved: 0, available: 2 });
    expect(swept.orders[0]).toMatchObject({ order_id: "o-x", status: "released", reason: "uncommitted" });
    await runInDurableObject(inv, (o) => {
      if (o instanceof InventoryDO) o.clock = () => Date.now();
    });
    // The webhook is redelivered (the order never acknowledged it): the order reserves again and routes everything.
    await paidOrder("rsv-crash", "o-x", T0);
    const order = await getOrder("rsv-crash", "o-x", key);
    expect(byAction(order, "fulfil_order").map((e) => e.order.line_items)).toEqual([ORDER_DATA.line_items]);
    expect(await level("rsv-crash", "MUG-01", key)).toMatchObject({ reserved: 2, available: 0 });
    expect((await level("rsv-crash", "MUG-01", key)).orders[0]).toMatchObject({ status: "committed" });
  });
});
