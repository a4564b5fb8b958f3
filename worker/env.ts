import type { InventoryObject } from "../domain/inventory/object";
import type { Actor } from "../domain/access/scopes";
import type { OrderObject } from "../domain/order/object";
import type { NotifierObject } from "../domain/notify/object";
import type { RefusalBudgetObject } from "../domain/refusals/budget";
import type { WhatIfJobObject } from "../domain/whatif/job";
import type { Span, Telemetry, TelemetryEnv } from "./telemetry/tracer";

/** The order object as a namespace sees it: its contract, branded as a Durable Object. */
export type OrderObjectStub = OrderObject & Rpc.DurableObjectBranded;

export interface Env extends TelemetryEnv {
  DB: D1Database;
  /**
   * The order objects, typed by their contract (domain/order/object.ts) rather than the
   * class, so the Worker shell never imports the object shell; OrderDO implements it.
   */
  ORDER: DurableObjectNamespace<OrderObjectStub>;
  /** One budget object per tenant source (docs/decisions.md, "Refusals are budgeted"). */
  REFUSALS: DurableObjectNamespace<RefusalBudgetObject & Rpc.DurableObjectBranded>;
  /** Retention archive: gzip NDJSON per tenant per UTC day (docs/retention.md). */
  ARCHIVE: R2Bucket;
  /** One notifier per tenant: the outbox every notification to a person leaves through (docs/decisions.md). */
  NOTIFIER: DurableObjectNamespace<NotifierObject & Rpc.DurableObjectBranded>;
  /** Cloudflare's send_email binding for email channels; locally wrangler writes each mail to a file and logs its path. */
  EMAIL?: SendEmail;
  /** The From address of notification emails (default handoff@example.com; must be a verified sender in production). */
  NOTIFY_EMAIL_FROM?: string;
  /** The console's origin for links in notifications, e.g. https://handoff.example.com (without it, messages carry the path). */
  CONSOLE_BASE_URL?: string;
  /** One inventory object per tenant + SKU: the single writer of its stock and reservations. */
  INVENTORY: DurableObjectNamespace<InventoryObject & Rpc.DurableObjectBranded>;
  /** How long a reservation stays held without its order's confirmation, ms (default 300 000). */
  INVENTORY_HOLD_MS?: string;
  /** Units of drift between a WMS snapshot and the engine's level that open an `inventory_drift` task (default 5; 0 = off). */
  INVENTORY_DRIFT_THRESHOLD?: string;
  /** One object per what-if job over a window too large to answer inline (docs/decisions.md, "What-if jobs"). */
  WHATIF_JOB: DurableObjectNamespace<WhatIfJobObject & Rpc.DurableObjectBranded>;
  /** Orders a what-if answers inline before it runs as a job instead (default and maximum 500). */
  WHATIF_INLINE_MAX?: string;
  /** A what-if job's orders per page (default and maximum 60) and pages per alarm (default 10). */
  WHATIF_JOB_PAGE?: string;
  WHATIF_JOB_PAGES_PER_ALARM?: string;
  /** Bearer token for admin calls (`wrangler secret put ADMIN_TOKEN`). */
  ADMIN_TOKEN: string;
  /** base64 of 32 random bytes; encrypts source signing secrets at rest. */
  SECRETS_KEY: string;
  /** Per-attempt timeout for deliveries to consumers, ms (default 10 000). */
  DELIVERY_TIMEOUT_MS?: string;
  /** Facts one order may hold before further events are refused (default 1000). */
  MAX_FACTS_PER_ORDER?: string;
  /** Refusals recorded in full per tenant source per minute (default 20). */
  REFUSAL_RECORD_PER_MINUTE?: string;
  /** Refusals answered per tenant source per minute before 429 (default 120). */
  REFUSAL_LIMIT_PER_MINUTE?: string;
}

export interface AppVariables {
  /** Who is acting: the key's name (or `admin`), set by the access gate (worker/auth.ts). */
  actor?: Actor;
  /** Set for every request by the first middleware (worker/telemetry/middleware.ts). */
  requestId: string;
  telemetry: Telemetry;
  /** The request's server span: routes open their spans under it. */
  requestSpan: Span;
  /** The webhook route's span (worker/routes/webhooks.ts), parent of the order object's commit. */
  webhookSpan: Span;
}

export type AppEnv = { Bindings: Env; Variables: AppVariables };
