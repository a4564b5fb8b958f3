import { afterEach, describe, expect, it } from "vitest";
import type { Task } from "../../../domain/tasks/task";
import { freshScenario } from "../../helpers/consumer";
import { getOrder, handoffTenant, ORDER_DATA, post } from "../../helpers/handoff";
import { call, json, keyFor, settleAlarms } from "../../helpers/http";
import { level, sendStock, settleInventory } from "../../helpers/inventory";

// Inventory sweeps and order alarms still pending (deliveries, stock timers): slow on a loaded machine.
afterEach(async () => {
  await settleInventory();
  await settleAlarms();
}, 60_000);

const T0 = Date.parse("2026-12-07T10:00:00Z");
const TENANT = "rsv-resolve";
/** One mug per order, so one unit on hand covers exactly one of them. */
const ONE_MUG = { ...ORDER_DATA, line_items: [{ sku: "MUG-01", quantity: 1, unit_price_minor: 4200 }] };

function byAction(order: Awaited<ReturnType<typeof getOrder>>, action: string) {
  return order.exports.filter((e) => e.export.intended_action === action).map((e) => e.export);
}

/** An order whose capture does not cover its total: held (payment_mismatch) with a task, never routed. */
async function heldOrder(orderId: string): Promise<void> {
  expect((await post(TENANT, "wms", "order.created", orderId, T0 - 2000, ONE_MUG)).status).toBe(202);
  expect((await post(TENANT, "wms", "payment.captured", orderId, T0 - 1000, { amount: { amount_minor: 1000, currency: "EUR" }, payment_id: `pi_${orderId}` })).status).toBe(202);
}

async function mismatchTask(orderId: string, key: string): Promise<Task> {
  const res = await call("GET", `/v1/tenants/${TENANT}/tasks?type=payment_mismatch`, { token: key });
  expect(res.status).toBe(200);
  const task = (await json<{ tasks: Task[] }>(res)).tasks.find((t) => t.order_id === orderId);
  expect(task).toBeDefined();
  return task as Task;
}

async function approve(task: Task): Promise<void> {
  const body = { by: "alice", action: "close", resolution: "rest paid by bank transfer", justification: "finance confirmed the second payment" };
  const res = await call("POST", `/v1/tenants/${TENANT}/tasks/${task.task_id}/resolve`, { token: await keyFor(TENANT, "alice"), body });
  expect(res.status).toBe(200);
}

describe("an order made routable by a resolved task reserves stock like one made routable by an event", () => {
  it("one unit, two held orders: resolving both routes one and backorders the other; reserved never exceeds on hand", async () => {
    const key = await handoffTenant(TENANT, freshScenario(`${TENANT}-wms`), freshScenario(`${TENANT}-carrier`), (r) => {
      r.steps.backorder = { ...r.steps.routing, owner: "user:backorder-desk", sla: "PT4H" };
    });
    expect((await sendStock(TENANT, `snap-${TENANT}`, "inventory.snapshot", { sku: "MUG-01", on_hand: 1 }, "2026-12-07T09:00:00Z")).status).toBe(202);
    await heldOrder("o-r1");
    await heldOrder("o-r2");
    for (const id of ["o-r1", "o-r2"]) {
      const held = await getOrder(TENANT, id, key);
      expect(held.state).toBe("on_hold");
      expect(held.exports).toEqual([]);
    }
    // Held orders are not routable: nothing is reserved yet.
    expect(await level(TENANT, "MUG-01", key)).toMatchObject({ on_hand: 1, reserved: 0, available: 1 });

    await approve(await mismatchTask("o-r1", key));
    const first = await getOrder(TENANT, "o-r1", key);
    expect(byAction(first, "fulfil_order").map((e) => e.order.line_items)).toEqual([ONE_MUG.line_items]);
    expect(byAction(first, "backorder_order")).toEqual([]);
    expect(await level(TENANT, "MUG-01", key)).toMatchObject({ on_hand: 1, reserved: 1, available: 0 });

    await approve(await mismatchTask("o-r2", key));
    const second = await getOrder(TENANT, "o-r2", key);
    expect(second.state).toBe("backordered");
    expect(byAction(second, "fulfil_order")).toEqual([]);
    expect(byAction(second, "backorder_order")).toEqual([expect.objectContaining({ step: "backorder", owner: "user:backorder-desk" })]);
    expect(byAction(second, "backorder_order")[0]?.order.line_items).toEqual(ONE_MUG.line_items);

    const lvl = await level(TENANT, "MUG-01", key);
    expect(lvl).toMatchObject({ on_hand: 1, reserved: 1, available: 0 });
    // Both confirmed after their resolution's commit (the sweep gives back nothing): the unit to o-r1, o-r2 waits with none.
    expect(lvl.orders).toEqual([
      expect.objectContaining({ order_id: "o-r1", requested: 1, reserved: 1, status: "committed" }),
      expect.objectContaining({ order_id: "o-r2", requested: 1, reserved: 0, status: "committed" }),
    ]);
  });
});
