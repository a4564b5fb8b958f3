import { isActive, type Reservation } from "../../domain/inventory/reserve";
import type { RestockAnswer, RestockFill } from "../../domain/inventory/restock";
import { baseLine, declineUntaken, decideRefill, type Leave } from "../../domain/inventory/waitlist";
import type { Env } from "../../worker/env";
import { orderObject } from "../../worker/orders";
import type { InventoryStore } from "./store";

/**
 * The inventory object's side of re-reserving on restock (the decisions are
 * in domain/inventory/waitlist.ts and restock.ts). `serve` runs inside every
 * transaction that can raise the units available and writes the fills;
 * `tellOrders` runs from the alarm and offers each filled order its fills
 * until it answers. A fill the order takes is confirmed by the order's own
 * stock timer (`commit`); one it refuses is released here and the units go to
 * the next in line; one nobody ever answers for is released by the sweep.
 */

/** At most this many orders are told per alarm pass; the rest are due at once on the next. */
const ORDERS_PER_PASS = 50;
const OFFER_RETRY_MS = 1_000;
const OFFER_RETRY_MAX_MS = 60_000;

/** Serves the waitlist with what is available; returns the fills written (the caller bumps the version). */
export function serve(store: InventoryStore, available: number, now: number, holdMs: number): Reservation[] {
  if (available <= 0) return [];
  const { positions, rows } = store.waitlist();
  if (positions.length === 0) return [];
  const d = decideRefill(available, positions, rows, now, holdMs);
  for (const f of d.fills) {
    store.putReservation(f);
    store.offerFill(f.order_id, f.line, now);
  }
  return d.fills;
}

/** Applies the waitlist departures a decision named. */
export function leave(store: InventoryStore, leaves: readonly Leave[], now: number): void {
  const at = new Date(now).toISOString();
  for (const l of leaves) store.leaveWaitlist(l.order_id, l.line, at, l.reason);
}

export interface TellContext {
  env: Env;
  store: InventoryStore;
  tenant: string;
  sku: string;
  clock: () => number;
  /** Applies an order's answer in one transaction (releasing what it refused, serving the next in line). */
  answered: (orderId: string, offered: readonly RestockFill[], answer: RestockAnswer) => void;
}

/** Offers every due fill to its order; an order that cannot be reached is asked again with backoff. */
export async function tellOrders(t: TellContext): Promise<void> {
  const now = t.clock();
  const due = [...t.store.offersDue(now)].slice(0, ORDERS_PER_PASS);
  await Promise.all(
    due.map(async ([orderId, offers]) => {
      const rows = new Map(t.store.orderReservations(orderId).map((r) => [r.line, r]));
      const fills: RestockFill[] = [];
      for (const o of offers) {
        const r = rows.get(o.line);
        // Released meanwhile (the order was cancelled, or the sweep took it back): nothing to offer.
        if (!r || !isActive(r) || r.reserved === 0) t.store.dropOffer(orderId, o.line);
        else fills.push({ key: r.line, line: baseLine(r.line), units: r.reserved });
      }
      if (fills.length === 0) return;
      try {
        const answer = await orderObject(t.env, t.tenant, orderId).restocked({ tenant: t.tenant, orderId, sku: t.sku, fills });
        t.answered(orderId, fills, answer);
      } catch (err) {
        const attempts = Math.max(...offers.map((o) => o.attempts));
        const next = t.clock() + Math.min(OFFER_RETRY_MAX_MS, OFFER_RETRY_MS * 2 ** Math.min(attempts, 10));
        for (const f of fills) t.store.offerFailed(orderId, f.key, next, err instanceof Error ? err.message : String(err));
      }
    }),
  );
}

/** The order's answer, applied (domain/inventory/waitlist.ts declineUntaken): returns the rows released. */
export function applyAnswer(store: InventoryStore, orderId: string, offered: readonly RestockFill[], answer: RestockAnswer, now: number): Reservation[] {
  for (const f of offered) store.dropOffer(orderId, f.key);
  const d = declineUntaken(store.orderReservations(orderId), orderId, offered, answer, now);
  for (const r of d.released) store.putReservation(r);
  leave(store, d.leave, now);
  return d.released;
}
