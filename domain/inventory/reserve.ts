import { z } from "zod";

/**
 * Reservation decisions for one SKU (the inventory object is its single
 * writer). Pure: they take the object's rows and return the rows to write.
 *
 * Idempotent by (order, line): a line asked again gets its first answer, so a
 * retried RPC or a restarted order object cannot reserve twice; only a line the
 * sweep released (its order never confirmed) is decided again. Never more
 * reserved than on hand plus the tenant's oversell buffer.
 *
 * A reservation is `held` until its order confirms it committed the decision
 * (`committed`); a held one whose order never confirms is released by the
 * object's sweep (`expireHeld`), so a crash between the two objects leaks no stock.
 */

export const RESERVATION_STATUSES = ["held", "committed", "released", "consumed"] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];
const ACTIVE: ReadonlySet<ReservationStatus> = new Set(["held", "committed"]);

export const Reservation = z.object({
  order_id: z.string(),
  /** The order's line key (its index, or the sender's line id): one reservation per line. */
  line: z.string(),
  requested: z.number().int().min(0),
  /** Units set aside; `requested − reserved` were backordered. */
  reserved: z.number().int().min(0),
  status: z.enum(RESERVATION_STATUSES),
  held_at: z.string(),
  /** When the sweep releases it if still `held`. */
  expires_at: z.string(),
  closed_at: z.string().nullable(),
  /** Why it was released: `cancelled`, `refunded`, `uncommitted` (the sweep). */
  reason: z.string().nullable(),
});
export type Reservation = z.infer<typeof Reservation>;

export interface ReserveLine {
  line: string;
  quantity: number;
}

export interface ReserveRequest {
  orderId: string;
  lines: readonly ReserveLine[];
  now: number;
  /** How long a reservation stays held without its order's confirmation. */
  holdMs: number;
}

export interface LineOutcome {
  line: string;
  requested: number;
  reserved: number;
  backordered: number;
}

export type ReserveOutcome = "all" | "some" | "none";

export interface ReserveDecision {
  outcome: ReserveOutcome;
  lines: LineOutcome[];
  /** Rows to insert (lines this order had not asked for before). */
  created: Reservation[];
  /** Units available after the decision. */
  available: number;
}

export function isActive(r: Reservation): boolean {
  return ACTIVE.has(r.status);
}

export function reservedUnits(rows: readonly Reservation[]): number {
  return rows.reduce((s, r) => s + (isActive(r) ? r.reserved : 0), 0);
}

/** What may still be promised: never negative, whatever the counts say. */
export function availableUnits(onHand: number, buffer: number, rows: readonly Reservation[]): number {
  return Math.max(0, onHand + buffer - reservedUnits(rows));
}

export function outcomeOf(lines: readonly LineOutcome[]): ReserveOutcome {
  const requested = lines.reduce((s, l) => s + l.requested, 0);
  const reserved = lines.reduce((s, l) => s + l.reserved, 0);
  if (reserved >= requested) return "all";
  return reserved === 0 ? "none" : "some";
}

/**
 * `reservedNow` is every active reservation of the SKU; `orderRows` only this
 * order's (so the object reads one order's rows and a SUM, not every row).
 */
export function decideReserve(onHand: number, buffer: number, reservedNow: number, orderRows: readonly Reservation[], req: ReserveRequest): ReserveDecision {
  let available = Math.max(0, onHand + buffer - reservedNow);
  const mine = new Map(orderRows.filter((r) => r.order_id === req.orderId).map((r) => [r.line, r]));
  const lines: LineOutcome[] = [];
  const created: Reservation[] = [];
  const at = new Date(req.now).toISOString();
  const expires = new Date(req.now + req.holdMs).toISOString();
  for (const l of req.lines) {
    const known = mine.get(l.line);
    // A hold the sweep took back because its order never confirmed is asked afresh (the order restarted and asks again).
    if (known && !(known.status === "released" && known.reason === "uncommitted")) {
      lines.push({ line: l.line, requested: known.requested, reserved: known.reserved, backordered: known.requested - known.reserved });
      continue;
    }
    const take = Math.min(Math.max(0, l.quantity), available);
    available -= take;
    const row: Reservation = {
      order_id: req.orderId,
      line: l.line,
      requested: Math.max(0, l.quantity),
      reserved: take,
      status: "held",
      held_at: at,
      expires_at: expires,
      closed_at: null,
      reason: null,
    };
    created.push(row);
    mine.set(l.line, row);
    lines.push({ line: l.line, requested: row.requested, reserved: take, backordered: row.requested - take });
  }
  return { outcome: outcomeOf(lines), lines, created, available };
}

/** The order committed its decision: its held reservations stay until released or consumed. */
export function commitOrder(rows: readonly Reservation[], orderId: string): Reservation[] {
  return rows.filter((r) => r.order_id === orderId && r.status === "held").map((r) => ({ ...r, status: "committed" }));
}

/** Cancellation or refund: every active reservation of the order goes back to stock. Repeating it changes nothing. */
export function releaseOrder(rows: readonly Reservation[], orderId: string, now: number, reason: string): Reservation[] {
  const at = new Date(now).toISOString();
  return rows.filter((r) => r.order_id === orderId && isActive(r)).map((r) => ({ ...r, status: "released", closed_at: at, reason }));
}

/** A shipment: the reserved units leave stock (the object records them as a delta at the shipment's time). */
export function consumeOrder(rows: readonly Reservation[], orderId: string, now: number): Reservation[] {
  const at = new Date(now).toISOString();
  return rows.filter((r) => r.order_id === orderId && isActive(r)).map((r) => ({ ...r, status: "consumed", closed_at: at }));
}

/** The sweep: held reservations whose order never confirmed go back to stock. */
export function expireHeld(rows: readonly Reservation[], now: number): Reservation[] {
  const at = new Date(now).toISOString();
  return rows
    .filter((r) => r.status === "held" && Date.parse(r.expires_at) <= now)
    .map((r) => ({ ...r, status: "released", closed_at: at, reason: "uncommitted" }));
}

/** The next time the sweep has work: the earliest expiry of a held reservation. */
export function nextExpiry(rows: readonly Reservation[]): number | null {
  let next: number | null = null;
  for (const r of rows) {
    if (r.status !== "held") continue;
    const t = Date.parse(r.expires_at);
    if (next === null || t < next) next = t;
  }
  return next;
}
