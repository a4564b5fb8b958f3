import type { IngestResult, OrderObject } from "../domain/order/object";
import type { Env } from "./env";
import { ApiError } from "./errors";
import { currentRules } from "./ownership/store";
import type { ParseResult } from "./sources/types";
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
 * Hands parsed events to the order's object and returns once they are
 * committed. Used by the webhook edge and by rejection replays.
 */
export async function commitToOrder(
  env: Env,
  tenant: string,
  source: string,
  parsed: Extract<ParseResult, { ok: true }>,
  rawSha256: string,
  trace: TraceCarrier,
): Promise<IngestResult> {
  const input = {
    trace,
    tenant,
    orderId: parsed.orderId,
    source,
    idempotencyKey: parsed.idempotencyKey,
    rawSha256,
    ...(parsed.topic === undefined ? {} : { topic: parsed.topic }),
    events: parsed.events,
    rules: await currentRules(env, tenant).catch(() => null),
  };
  try {
    return await orderObject(env, tenant, parsed.orderId).ingest(input);
  } catch (err) {
    const flags = doErrorFlags(err);
    // An overloaded object gets worse if retried; let the sender's own backoff do it.
    if (flags.overloaded) throw new ApiError("overloaded", "Order is receiving too many events; retry later", undefined, { "retry-after": "5" });
    if (!flags.retryable) throw new ApiError("unavailable", "Could not record the event; retry later", undefined, { "retry-after": "5" });
    // Safe to retry once: ingest is idempotent by key, so a commit we did not hear about returns the same receipt.
    try {
      return await orderObject(env, tenant, parsed.orderId).ingest(input);
    } catch {
      throw new ApiError("unavailable", "Could not record the event; retry later", undefined, { "retry-after": "5" });
    }
  }
}
