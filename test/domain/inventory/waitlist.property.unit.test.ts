import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocate, type Allocation } from "../../../domain/inventory/allocate";
import { commitOrder, decideReserve, expireHeld, isActive, releaseOrder, reservedUnits, type Reservation } from "../../../domain/inventory/reserve";
import { takeFills, type RestockAnswer, type RestockFill } from "../../../domain/inventory/restock";
import { baseLine, declineUntaken, decideRefill, endedLines, isFill, waiting, type Leave, type WaitPosition } from "../../../domain/inventory/waitlist";

/**
 * A model of one SKU's object and its waiting orders, driven only by the pure
 * decisions the two objects make (reserve, refill, take, decline, sweep), under
 * random interleavings of orders, arrivals, cancellations, answers delivered
 * late, twice or never (a restart), and sweeps.
 */

const SKU = "MUG-01";
const HOLD = 60_000;
const T0 = Date.parse("2026-12-07T10:00:00Z");

type Op =
  | { kind: "order"; quantities: number[] }
  | { kind: "arrive"; units: number }
  | { kind: "cancel"; pick: number }
  | { kind: "answer"; pick: number; twice: boolean }
  | { kind: "sweep" };

interface OrderModel {
  id: string;
  lines: { sku: string; quantity: number }[];
  allocation: Allocation;
  cancelled: boolean;
}

class Model {
  now = T0;
  onHand = 0;
  rows: Reservation[] = [];
  positions: WaitPosition[] = [];
  seq = 0;
  /** Unanswered fills per order (the object's fill_offers table). */
  offers = new Map<string, Set<string>>();
  orders: OrderModel[] = [];
  /** Every fill each order applied, in order: a fill key applied twice would show here. */
  applied = new Map<string, string[]>();

  put(r: Reservation): void {
    const i = this.rows.findIndex((x) => x.order_id === r.order_id && x.line === r.line);
    if (i < 0) this.rows.push(r);
    else this.rows[i] = r;
  }

  available(): number {
    return Math.max(0, this.onHand - reservedUnits(this.rows));
  }

  leave(leaves: readonly Leave[]): void {
    const out = new Set(leaves.map((l) => `${l.order_id}\u0000${l.line ?? "*"}`));
    this.positions = this.positions.filter((p) => !out.has(`${p.order_id}\u0000${p.line}`) && !out.has(`${p.order_id}\u0000*`));
  }

  /** The object's serve(): fills written, offers queued; checks first come first served on the way. */
  serve(): void {
    const open = () => waiting(this.positions, this.rows);
    const d = decideRefill(this.available(), this.positions, this.rows, this.now, HOLD);
    for (const f of d.fills) {
      this.put(f);
      const set = this.offers.get(f.order_id) ?? new Set<string>();
      set.add(f.line);
      this.offers.set(f.order_id, set);
    }
    // FIFO: after serving, either nothing is left or nobody waits; and nobody ahead of a served line still waits.
    const after = open();
    expect(d.available === 0 || after.every((w) => w.waiting === 0)).toBe(true);
    const served = new Set(d.fills.map((f) => `${f.order_id}\u0000${baseLine(f.line)}`));
    const lastServed = after.reduce((m, w) => (served.has(`${w.order_id}\u0000${w.line}`) ? Math.max(m, w.seq) : m), -1);
    expect(after.filter((w) => w.seq < lastServed && w.waiting > 0)).toEqual([]);
  }

  apply(op: Op): void {
    this.now += 1_000;
    switch (op.kind) {
      case "order": {
        const id = `o${String(this.orders.length)}`;
        const lines = op.quantities.map((quantity) => ({ sku: SKU, quantity }));
        const reqLines = lines.map((l, i) => ({ line: String(i), quantity: l.quantity }));
        const d = decideReserve(this.onHand, 0, reservedUnits(this.rows), [], { orderId: id, lines: reqLines, now: this.now, holdMs: HOLD });
        for (const r of d.created) {
          this.put(r);
          if (r.reserved < r.requested) this.positions.push({ seq: ++this.seq, order_id: id, line: r.line, since: r.held_at });
        }
        // The order commits its decision and confirms the holds.
        for (const r of commitOrder(this.rows, id)) this.put(r);
        this.orders.push({ id, lines, allocation: allocate(lines, [{ sku: SKU, tracked: true, lines: d.lines }]), cancelled: false });
        return;
      }
      case "arrive":
        this.onHand += op.units;
        this.serve();
        return;
      case "cancel": {
        const o = this.orders[op.pick % Math.max(1, this.orders.length)];
        if (!o || o.cancelled) return;
        o.cancelled = true;
        const changed = releaseOrder(this.rows, o.id, this.now, "cancelled");
        for (const r of changed) this.put(r);
        this.leave(endedLines(changed));
        this.serve();
        return;
      }
      case "sweep": {
        this.now += HOLD;
        const changed = expireHeld(this.rows, this.now);
        for (const r of changed) this.put(r);
        this.leave(endedLines(changed));
        this.serve();
        return;
      }
      case "answer": {
        const ids = [...this.offers.keys()];
        const id = ids[op.pick % Math.max(1, ids.length)];
        if (id === undefined) return;
        const keys = this.offers.get(id) ?? new Set<string>();
        const fills: RestockFill[] = this.rows
          .filter((r) => r.order_id === id && keys.has(r.line) && isActive(r) && r.reserved > 0)
          .map((r) => ({ key: r.line, line: baseLine(r.line), units: r.reserved }));
        this.offers.delete(id);
        if (fills.length === 0) return;
        const answer = this.answer(id, fills);
        // A duplicate delivery of the same offer (a retry after a lost answer) must be answered the same and change nothing.
        if (op.twice) {
          const before = this.orders.find((o) => o.id === id)?.allocation;
          expect(this.answer(id, fills)).toEqual(answer);
          expect(this.orders.find((o) => o.id === id)?.allocation).toEqual(before);
        }
        const d = declineUntaken(this.rows, id, fills, answer, this.now);
        for (const r of d.released) this.put(r);
        for (const r of commitOrder(this.rows.filter((r) => answer.taken.includes(r.line)), id)) this.put(r);
        this.leave(d.leave);
        this.serve();
        return;
      }
    }
  }

  /** The order object's side: a cancelled order refuses; otherwise it takes what its split still misses. */
  answer(id: string, fills: RestockFill[]): RestockAnswer {
    const o = this.orders.find((x) => x.id === id);
    if (!o) return { taken: [], refused: "no such order" };
    if (o.cancelled) return { taken: [], refused: "the order is cancelled" };
    const r = takeFills(o.lines, o.allocation, SKU, fills, this.now);
    o.allocation = r.allocation;
    this.applied.set(id, [...(this.applied.get(id) ?? []), ...r.applied.map((f) => f.key)]);
    return { taken: r.taken, refused: null };
  }

  check(): void {
    // Never more reserved than on hand (buffer 0), and no line holds more than it asked for.
    expect(reservedUnits(this.rows)).toBeLessThanOrEqual(this.onHand);
    const perLine = new Map<string, number>();
    for (const r of this.rows) if (isActive(r)) perLine.set(`${r.order_id}\u0000${baseLine(r.line)}`, (perLine.get(`${r.order_id}\u0000${baseLine(r.line)}`) ?? 0) + r.reserved);
    for (const r of this.rows) if (!isFill(r)) expect(perLine.get(`${r.order_id}\u0000${r.line}`) ?? 0).toBeLessThanOrEqual(r.requested);
    for (const o of this.orders) {
      // Each fill is applied once: the routed units are the first decision plus each fill taken, never more than asked.
      const keys = this.applied.get(o.id) ?? [];
      expect(new Set(keys).size).toBe(keys.length);
      o.lines.forEach((l, i) => {
        const line = o.allocation.skus[0]?.lines.find((x) => x.line === String(i));
        expect((line?.reserved ?? 0) + (line?.backordered ?? 0)).toBe(l.quantity);
        expect(line?.reserved ?? 0).toBeLessThanOrEqual(l.quantity);
      });
      const routedUnits = o.allocation.routed.reduce((s, x) => s + x.quantity, 0);
      const backUnits = o.allocation.backordered.reduce((s, x) => s + x.quantity, 0);
      expect(routedUnits + backUnits).toBe(o.lines.reduce((s, l) => s + l.quantity, 0));
    }
  }
}

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }).map((quantities) => ({ kind: "order" as const, quantities })) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map((units) => ({ kind: "arrive" as const, units })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: "cancel" as const, pick })) },
  { weight: 3, arbitrary: fc.record({ pick: fc.nat(), twice: fc.boolean() }).map((a) => ({ kind: "answer" as const, ...a })) },
  { weight: 1, arbitrary: fc.constant({ kind: "sweep" as const }) },
);

describe("restock waitlist under any interleaving", () => {
  it("first come first served, never over-reserved, each fill applied once however often it is offered", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const m = new Model();
        for (const o of ops) {
          m.apply(o);
          m.check();
        }
        // Everything answered at the end (no restart loses an offer for good): still consistent.
        for (let i = 0; i < 200 && m.offers.size > 0; i++) {
          m.apply({ kind: "answer", pick: 0, twice: false });
          m.check();
        }
        expect(m.offers.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it("the oldest backorders are served first: 10 units, 50 orders of one, then 15 more arrive", () => {
    const m = new Model();
    m.apply({ kind: "arrive", units: 10 });
    for (let i = 0; i < 50; i++) m.apply({ kind: "order", quantities: [1] });
    expect(waiting(m.positions, m.rows).filter((w) => w.waiting > 0)).toHaveLength(40);
    m.apply({ kind: "arrive", units: 15 });
    const filled = m.rows.filter(isFill).map((r) => r.order_id);
    expect(filled).toEqual(Array.from({ length: 15 }, (_, i) => `o${String(10 + i)}`));
    while (m.offers.size > 0) m.apply({ kind: "answer", pick: 0, twice: true });
    m.check();
    expect(m.orders.filter((o) => o.allocation.outcome === "all").map((o) => o.id)).toEqual(Array.from({ length: 25 }, (_, i) => `o${String(i)}`));
    expect(reservedUnits(m.rows)).toBe(25);
  });

  it("the head of the line gets part of what it misses before anyone behind it gets anything", () => {
    const m = new Model();
    m.apply({ kind: "order", quantities: [3] });
    m.apply({ kind: "order", quantities: [1] });
    m.apply({ kind: "arrive", units: 2 });
    expect(m.rows.filter(isFill).map((r) => [r.order_id, r.line, r.reserved])).toEqual([["o0", "0#r1", 2]]);
    m.apply({ kind: "answer", pick: 0, twice: false });
    expect(m.orders[0]?.allocation).toMatchObject({ outcome: "some", routed: [{ quantity: 2 }], backordered: [{ quantity: 1 }] });
    m.apply({ kind: "arrive", units: 2 });
    expect(m.rows.filter(isFill).map((r) => [r.order_id, r.line, r.reserved])).toEqual([
      ["o0", "0#r1", 2],
      ["o0", "0#r2", 1],
      ["o1", "0#r1", 1],
    ]);
  });

  it("a cancelled order refuses: its fill goes to the next in line and it leaves the waitlist", () => {
    const m = new Model();
    m.apply({ kind: "order", quantities: [1] });
    m.apply({ kind: "order", quantities: [1] });
    m.apply({ kind: "arrive", units: 1 });
    // Cancelled after the fill was written but before it was told: the release gives the unit to o1.
    const o0 = m.orders[0];
    if (o0) o0.cancelled = true;
    m.apply({ kind: "answer", pick: 0, twice: false });
    expect(m.positions.map((p) => p.order_id)).toEqual(["o1"]);
    expect(m.rows.filter((r) => isFill(r) && isActive(r)).map((r) => r.order_id)).toEqual(["o1"]);
  });

  it("a fill nobody answered for is swept and served again, to the same head of the line", () => {
    const m = new Model();
    m.apply({ kind: "order", quantities: [2] });
    m.apply({ kind: "arrive", units: 2 });
    m.offers.clear(); // the object restarted and its offer was lost: only the sweep remains
    m.apply({ kind: "sweep" });
    expect(m.rows.filter(isFill).map((r) => [r.line, r.status])).toEqual([
      ["0#r1", "released"],
      ["0#r2", "held"],
    ]);
    m.apply({ kind: "answer", pick: 0, twice: true });
    expect(m.orders[0]?.allocation).toMatchObject({ outcome: "all", fills: [`${SKU}:0#r2`] });
  });
});
