import { z } from "zod";
import { isActive, type Reservation } from "./reserve";

/**
 * Backorders filled when stock arrives (issue 17), pure. Each SKU's object
 * keeps one waitlist: a line joins it when its reservation left units
 * unreserved, in the order of that decision (`seq`). Whenever units become
 * available (a snapshot or adjustment, a release by a cancel or refund, an
 * unconfirmed hold swept, a bigger oversell buffer) they go to the waiting
 * lines first come first served: the head gets what it misses, or all there
 * is, before anyone behind it gets anything. A fill is a reservation row of
 * its own (`<line>#r<n>`), `held` until the order confirms it like any hold,
 * so a fill the order never takes is released by the same sweep.
 *
 * Per line, like the first decision: a line may be filled in part (the rest
 * keeps waiting at the head), and an order waiting on several SKUs gets each
 * SKU's units as that SKU's object finds them. The order object folds every
 * fill into its split (routing carries the reserved units, the backorder
 * export the rest), exactly as the first reservation did.
 */

const FILL_MARK = "#r";

/** The reservation key of the n-th fill of a line. */
export function fillKey(line: string, n: number): string {
  return `${line}${FILL_MARK}${String(n)}`;
}

/** The order's line a reservation key belongs to (a fill's, or the line itself). */
export function baseLine(key: string): string {
  const i = key.indexOf(FILL_MARK);
  return i < 0 ? key : key.slice(0, i);
}

export function isFill(r: Pick<Reservation, "line">): boolean {
  return r.line.includes(FILL_MARK);
}

export const WaitEntry = z.object({
  /** The position: lines are served in this order. */
  seq: z.number().int(),
  order_id: z.string(),
  line: z.string(),
  /** When the line was backordered. */
  since: z.string(),
  /** Units it still waits for (computed: requested less its reservation and its active fills). */
  waiting: z.number().int(),
});
export type WaitEntry = z.infer<typeof WaitEntry>;

export type WaitPosition = Omit<WaitEntry, "waiting">;

/** Groups an order's rows by line: the base reservation and its fills. */
function byLine(rows: readonly Reservation[]): Map<string, Reservation[]> {
  const out = new Map<string, Reservation[]>();
  for (const r of rows) {
    const k = `${r.order_id}\u0000${baseLine(r.line)}`;
    const list = out.get(k) ?? [];
    list.push(r);
    out.set(k, list);
  }
  return out;
}

function missingOf(line: string, rows: readonly Reservation[] | undefined): number {
  const base = rows?.find((r) => r.line === line);
  if (!rows || !base || !isActive(base)) return 0;
  const have = rows.reduce((s, r) => s + (isActive(r) ? r.reserved : 0), 0);
  return Math.max(0, base.requested - have);
}

/** The waitlist as it stands: each position with the units it still misses (0: filled, or its order let go). */
export function waiting(positions: readonly WaitPosition[], rows: readonly Reservation[]): WaitEntry[] {
  const lines = byLine(rows);
  return [...positions].sort((a, b) => a.seq - b.seq).map((p) => ({ ...p, waiting: missingOf(p.line, lines.get(`${p.order_id}\u0000${p.line}`)) }));
}

export interface RefillDecision {
  /** Reservation rows to insert, one per line served, in waitlist order. */
  fills: Reservation[];
  available: number;
}

/**
 * `available` units go down the waitlist in `seq` order. `rows` holds every
 * reservation of the waiting orders (their base lines and earlier fills).
 */
export function decideRefill(available: number, positions: readonly WaitPosition[], rows: readonly Reservation[], now: number, holdMs: number): RefillDecision {
  let left = Math.max(0, available);
  const fills: Reservation[] = [];
  if (left === 0) return { fills, available: 0 };
  const lines = byLine(rows);
  const at = new Date(now).toISOString();
  const expires = new Date(now + holdMs).toISOString();
  for (const p of [...positions].sort((a, b) => a.seq - b.seq)) {
    if (left === 0) break;
    const mine = lines.get(`${p.order_id}\u0000${p.line}`);
    const missing = missingOf(p.line, mine);
    if (missing === 0) continue;
    const take = Math.min(missing, left);
    left -= take;
    const n = (mine ?? []).filter(isFill).length + 1;
    fills.push({ order_id: p.order_id, line: fillKey(p.line, n), requested: take, reserved: take, status: "held", held_at: at, expires_at: expires, closed_at: null, reason: null });
  }
  return { fills, available: left };
}

/** A line that stops waiting: one line of the order, or (line null) all of them. */
export interface Leave {
  order_id: string;
  line: string | null;
  reason: string;
}

/** A base line that ended (released, swept, shipped) leaves the waitlist; a fill that ended leaves its line waiting again. */
export function endedLines(changed: readonly Reservation[]): Leave[] {
  return changed.filter((r) => !isFill(r) && !isActive(r)).map((r) => ({ order_id: r.order_id, line: r.line, reason: r.status === "consumed" ? "shipped" : (r.reason ?? r.status) }));
}

/**
 * The order's answer to the fills it was offered: those it did not take go
 * back to stock and their line leaves the waitlist (the same units are not
 * offered to it again and again); a refusal takes the whole order off it.
 */
export function declineUntaken(
  orderRows: readonly Reservation[],
  orderId: string,
  offered: readonly { key: string; line: string }[],
  answer: { taken: readonly string[]; refused: string | null },
  now: number,
): { released: Reservation[]; leave: Leave[] } {
  const at = new Date(now).toISOString();
  const taken = new Set(answer.taken);
  const rows = new Map(orderRows.filter((r) => r.order_id === orderId).map((r) => [r.line, r]));
  const reason = `declined: ${answer.refused ?? "the order did not take it"}`.slice(0, 200);
  const released: Reservation[] = [];
  const leave: Leave[] = [];
  for (const f of offered) {
    if (taken.has(f.key)) continue;
    const r = rows.get(f.key);
    if (r && isActive(r)) released.push({ ...r, status: "released", closed_at: at, reason });
    leave.push({ order_id: orderId, line: f.line, reason });
  }
  if (answer.refused !== null) leave.push({ order_id: orderId, line: null, reason });
  return { released, leave };
}
