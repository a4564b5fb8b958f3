import type { OrderDO } from "../durable-objects/order/OrderDO";

export interface Env {
  DB: D1Database;
  ORDER: DurableObjectNamespace<OrderDO>;
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
