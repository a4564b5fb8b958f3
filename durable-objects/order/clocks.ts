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

/** The clocks of one state of the store. */
interface Derived {
  /** The store's change count they were read at (store.changes()). */
  changes: number;
  /** The object's cached view they were derived from (replaced after each commit), or null when none was read. */
  view: OrderView | null;
  timers: readonly TimerDbRow[];
  /** Why the SLA clocks could not be derived, or null: `timers` then holds only the stored ones. */
  error: string | null;
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
 *
 * Derived once per state of the store: a request asks several times (the
 * re-arm after its commit, the drainer's checks, the re-arm after its drain,
 * each timer the alarm ran), and each derivation reads the timers, exports and
 * breaches and folds the rules over the view. The memo is keyed on SQLite's own
 * change count (store.changes()), which every write moves whatever code makes
 * it, so no write can leave a stale clock behind; and on the view object, which
 * the object replaces after each commit.
 */
export class Clocks {
  private memo: Derived | null = null;

  constructor(private readonly host: ClockHost) {}

  /** All timers, earliest first. */
  all(): readonly TimerDbRow[] {
    return this.current().timers;
  }

  due(now: number): TimerDbRow[] {
    return this.all().filter((t) => t.due_at <= now);
  }

  next(): number | null {
    return this.all()[0]?.due_at ?? null;
  }

  /** A stored row of the timers table wins over an export's column, and over the derived clock of its step (as in all()). */
  get(kind: string, key: string): TimerDbRow | null {
    return this.all().find((t) => t.kind === kind && t.key === key) ?? null;
  }

  /** Why the SLA clocks could not be derived for the store as it is (the alarm then comes back to try again: nextAlarm), or null. */
  failure(): string | null {
    return this.current().error;
  }

  /** After its handler ran: a timer left due (neither moved nor removed) would re-fire the alarm in a loop, so it waits. */
  deferIfLeftDue(t: TimerDbRow, now: number, later: number): void {
    const left = this.get(t.kind, t.key);
    if (left && left.due_at <= now) this.host.store.deferFailedTimer(left, later);
  }

  /**
   * Runs a write that moves no clock (the alarm's own row: setAlarm and
   * deleteAlarm write it at once, synchronously) and keeps the clocks derived
   * before it: only that write can have run between the two counts. A write
   * that lands later moves the count past the memo, which is then derived again.
   */
  untouchedBy<T>(write: () => T): T {
    const before = this.host.store.changes();
    const out = write();
    if (this.memo?.changes === before) this.memo = { ...this.memo, changes: this.host.store.changes() };
    return out;
  }

  private current(): Derived {
    const changes = this.host.store.changes();
    const m = this.memo;
    if (m && m.changes === changes && (m.view === null || m.view === this.viewNow())) return m;
    this.memo = this.derive(changes);
    return this.memo;
  }

  /** The view the object holds now; undefined when it cannot be read (then nothing derived from a view matches). */
  private viewNow(): OrderView | undefined {
    try {
      const orderId = this.host.store.getMeta("order_id");
      return orderId === null ? undefined : this.host.view(orderId);
    } catch {
      return undefined;
    }
  }

  private derive(changes: number): Derived {
    const { store } = this.host;
    let rows: readonly TimerDbRow[] = [];
    let orderId: string | null = null;
    try {
      rows = store.timers();
      orderId = store.getMeta("order_id");
      const rules = this.host.rules();
      // Without rules no clock runs: the order's facts need not even be loaded.
      if (orderId === null || rules === null) return { changes, view: null, timers: rows, error: null };
      const view = this.host.view(orderId);
      const stored = new Set(rows.filter((r) => r.kind === DERIVED_KIND).map((r) => r.key));
      const derived = slaTimers(view, rules, store.exports(), store.allocation(), store.breaches())
        .filter((t) => !stored.has(t.key))
        .map((t) => ({ ...t, attempts: 0 }));
      return { changes, view, timers: derived.length === 0 ? rows : [...rows, ...derived].sort((a, b) => a.due_at - b.due_at), error: null };
    } catch (err) {
      // A stored fact, export body or rule that no longer parses must not leave the order without an
      // alarm (a throw here used to: the order stalled in silence). The stored timers still serve, and
      // the alarm comes back within the horizon to read the clocks again (nextAlarm, clocksUnknown).
      const error = err instanceof Error ? err.message : String(err);
      console.error(`order ${orderId ?? "?"}: its SLA clocks could not be derived; stored timers only, the alarm retries`, err);
      return { changes, view: null, timers: rows, error };
    }
  }
}
