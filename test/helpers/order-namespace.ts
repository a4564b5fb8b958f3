import { env } from "cloudflare:workers";
import type { OrderDO } from "../../durable-objects/order/OrderDO";

/**
 * The Worker's Env types ORDER by the object's contract (worker/env.ts), so the
 * Worker shell never imports the object's class. Tests reach into the instance
 * (runInDurableObject, its clock), so they see the namespace as the class it is:
 * wrangler.toml binds ORDER to OrderDO.
 */
export const orderNamespace = env.ORDER as unknown as DurableObjectNamespace<OrderDO>;

export function orderStub(tenant: string, orderId: string): DurableObjectStub<OrderDO> {
  return orderNamespace.get(orderNamespace.idFromName(`${tenant}:${orderId}`));
}
