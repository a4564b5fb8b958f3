import { z } from "zod";
import { LineItem } from "../events/canonical";
import type { OrderView } from "../order/view";
import type { LineOutcome, ReserveLine } from "./reserve";

/**
 * What the order object decided about its stock, pure. The order asks each
 * SKU's inventory object once (one call per SKU covering its lines) when it
 * becomes routable; this turns the answers into the split the planner routes:
 * the units reserved go to routing, the rest to a backorder export.
 *
 * A SKU nobody ever reported stock for is *untracked*: its lines route as they
 * did before inventory existed (no reservation, no backorder).
 */

/** The order object's timer that carries its stock calls (confirm the holds, release, consume) to the inventory objects. */
export const STOCK_TIMER = "stock";

export const ALLOCATION_OUTCOMES = ["untracked", "all", "some", "none"] as const;

export const SkuAnswer = z.object({
  sku: z.string(),
  tracked: z.boolean(),
  lines: z.array(z.object({ line: z.string(), requested: z.number().int(), reserved: z.number().int(), backordered: z.number().int() })),
});
export type SkuAnswer = z.infer<typeof SkuAnswer>;

export const Allocation = z.object({
  outcome: z.enum(ALLOCATION_OUTCOMES),
  skus: z.array(SkuAnswer),
  /** The lines (with the units reserved, or all of them when untracked) the routing export carries. */
  routed: z.array(LineItem),
  /** The units nobody could promise: the backorder export carries them. */
  backordered: z.array(LineItem),
  /** Whether the holds were confirmed to their objects, and how they ended (released or consumed). */
  committed: z.boolean(),
  closed: z.enum(["released", "consumed"]).nullable(),
  /** Fills taken from restocked SKUs (`<sku>:<reservation key>`): each is applied once, however often it is offered. */
  fills: z.array(z.string()).default([]),
  /** When the last fill was taken: the routing decision it changed was made then, and its clock runs from then. */
  restocked_at: z.string().nullable().default(null),
});
export type Allocation = z.infer<typeof Allocation>;

export interface StockRequest {
  sku: string;
  lines: ReserveLine[];
}

/** The line key is the line's index in the order: stable for the order's life, one reservation per line. */
export function stockRequests(lines: readonly LineItem[]): StockRequest[] {
  const bySku = new Map<string, ReserveLine[]>();
  lines.forEach((l, i) => {
    if (l.quantity <= 0) return;
    const list = bySku.get(l.sku) ?? [];
    list.push({ line: String(i), quantity: l.quantity });
    bySku.set(l.sku, list);
  });
  return [...bySku].map(([sku, ls]) => ({ sku, lines: ls }));
}

/**
 * The requests worth an RPC: those for SKUs the tenant tracks, when the caller
 * knows which (null: unknown, ask every SKU). A SKU left out routes whole, as
 * an untracked answer would have (allocate covers no line of it).
 */
export function askable(requests: readonly StockRequest[], tracked: readonly string[] | null): StockRequest[] {
  if (tracked === null) return [...requests];
  const set = new Set(tracked);
  return requests.filter((r) => set.has(r.sku));
}

/** Joins the objects' answers to the order's lines. A line no answer covers (untracked, or quantity 0) routes whole. */
export function allocate(lines: readonly LineItem[], answers: readonly SkuAnswer[]): Allocation {
  const outcomes = new Map<string, LineOutcome>();
  for (const a of answers) if (a.tracked) for (const l of a.lines) outcomes.set(`${a.sku}\u0000${l.line}`, l);
  const routed: LineItem[] = [];
  const backordered: LineItem[] = [];
  lines.forEach((l, i) => {
    const o = outcomes.get(`${l.sku}\u0000${String(i)}`);
    const reserved = o ? Math.min(o.reserved, l.quantity) : l.quantity;
    if (reserved > 0 || l.quantity === 0) routed.push({ ...l, quantity: reserved });
    if (l.quantity - reserved > 0) backordered.push({ ...l, quantity: l.quantity - reserved });
  });
  const tracked = answers.some((a) => a.tracked);
  const outcome = !tracked ? "untracked" : backordered.length === 0 ? "all" : routed.some((l) => l.quantity > 0) ? "some" : "none";
  return { outcome, skus: [...answers], routed, backordered, committed: false, closed: null, fills: [], restocked_at: null };
}

/** SKUs whose objects hold this order's reservations. */
export function trackedSkus(a: Allocation): string[] {
  return a.skus.filter((s) => s.tracked && s.lines.some((l) => l.reserved > 0 || l.backordered > 0)).map((s) => s.sku);
}

export type StockFollowUp = { kind: "release"; reason: "cancelled" | "refunded" } | { kind: "consume"; at: string };

/**
 * What the order owes its inventory objects now: a cancelled or refunded
 * order gives its units back, a shipped one consumes them. Once each: the
 * allocation records how its holds closed.
 */
export function stockFollowUp(view: OrderView, a: Allocation | null): StockFollowUp | null {
  if (a === null || a.closed !== null || trackedSkus(a).length === 0) return null;
  const m = view.milestones;
  if (m.refunded_at !== undefined) return { kind: "release", reason: "refunded" };
  if (m.cancelled_at !== undefined) return { kind: "release", reason: "cancelled" };
  if (m.shipped_at !== undefined) return { kind: "consume", at: m.shipped_at };
  return null;
}
