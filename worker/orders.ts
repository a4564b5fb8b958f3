import type { OrderObject } from "../durable-objects/order/types";
import type { Env } from "./env";

/** The single writer for one order: named by tenant and order id. */
export function orderObject(env: Env, tenant: string, orderId: string): OrderObject {
  return env.ORDER.get(env.ORDER.idFromName(`${tenant}:${orderId}`)) as unknown as OrderObject;
}
