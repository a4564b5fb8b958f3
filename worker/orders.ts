import type { IngestInput, IngestResult, OrderObject } from "../domain/order/object";
import type { Env } from "./env";
import { ApiError } from "./errors";
import { currentRules } from "./ownership/store";
import { tenantDefaultOwner, tenantDirectory } from "./tenancy";
import { trackedSkus } from "./stock-skus";
import type { Delivery } from "./sources/types";
import type { TraceCarrier } from "./telemetry/context";

/** The single writer for one order: named by tenant and order id. */
export function orderObject(env: Env, tenant: string, orderId: string): OrderObject {
  // Workers' RPC stub types cannot express zod's `unknown` values; OrderDO `implements OrderObject`, so both sides stay checked.
  return env.ORDER.get(env.ORDER.idFromName(`${tenant}:${orderId}`)) as unknown as OrderObject;
}

/** Durable Object errors carry `.overloaded` / `.retryable` flags; read them without trusting the shape. */
function doErrorFlags(err: unknown): { overloaded: boolean; retryable: boolean } {
  const e = typeof err === "object" && err !== null ? (err as Record<string, unknown>) : {};
  return { overloaded: e.overloaded === true, retryable: e.retryable === true };
}

/**
 * Calls a single-writer object on the acknowledgement path. An overloaded
 * object gets worse if retried, so the sender's own backoff does it (503);
 * a retryable error is retried once, which is safe because every such call is
 * idempotent by key (a commit we did not hear about returns the same receipt).
 */
export async function callObject<T>(call: () => Promise<T>, what: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const flags = doErrorFlags(err);
    if (flags.overloaded) throw new ApiError("overloaded", `${what} is receiving too many events; retry later`, undefined, { "retry-after": "5" });
    if (!flags.retryable) throw new ApiError("unavailable", "Could not record the event; retry later", undefined, { "retry-after": "5" });
    try {
      return await call();
    } catch {
      throw new ApiError("unavailable", "Could not record the event; retry later", undefined, { "retry-after": "5" });
    }
  }
}

/**
 * What the order's object is handed with a delivery: the delivery itself and the
 * tenant's config from the 30 s cache. The four lookups run together: on a cold
 * isolate each is a D1 read, and one after another they kept the object waiting
 * for four round trips. The directory is fetched whatever the rules say and
 * dropped when they do not need it (one cached read per 30 s at most).
 */
export async function orderInput(env: Env, tenant: string, source: string, parsed: Delivery, rawSha256: string, trace: TraceCarrier): Promise<IngestInput> {
  const [rules, defaultOwner, directory, stockSkus] = await Promise.all([
    currentRules(env, tenant).catch(() => null),
    tenantDefaultOwner(env, tenant).catch(() => null),
    tenantDirectory(env, tenant).catch(() => undefined),
    // Unknown (D1 unreadable on a cold cache): every SKU is asked, as before the list existed.
    trackedSkus(env, tenant).catch(() => null),
  ]);
  return {
    trace,
    tenant,
    orderId: parsed.orderId,
    source,
    idempotencyKey: parsed.idempotencyKey,
    rawSha256,
    ...(parsed.topic === undefined ? {} : { topic: parsed.topic }),
    events: parsed.events,
    rules,
    defaultOwner,
    // Free-text rules (stored before the tenant had contacts) are not gated on names: none; unreadable: the object keeps the last one.
    directory: rules?.names_checked ? directory : [],
    stockSkus,
  };
}

/**
 * Hands parsed events to the order's object and returns once they are
 * committed. Used by the webhook edge and by rejection replays.
 */
export async function commitToOrder(
  env: Env,
  tenant: string,
  source: string,
  parsed: Delivery,
  rawSha256: string,
  trace: TraceCarrier,
): Promise<IngestResult> {
  const input = await orderInput(env, tenant, source, parsed, rawSha256, trace);
  return callObject(() => orderObject(env, tenant, parsed.orderId).ingest(input), "Order");
}
