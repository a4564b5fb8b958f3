import { z } from "zod";
import type { LineItem } from "../events/canonical";
import { TERMINAL_STATES, type OrderView } from "../order/view";
import { iso } from "../time";
import { allocate, type Allocation } from "./allocate";

/**
 * The order's side of a restock (issue 17), pure: a SKU's object offers the
 * units it set aside for this order's waiting lines; the order takes the fills
 * its stock decision still misses and folds them into its split, so the
 * planner routes the filled units and shrinks (or takes back) the backorder
 * export. Offered again (a retry, a restart of either object), a fill it took
 * is answered the same and changes nothing.
 */

export const RestockFill = z.object({
  /** The reservation key (`<line>#r<n>`): the fill's identity. */
  key: z.string().min(1),
  /** The order's line (its index) the units are for. */
  line: z.string().min(1),
  units: z.number().int().min(1),
});
export type RestockFill = z.infer<typeof RestockFill>;

export interface RestockOffer {
  tenant: string;
  orderId: string;
  sku: string;
  fills: RestockFill[];
}

export interface RestockAnswer {
  /** Fills the order holds (now or from an earlier offer); the SKU's object releases every other one it offered. */
  taken: string[];
  /** Why the order takes no more of this SKU at all (it leaves the waitlist); null when it still may. */
  refused: string | null;
}

/**
 * Stock that arrives after the order can no longer route it is not taken: a
 * cancelled, refunded or shipped order, or one whose warehouse already
 * accepted its routing (a second routing would be a second shipment, which
 * always needs a person; the backorder export's owner keeps the rest).
 */
export function restockRefusal(view: OrderView, a: Allocation | null): string | null {
  if (a === null || a.outcome === "untracked") return "the order has no stock decision";
  if (a.closed !== null) return `its holds were already ${a.closed}`;
  if (TERMINAL_STATES.includes(view.state)) return `the order is ${view.state}`;
  if (view.milestones.shipped_at !== undefined) return "the order has shipped";
  if (view.fulfillment.status === "accepted") return "the warehouse already accepted its routing";
  return null;
}

export interface TakenFills {
  allocation: Allocation;
  taken: string[];
  /** The fills applied by this offer (empty: nothing changed). */
  applied: RestockFill[];
}

/**
 * Applies each new fill to the line it names, never beyond the units that
 * line has backordered (a fill for more than the order misses is left for
 * the SKU's object to release), then splits the order again.
 */
export function takeFills(lines: readonly LineItem[], a: Allocation, sku: string, fills: readonly RestockFill[], now: number): TakenFills {
  const done = new Set(a.fills);
  const skus = a.skus.map((s) => ({ ...s, lines: s.lines.map((l) => ({ ...l })) }));
  const answer = skus.find((s) => s.sku === sku && s.tracked);
  const taken: string[] = [];
  const applied: RestockFill[] = [];
  for (const f of fills) {
    const id = `${sku}:${f.key}`;
    if (done.has(id)) {
      taken.push(f.key);
      continue;
    }
    const line = answer?.lines.find((l) => l.line === f.line);
    if (!line || line.backordered < f.units) continue;
    line.reserved += f.units;
    line.backordered -= f.units;
    done.add(id);
    taken.push(f.key);
    applied.push(f);
  }
  if (applied.length === 0) return { allocation: a, taken, applied };
  const next = allocate(lines, skus);
  // The new holds are confirmed by the stock timer, like the first ones.
  return { allocation: { ...next, committed: false, closed: null, fills: [...done].sort(), restocked_at: iso(now) }, taken, applied };
}
