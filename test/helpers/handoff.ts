import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { OrderDO } from "../../durable-objects/order/OrderDO";
import type { OrderSnapshot } from "../../domain/order/object";
import type { OwnershipRules } from "../../domain/ownership/schema";
import { standardHeaders } from "../../cli/sign";
import { consumerUrl } from "./consumer";
import { call, json, SECRETS, seedTenant } from "./http";
import { EXAMPLE_CONSUMER_SECRETS, exampleRules } from "./ownership";
import { putOwnership } from "./ownership-api";

export const ROUTING_SECRET = EXAMPLE_CONSUMER_SECRETS.routing;
export const SHIPPING_SECRET = EXAMPLE_CONSUMER_SECRETS.shipping;

/** Short, distinct SLAs so tests can step past each one. */
export const TEST_SLA = { payment: 3_600_000, routing: 600_000, fulfillment: 1_800_000, shipping: 3_600_000, delivery: 7_200_000 };
export const TEST_RETRY = { initial: 1000, max_interval: 8000, max_attempts: 5, max_age: 3_600_000 };

export function handoffRules(wms: string, carrier: string, patch: (r: OwnershipRules) => void = () => {}): OwnershipRules {
  const r = exampleRules();
  r.steps.payment.sla = "PT1H";
  r.steps.routing.sla = "PT10M";
  r.steps.fulfillment.sla = "PT30M";
  r.steps.shipping.sla = "PT1H";
  r.steps.delivery.sla = "PT2H";
  if (r.steps.routing.consumer) r.steps.routing.consumer.url = consumerUrl(wms);
  if (r.steps.shipping.consumer) r.steps.shipping.consumer.url = consumerUrl(carrier);
  r.policy.retry = { initial: "PT1S", max_interval: "PT8S", max_attempts: 5, max_age: "PT1H" };
  patch(r);
  return r;
}

/** A tenant with senders (shop, stripe, wms, carrier) and ownership rules pointing at the test consumer. */
export async function handoffTenant(tenant: string, wms: string, carrier: string, patch?: (r: OwnershipRules) => void): Promise<string> {
  const key = await seedTenant(tenant);
  await putOwnership(tenant, handoffRules(wms, carrier, patch));
  return key;
}

export { orderStub } from "./order-namespace";

/** Pins the object's clock (lost on eviction: set it again after one). */
export async function setClock(stub: DurableObjectStub<OrderDO>, t: number): Promise<void> {
  await runInDurableObject(stub, (instance) => {
    if (!(instance instanceof OrderDO)) throw new Error("not an OrderDO");
    instance.clock = () => t;
  });
}

/** Moves the object's clock to `t` and runs its alarm, as the platform would at that time. */
export async function advance(stub: DurableObjectStub<OrderDO>, t: number): Promise<void> {
  await setClock(stub, t);
  await runDurableObjectAlarm(stub);
}

/** A canonical event posted by a Standard Webhooks sender, with an explicit event time. */
export async function post(tenant: string, source: "wms" | "carrier", type: string, orderId: string, at: number, data: Record<string, unknown>, id = `msg_${type}_${orderId}_${at}`): Promise<Response> {
  const body = JSON.stringify({ type, order_id: orderId, occurred_at: new Date(at).toISOString(), data });
  const headers = await standardHeaders({ body, secret: SECRETS.standard, id });
  return call("POST", `/v1/tenants/${tenant}/webhooks/${source}`, { raw: body, headers });
}

export const ORDER_DATA = {
  total: { amount_minor: 4200, currency: "EUR" },
  line_items: [{ sku: "MUG-01", quantity: 2, unit_price_minor: 2100 }],
  shipping_address: { name: "Ada", address1: "1 Loop Rd", city: "Lyon", zip: "69001", country_code: "FR" },
};

/** An order created and captured at `t0` (through the wms sender, so times are the test's). */
export async function paidOrder(tenant: string, orderId: string, t0: number): Promise<void> {
  expect((await post(tenant, "wms", "order.created", orderId, t0 - 2000, ORDER_DATA)).status).toBe(202);
  expect((await post(tenant, "wms", "payment.captured", orderId, t0 - 1000, { amount: ORDER_DATA.total, payment_id: "pi_1" })).status).toBe(202);
}

export async function getOrder(tenant: string, orderId: string, key: string): Promise<OrderSnapshot> {
  const res = await call("GET", `/v1/tenants/${tenant}/orders/${orderId}`, { token: key });
  expect(res.status).toBe(200);
  return (await json<{ order: OrderSnapshot }>(res)).order;
}

/** `atMs`: when the consumer signs it (the object checks the 5-minute window against its own clock). */
export async function ack(tenant: string, exportId: string, status: "accepted" | "rejected", secret = ROUTING_SECRET, reason?: string, atMs?: number): Promise<Response> {
  const body = JSON.stringify(reason === undefined ? { status } : { status, reason });
  const headers = await standardHeaders({
    body,
    secret,
    id: `ack_${exportId}_${crypto.randomUUID()}`,
    ...(atMs === undefined ? {} : { timestampSec: Math.floor(atMs / 1000) }),
  });
  return call("POST", `/v1/tenants/${tenant}/exports/${exportId}/ack`, { raw: body, headers });
}
