import { expect } from "vitest";
import type { OrderDO } from "../../../durable-objects/order/OrderDO";
import type { Task } from "../../../domain/tasks/task";
import { freshScenario, script } from "../../helpers/consumer";
import { advance, handoffTenant, orderStub, ORDER_DATA, post, setClock } from "../../helpers/handoff";
import { call, json } from "../../helpers/http";

export interface RejectedOrder {
  key: string;
  wms: string;
  stub: DurableObjectStub<OrderDO>;
  t0: number;
  task: Omit<Task, "evidence">;
}

/** A whole second a minute ahead: the object's clock is pinned there, like the other handoff tests. */
export function t0(): number {
  return Math.ceil((Date.now() + 60_000) / 1000) * 1000;
}

/**
 * A tenant whose WMS refuses the routing export: the paid order goes on hold
 * and a consumer_rejected task opens (drained to D1, where the queue reads it).
 */
export async function rejectedOrder(
  tenant: string,
  orderId: string,
  opts: { consumerBody?: string; shippingName?: string; existingKey?: string } = {},
): Promise<RejectedOrder> {
  const wms = freshScenario("wms");
  const key = opts.existingKey ?? (await handoffTenant(tenant, wms, freshScenario("carrier")));
  await script(wms, [{ status: 422, body: opts.consumerBody ?? '{"error":"unknown SKU MUG-01"}' }]);
  const at = t0();
  const stub = orderStub(tenant, orderId);
  await setClock(stub, at);
  const data = { ...ORDER_DATA, shipping_address: { ...ORDER_DATA.shipping_address, name: opts.shippingName ?? "Ada" } };
  expect((await post(tenant, "wms", "order.created", orderId, at - 2000, data)).status).toBe(202);
  expect((await post(tenant, "wms", "payment.captured", orderId, at - 1000, { amount: ORDER_DATA.total, payment_id: "pi_1" })).status).toBe(202);
  await advance(stub, at);
  await stub.flush();
  const res = await call("GET", `/v1/tenants/${tenant}/tasks?type=consumer_rejected&order_id=${encodeURIComponent(orderId)}`, { token: key });
  const [task] = (await json<{ tasks: Omit<Task, "evidence">[] }>(res)).tasks;
  if (!task) throw new Error("no consumer_rejected task opened");
  return { key, wms, stub, t0: at, task };
}

export async function apiTask(tenant: string, key: string, id: string): Promise<Task> {
  const res = await call("GET", `/v1/tenants/${tenant}/tasks/${id}`, { token: key });
  expect(res.status).toBe(200);
  return (await json<{ task: Task }>(res)).task;
}
