import { and, asc, isNotNull, lt, notInArray } from "drizzle-orm";
import { db } from "./db/client";
import { orders } from "./db/schema";
import type { Env } from "./env";
import { orderObject } from "./orders";

/** An order whose deadline passed this long ago without its alarm acting is presumed stalled. */
export const STALL_GRACE_MS = 2 * 60_000;
const BATCH = 200;

/**
 * The cron's belt to the alarms' braces: an order with a running SLA deadline
 * well in the past and no newer state is poked, which runs what is due and
 * re-arms a lost alarm. Bounded per run; the next run picks up the rest.
 */
export async function sweepStalled(env: Env, now = Date.now()): Promise<{ checked: number; poked: number; due: number }> {
  const cutoff = new Date(now - STALL_GRACE_MS).toISOString();
  const rows = await db(env.DB)
    .select({ tenantId: orders.tenantId, orderId: orders.orderId })
    .from(orders)
    .where(and(isNotNull(orders.nextDueAt), lt(orders.nextDueAt, cutoff), lt(orders.updatedAt, cutoff), notInArray(orders.state, ["delivered", "cancelled", "refunded"])))
    .orderBy(asc(orders.nextDueAt))
    .limit(BATCH)
    .all();
  let poked = 0;
  let due = 0;
  for (const r of rows) {
    try {
      const res = await orderObject(env, r.tenantId, r.orderId).poke();
      poked++;
      due += res.due;
    } catch (err) {
      // One unreachable object must not stop the sweep of the others.
      console.error(`sweep: could not poke ${r.tenantId}:${r.orderId}`, err);
    }
  }
  return { checked: rows.length, poked, due };
}
