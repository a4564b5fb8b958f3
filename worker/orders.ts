import type { IngestResult, OrderObject } from "../domain/order/object";
import type { Env } from "./env";
import { ApiError } from "./errors";
import { currentRules } from "./ownership/store";
import { tenantDefaultOwner, tenantDirectory } from "./tenancy";
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
  const rules = await currentRules(env, tenant).catch(() => null);
  const input = {
    trace,
    tenant,
    orderId: parsed.orderId,
    source,
    idempotencyKey: parsed.idempotencyKey,
    rawSha256,
    ...(parsed.topic === undefined ? {} : { topic: parsed.topic }),
    events: parsed.events,
    rules,
    defaultOwner: await tenantDefaultOwner(env, tenant).catch(() => null),
    // Free-text rules (stored before the tenant had contacts) are not gated on names: none; unreadable: the object keeps the last one.
    directory: rules?.names_checked ? await tenantDirectory(env, tenant).catch(() => undefined) : [],
  };
  return callObject(() => orderObject(env, tenant, parsed.orderId).ingest(input), "Order");
}
