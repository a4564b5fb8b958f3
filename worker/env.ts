import type { OrderObject } from "../domain/order/object";

/** The order object as a namespace sees it: its contract, branded as a Durable Object. */
export type OrderObjectStub = OrderObject & Rpc.DurableObjectBranded;

export interface Env {
  DB: D1Database;
  /**
   * The order objects, typed by their contract (domain/order/object.ts) rather than the
   * class, so the Worker shell never imports the object shell; OrderDO implements it.
   */
  ORDER: DurableObjectNamespace<OrderObjectStub>;
  /** Bearer token for admin calls (`wrangler secret put ADMIN_TOKEN`). */
  ADMIN_TOKEN: string;
  /** base64 of 32 random bytes; encrypts source signing secrets at rest. */
  SECRETS_KEY: string;
  /** Per-attempt timeout for deliveries to consumers, ms (default 10 000). */
  DELIVERY_TIMEOUT_MS?: string;
  /** Facts one order may hold before further events are refused (default 1000). */
  MAX_FACTS_PER_ORDER?: string;
}

export interface AppVariables {
  tenantId: string;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
