import { allocate, askable, STOCK_TIMER, stockFollowUp, stockRequests, trackedSkus, type Allocation } from "../../domain/inventory/allocate";
import { restockRefusal, takeFills, type RestockAnswer, type RestockOffer } from "../../domain/inventory/restock";
import { applyEvents } from "../../domain/handoff/decide";
import type { OrderCommit } from "../../domain/order/commit";
import type { OrderStore } from "./store";
import { wantsRouting, type RulesInput } from "../../domain/handoff/plan";
import { transition, type MachineState } from "../../domain/order/machine";
import type { MachineEvent } from "../../domain/events/handoff-events";
import type { OrderView } from "../../domain/order/view";
import type { Env } from "../../worker/env";
import { inventoryObject } from "../../worker/inventory";
import { heldRules } from "./config";

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
  let s = at.state;
  for (const e of input.events) s = transition(s, e, now).state;
  return reserveFor(env, input, s, rules);
}

/**
 * The same for a decision that is not an inbound event: a person's task
 * resolution clears a hold (a payment mismatch approved, a conflict settled),
 * and that can make the order routable. `dryRun` takes the decision over a
 * commit that is never applied (an OrderCommit only collects effects over a
 * working copy; storage is written by applyEffects alone), so nothing needs
 * rolling back; null: the decision would change nothing. The caller then takes
 * the real decision with `recordReservation` first. If that one does not route
 * after all (another request got in while the SKUs were asked), the holds are
 * never confirmed and the inventory objects' sweep gives them back.
 *
 * Acks need no such step: an ack adds no fact but an escalation (which opens a
 * hold), and routability is a function of the facts (`wantsRouting`), so an
 * ack never makes an order routable (docs/decisions.md).
 */
export async function reserveBeforeDecision(
  env: Env,
  store: OrderStore,
  dryRun: () => MachineState | null,
): Promise<Allocation | null> {
  if (!store.hasSchema()) return null;
  const tenant = store.getMeta("tenant");
  const orderId = store.getMeta("order_id");
  const rules = heldRules(store);
  if (tenant === null || orderId === null || rules === null || store.allocation() !== null) return null;
  const s = dryRun();
  // The tracked-SKU list comes with inbound events only: here every SKU is asked (an untracked one answers so and writes nothing).
  return s === null ? null : reserveFor(env, { tenant, orderId, stockSkus: null }, s, rules);
}

/** The shared part: the order as it would stand wants routing, so each of its SKUs (tracked, when known) is asked once. */
async function reserveFor(
  env: Env,
  ids: { tenant: string; orderId: string; stockSkus?: readonly string[] | null },
  s: MachineState,
  rules: RulesInput,
): Promise<Allocation | null> {
  if (!wantsRouting(s.view, rules.rules)) return null;
  const { tenant, orderId } = ids;
  const lines = s.view.fields.line_items ?? [];
  const answers = await Promise.all(
    askable(stockRequests(lines), ids.stockSkus ?? null).map(async (r) => {
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

/**
 * The order object's answer to a SKU's restock offer (domain/inventory/restock.ts):
 * in one decision it takes the fills its split still misses, records the new
 * split and plans again, so the filled units get a routing export and the
 * backorder export shrinks or is taken back (withdrawn if unsent, else
 * cancelled with its consumer, who acknowledges). The holds are confirmed by
 * the `stock` timer it leaves, at once after the commit and again after a crash.
 */
export interface RestockShell {
  state: (orderId: string) => MachineState;
  decide: (fn: (c: OrderCommit) => MachineState | null) => void;
  /** The stock timer's run: confirms the new holds with their objects. */
  settle: () => Promise<void>;
  rearm: () => Promise<void>;
}


export async function takeRestock(shell: RestockShell, offer: RestockOffer): Promise<RestockAnswer> {
  let answer: RestockAnswer = { taken: [], refused: "no such order" };
  let changed = false;
  shell.decide((c) => {
    const s = shell.state(c.orderId);
    const held = c.allocation();
    const refused = restockRefusal(s.view, held);
    if (refused !== null || held === null) {
      answer = { taken: [], refused: refused ?? "the order has no stock decision" };
      return null;
    }
    const r = takeFills(s.view.fields.line_items ?? [], held, offer.sku, offer.fills, c.now);
    answer = { taken: r.taken, refused: null };
    if (r.applied.length === 0) return null;
    changed = true;
    c.recordAllocation(r.allocation);
    c.audit("inventory.restocked", { sku: offer.sku, fills: r.applied, outcome: r.allocation.outcome, routed: r.allocation.routed, backordered: r.allocation.backordered });
    c.schedule(STOCK_TIMER, "follow_up", c.now);
    return applyEvents(c, s, []);
  });
  if (changed) await shell.settle().catch((err: unknown) => console.error("order stock calls after a restock", err));
  await shell.rearm();
  return answer;
}

export { recordReservation } from "../../domain/inventory/record";
export { STOCK_TIMER };
export type { Allocation, RestockAnswer, RestockOffer };
