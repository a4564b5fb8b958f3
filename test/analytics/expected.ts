import type { GeneratedOrder } from "../../analytics/generate";
import type { EventRow, OrderRow, TaskRow } from "../../worker/analytics-exports/rows";

/**
 * The reviews' numbers computed independently: plain loops over the generated
 * objects, written from the definitions in analytics/README.md, never from the
 * SQL. Each function returns the rows a cell must answer, in its order.
 */

export type Cell = string | number | null;
export type Rows = Cell[][];

const HOUR = 3_600_000;
export const GRACE_MS = 72 * HOUR;

export const ms = (iso: string): number => Date.parse(iso);
const iso = (t: number): string => new Date(t).toISOString();

/** Monday 00:00 UTC of the week `t` falls in (DuckDB's date_trunc('week')). */
export function weekOf(t: string): string {
  const d = new Date(ms(t));
  const day = (d.getUTCDay() + 6) % 7;
  return iso(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day));
}

/** Linear interpolation between closest ranks (DuckDB's quantile_cont). */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const a = [...values].sort((x, y) => x - y);
  const pos = q * (a.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const l = a[lo] ?? 0;
  const h = a[hi] ?? 0;
  return l + (h - l) * (pos - lo);
}

const rate = (n: number, d: number): number | null => (d === 0 ? null : n / d);

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** Byte order, like DuckDB's default collation (all names here are ASCII). */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class Month {
  readonly orders: OrderRow[];
  readonly events: EventRow[];
  readonly tasks: TaskRow[];
  readonly asOf: number;
  readonly status: Map<string, Status>;
  private readonly eventsByOrder: Map<string, EventRow[]>;

  constructor(generated: readonly GeneratedOrder[]) {
    this.orders = generated.flatMap((g) => (g.order ? [g.order] : []));
    this.events = generated.flatMap((g) => g.events);
    this.tasks = generated.flatMap((g) => g.tasks);
    this.asOf = Math.max(...this.events.map((e) => ms(e.at)));
    this.eventsByOrder = groupBy(this.events, (e) => e.order_id);
    this.status = new Map(this.orders.map((o) => [o.order_id, this.statusOf(o)]));
  }

  eventsOf(orderId: string): EventRow[] {
    return this.eventsByOrder.get(orderId) ?? [];
  }

  private statusOf(o: OrderRow): Status {
    const reached = o.shipped_at !== null || o.delivered_at !== null;
    const closedState = o.state === "cancelled" || o.state === "refunded";
    const young = o.created_at !== null && ms(o.created_at) > this.asOf - GRACE_MS;
    const dropped = !reached && !closedState && !young;
    return {
      order: o,
      reached,
      closed: !reached && closedState,
      inFlight: !reached && !closedState && young,
      dropped,
      silent: dropped && o.open_tasks === 0 && o.open_breaches === 0 && o.holds === 0 && o.next_due_at === null,
      atRisk: !reached && !closedState,
    };
  }

  all(): Status[] {
    return [...this.status.values()];
  }
}

export interface Status {
  order: OrderRow;
  reached: boolean;
  closed: boolean;
  inFlight: boolean;
  dropped: boolean;
  silent: boolean;
  atRisk: boolean;
}

function dropCounts(list: readonly Status[]): Cell[] {
  const inFlight = list.filter((s) => s.inFlight).length;
  const dropped = list.filter((s) => s.dropped).length;
  return [list.length, inFlight, dropped, list.filter((s) => s.silent).length, rate(dropped, list.length - inFlight)];
}

export function headline(m: Month): Rows {
  const all = m.all();
  const inFlight = all.filter((s) => s.inFlight).length;
  const judged = all.length - inFlight;
  const dropped = all.filter((s) => s.dropped).length;
  const silent = all.filter((s) => s.silent).length;
  return [[all.length, all.filter((s) => s.reached).length, all.filter((s) => s.closed).length, inFlight, dropped, rate(dropped, judged), silent, rate(silent, judged)]];
}

export function droppedByWeek(m: Month): Rows {
  const g = groupBy(m.all(), (s) => weekOf(s.order.created_at ?? ""));
  return [...g.entries()].sort(([a], [b]) => cmp(a, b)).map(([week, list]) => [week, ...dropCounts(list)]);
}

export function droppedBySource(m: Month): Rows {
  const g = groupBy(m.all(), (s) => s.order.source ?? "(unknown)");
  return [...g.entries()]
    .map(([source, list]) => [source, ...dropCounts(list)])
    .sort((a, b) => Number(b[1]) - Number(a[1]) || cmp(String(a[0]), String(b[0])));
}

export function droppedByCampaign(m: Month): Rows {
  const g = groupBy(m.all(), (s) => `${s.order.utm_campaign ?? "(none)"}\u0000${s.order.utm_source ?? "(none)"}`);
  return [...g.entries()]
    .map(([k, list]) => [...k.split("\u0000"), ...dropCounts(list)])
    .sort((a, b) => Number(b[2]) - Number(a[2]) || cmp(String(a[0]), String(b[0])) || cmp(String(a[1]), String(b[1])));
}

export function silentOrders(m: Month): Rows {
  return m
    .all()
    .filter((s) => s.silent)
    .sort((a, b) => {
      const va = a.order.value_minor;
      const vb = b.order.value_minor;
      if (va !== vb) return va === null ? 1 : vb === null ? -1 : vb - va;
      return cmp(a.order.order_id, b.order.order_id);
    })
    .slice(0, 25)
    .map(({ order: o }) => [o.order_id, o.source ?? "(unknown)", o.state, o.value_minor, o.currency, o.created_at, o.updated_at, m.asOf - ms(o.updated_at)]);
}

export function manualQueue(m: Month): Rows {
  const row = (label: string, list: readonly TaskRow[]): Cell[] => {
    const fr = list.flatMap((t) => (t.first_response_ms === null ? [] : [t.first_response_ms]));
    const rs = list.flatMap((t) => (t.resolve_ms === null ? [] : [t.resolve_ms]));
    return [
      label, list.length, list.filter((t) => t.claimed_at !== null).length,
      list.filter((t) => t.status === "open" || t.status === "claimed").length, list.filter((t) => t.status === "open").length,
      quantile(fr, 0.5), quantile(fr, 0.9), list.filter((t) => t.resolved_at !== null).length, quantile(rs, 0.5),
    ];
  };
  const rows = [...groupBy(m.tasks, (t) => t.type)].map(([type, list]) => row(type, list));
  rows.sort((a, b) => Number(b[1]) - Number(a[1]) || cmp(String(a[0]), String(b[0])));
  return [...rows, row("all tasks", m.tasks)];
}

/** Time to detect per detector (monthly root cause): onset → opened, over the tasks that name an onset. */
export function timeToDetect(m: Month): Rows {
  const rows = [...groupBy(m.tasks, (t) => t.type)].flatMap(([type, list]): Cell[][] => {
    const d = list.flatMap((t) => (t.detect_ms === null ? [] : [t.detect_ms]));
    if (d.length === 0) return [];
    return [[type, list.length, d.length, d.reduce((a, b) => a + b, 0) / d.length, quantile(d, 0.5), quantile(d, 0.9), Math.max(...d)]];
  });
  return rows.sort((a, b) => Number(b[3]) - Number(a[3]) || cmp(String(a[0]), String(b[0])));
}

/** Week-by-week manual queue (sla-review). */
export function tasksByWeek(m: Month): Rows {
  return [...groupBy(m.tasks, (t) => weekOf(t.opened_at))]
    .sort(([a], [b]) => cmp(a, b))
    .map(([week, list]) => {
      const fr = list.flatMap((t) => (t.first_response_ms === null ? [] : [t.first_response_ms]));
      return [
        week, list.length, list.filter((t) => t.claimed_at !== null).length, list.filter((t) => t.resolved_at !== null).length,
        list.filter((t) => t.status === "open" || t.status === "claimed").length, quantile(fr, 0.5), quantile(fr, 0.9),
      ];
    });
}

export { groupBy, cmp, rate };
