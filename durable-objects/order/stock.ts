import { allocate, askable, STOCK_TIMER, stockFollowUp, stockRequests, trackedSkus, type Allocation } from "../../domain/inventory/allocate";
import type { OrderCommit } from "../../domain/order/commit";
import type { OrderStore } from "./store";
import { wantsRouting, type RulesInput } from "../../domain/handoff/plan";
import { transition, type MachineState } from "../../domain/order/machine";
import type { MachineEvent } from "../../domain/events/handoff-events";
import type { OrderView } from "../../domain/order/view";
import type { Env } from "../../worker/env";
import { inventoryObject } from "../../worker/inventory";

/**
 * The order object's calls to its SKUs' inventory objects (the shell side of
 * domain/inventory/allocate.ts). Reserving happens before the order's commit,
 * so the commit can record the split; confirming, releasing and consuming
 * happen after it, from the `stock` timer, so a crash between the two leaves
 * either a timer that runs again (idempotent calls) or a hold nobody confirmed,
 * which the inventory object's sweep gives back.
 */

/** Would these events make the order routable with no stock decided yet? Then ask each SKU once. */
export async function reserveIfRoutable(
  env: Env,
  input: { tenant: string; orderId: string; events: readonly MachineEvent[]; stockSkus?: readonly string[] | null },
  at: { state: MachineState; held: Allocation | null },
  rules: RulesInput | null,
  now: number,
): Promise<Allocation | null> {
  if (rules === null || at.held !== null) return null;
  const { tenant, orderId } = input;
  let s = at.state;
  for (const e of input.events) s = transition(s, e, now).state;
  if (!wantsRouting(s.view, rules.rules)) return null;
  const lines = s.view.fields.line_items ?? [];
  const answers = await Promise.all(
    askable(stockRequests(lines), input.stockSkus ?? null).map(async (r) => {
      const a = await inventoryObject(env, tenant, r.sku).reserve({ tenant, sku: r.sku, orderId, lines: r.lines });
      return { sku: r.sku, tracked: a.tracked, lines: a.lines };
    }),
  );
  return allocate(lines, answers);
}

/**
 * What the `stock` timer does: confirm the holds once the order committed its
 * decision, then release (cancelled, refunded) or consume (shipped) them.
 * Returns the allocation as it stands after the calls, for the caller to record.
 */
export async function settleStock(env: Env, tenant: string, orderId: string, view: OrderView, a: Allocation): Promise<Allocation> {
  const skus = trackedSkus(a);
  let next = a;
  if (!next.committed) {
    await Promise.all(skus.map((sku) => inventoryObject(env, tenant, sku).commit(orderId)));
    next = { ...next, committed: true };
  }
  const follow = stockFollowUp(view, next);
  if (follow?.kind === "release") {
    await Promise.all(skus.map((sku) => inventoryObject(env, tenant, sku).release(orderId, follow.reason)));
    next = { ...next, closed: "released" };
  } else if (follow?.kind === "consume") {
    await Promise.all(skus.map((sku) => inventoryObject(env, tenant, sku).consume(orderId, follow.at)));
    next = { ...next, closed: "consumed" };
  }
  return next;
}

/** The timer's run: settle the holds, then record how they stand (and drop the timer) in one decision. */
export async function runStockTimer(
  env: Env,
  store: OrderStore,
  viewOf: (orderId: string) => OrderView,
  decide: (fn: (c: OrderCommit) => null) => void,
): Promise<void> {
  const tenant = store.getMeta("tenant");
  const orderId = store.getMeta("order_id");
  const held = store.allocation();
  if (tenant === null || orderId === null || held === null) {
    store.cancel(STOCK_TIMER, "follow_up");
    return;
  }
  const settled = await settleStock(env, tenant, orderId, viewOf(orderId), held);
  decide((c) => {
    c.cancel(STOCK_TIMER, "follow_up");
    if (settled.committed !== held.committed || settled.closed !== held.closed) {
      c.recordAllocation(settled);
      c.audit("inventory.settled", { skus: trackedSkus(settled), committed: settled.committed, closed: settled.closed });
    }
    return null;
  });
}
