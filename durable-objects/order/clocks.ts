import { slaTimers } from "../../domain/handoff/sla";
import type { RulesInput } from "../../domain/handoff/plan";
import type { OrderView } from "../../domain/order/view";
import type { OrderStore } from "./store";
import type { TimerDbRow } from "./storage";

/** Timers of this kind are derived from the order, not stored (see Clocks). */
export const DERIVED_KIND = "sla";

/** What the clocks read from their order object (lazily: tests swap the clock and the state). */
export interface ClockHost {
  store: OrderStore;
  view(orderId: string): OrderView;
  rules(): RulesInput | null;
}

/**
 * Every timer the order's alarm serves: the rows of the timers table, and the
 * SLA clocks, which have no row. A clock is due at a time the order's facts,
 * rules, exports and recorded breaches already say (slaTimers), so writing it
 * down on every step start and deleting it on every step end was two billed rows
 * per step that said nothing new. The decisions still speak of `sla` timers
 * (schedule/cancel effects, the what-if replay's timers); the object maps them:
 * both remove a row of that kind (apply.ts), and the derived time serves.
 * A row of kind `sla` still counts, and wins over the derived time of its step:
 * it is a failed check's deferred retry (deferFailedTimer), or a timer an object
 * wrote before this change, which fires once and is removed by its check.
 */
export class Clocks {
  constructor(private readonly host: ClockHost) {}

  /** All timers, earliest first. */
  all(): TimerDbRow[] {
    const rows = this.host.store.timers();
    const stored = new Set(rows.filter((r) => r.kind === DERIVED_KIND).map((r) => r.key));
    const derived = this.derived().filter((t) => !stored.has(t.key));
    return derived.length === 0 ? rows : [...rows, ...derived].sort((a, b) => a.due_at - b.due_at);
  }

  due(now: number): TimerDbRow[] {
    return this.all().filter((t) => t.due_at <= now);
  }

  next(): number | null {
    return this.all()[0]?.due_at ?? null;
  }

  get(kind: string, key: string): TimerDbRow | null {
    return this.host.store.timer(kind, key) ?? (kind === DERIVED_KIND ? (this.derived().find((t) => t.key === key) ?? null) : null);
  }

  /** After its handler ran: a timer left due (neither moved nor removed) would re-fire the alarm in a loop, so it waits. */
  deferIfLeftDue(t: TimerDbRow, now: number, later: number): void {
    const left = this.get(t.kind, t.key);
    if (left && left.due_at <= now) this.host.store.deferFailedTimer(left, later);
  }

  private derived(): TimerDbRow[] {
    const { store } = this.host;
    const orderId = store.getMeta("order_id");
    const rules = this.host.rules();
    // Without rules no clock runs: the order's facts need not even be loaded.
    if (orderId === null || rules === null) return [];
    return slaTimers(this.host.view(orderId), rules, store.exports(), store.allocation(), store.breaches()).map((t) => ({ ...t, attempts: 0 }));
  }
}
