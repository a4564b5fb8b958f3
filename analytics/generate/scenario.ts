import type { EventRow, InventoryRow, OrderRow, TaskRow } from "../../worker/analytics-exports/rows";
import { OrderBuilder, RULES } from "./builder";
import { PATH_WEIGHTS, playPath, type PathName } from "./paths";
import { DAY, HOUR, MINUTE, Rng } from "./random";
import { inventoryMonth } from "./inventory";
import { sourceOutages, stuckOrderTask } from "./watchers";

export interface ScenarioOptions {
  orders: number;
  seed?: number;
  tenant?: string;
  /** First day of the window (UTC), e.g. "2026-10-01". */
  from?: string;
  days?: number;
  /** Whether the watchers ran (default true): they give every order nobody was on a stuck_order task, and senders' outages a source_silent one. */
  watchers?: boolean;
  /** Whether the tenant's WMS reported stock counts (default true): inventory.csv rows, and inventory_drift tasks for the big drifts. */
  inventory?: boolean;
}

/** One order as the exports show it, with the lifecycle that produced it (for the tests' own bookkeeping). */
export interface GeneratedOrder {
  path: PathName | "orphan_rejection" | "source_outage" | "inventory_drift";
  order: OrderRow | null;
  events: EventRow[];
  tasks: TaskRow[];
  /** The stock counts (inventory.csv): only on the one `inventory_drift` entry. */
  inventory?: InventoryRow[];
}

const SOURCES = [["shop", 65], ["marketplace", 20], ["pos", 15]] as const;
const CAMPAIGNS = [["autumn-sale", 30], ["newsletter-w41", 15], ["retargeting", 15], ["influencer-q4", 10], [null, 30]] as const;
const UTM: Record<string, readonly [string, string]> = {
  "autumn-sale": ["google", "cpc"],
  "newsletter-w41": ["newsletter", "email"],
  retargeting: ["meta", "social"],
  "influencer-q4": ["tiktok", "social"],
};

export function windowOf(opts: ScenarioOptions): { start: number; end: number } {
  const start = Date.parse(`${opts.from ?? "2026-10-01"}T00:00:00.000Z`);
  return { start, end: start + (opts.days ?? 31) * DAY };
}

/**
 * A month of one tenant's orders, lazily (a benchmark month does not fit in
 * memory as objects). Orders are created uniformly over the window; the
 * window's end cuts every trail, so the last days hold orders still in flight.
 */
export function* generateScenario(opts: ScenarioOptions): Generator<GeneratedOrder> {
  const rng = new Rng(opts.seed ?? 1);
  const tenant = opts.tenant ?? "acme";
  const { start, end } = windowOf(opts);
  // The clock the export was taken at: a little before midnight, so "as of" is the last recorded entry, not the window edge.
  const asOf = end - 1;
  // Its own stream: the watchers' draws leave the orders' (and so every earlier month's numbers) as they were.
  const watchRng = new Rng((opts.seed ?? 1) * 104_729 + 3);
  for (let i = 1; i <= opts.orders; i++) {
    const path = rng.weighted(PATH_WEIGHTS);
    const source = rng.weighted(SOURCES);
    const campaign = rng.weighted(CAMPAIGNS);
    const utm = campaign === null ? null : (UTM[campaign] ?? null);
    const currency = rng.chance(0.2) ? "EUR" : "USD";
    const b = new OrderBuilder(
      tenant,
      {
        order_id: `o${String(i).padStart(7, "0")}`,
        value_minor: rng.int(15, 400) * 100 + rng.pick([0, 49, 95, 99]),
        currency,
        utm_source: utm?.[0] ?? null,
        utm_medium: utm?.[1] ?? null,
        utm_campaign: campaign,
        channel: source === "marketplace" ? "marketplace" : source === "pos" ? "store" : rng.pick(["web", "app"]),
      },
      asOf,
    );
    const t0 = start + Math.floor(rng.next() * (end - start));
    playPath(path, { b, rng, source }, t0);
    const order = b.orderRow();
    if (order === null) continue;
    // Orders nobody was on get the stuck_order watcher's task: not on the order's trail (events.csv),
    // but counted in its row as the export counts D1's tasks, so such an order is no longer silent.
    const stuck = opts.watchers === false ? null : stuckOrderTask(watchRng, order, asOf);
    if (stuck === null) yield { path, order, events: b.events, tasks: [...b.tasks.values()] };
    else yield { path, order: { ...order, tasks: order.tasks + 1, open_tasks: order.open_tasks + 1 }, events: b.events, tasks: [...b.tasks.values(), stuck] };
    // Now and then a refused delivery no order can be found for: a task with nothing to attach it to.
    if (rng.chance(0.002)) yield orphanRejection(tenant, rng, t0, asOf);
  }
  const outages = opts.watchers === false ? [] : sourceOutages(tenant, opts.seed ?? 1, start, end);
  if (outages.length > 0) yield { path: "source_outage", order: null, events: [], tasks: outages };
  if (opts.inventory !== false) {
    const stock = inventoryMonth(tenant, opts.seed ?? 1, start, end);
    yield { path: "inventory_drift", order: null, events: [], tasks: stock.tasks, inventory: stock.rows };
  }
}

function orphanRejection(tenant: string, rng: Rng, t0: number, asOf: number): GeneratedOrder {
  const opened = Math.min(t0 + rng.int(MINUTE, HOUR), asOf);
  const r = RULES.customer;
  const claimed = rng.chance(0.7) ? opened + rng.int(5 * MINUTE, 10 * HOUR) : null;
  const claimedIn = claimed !== null && claimed <= asOf ? claimed : null;
  const id = `rej_orphan_${rng.hex(10)}`;
  const task: TaskRow = {
    tenant_id: tenant, task_id: `tk_${id}`, order_id: null, rejection_id: id, type: "schema_rejection",
    status: claimedIn === null ? "open" : "claimed", owner: r.ladder[0], owning_party: r.owning_party, level: 0,
    value_minor: null, currency: null, opened_at: new Date(opened).toISOString(), sla_due: new Date(opened + r.sla_ms).toISOString(),
    claimed_at: claimedIn === null ? null : new Date(claimedIn).toISOString(), claimed_by: claimedIn === null ? null : "chen@ops",
    resolved_at: null, resolved_by: null, action: null,
    first_response_ms: claimedIn === null ? null : claimedIn - opened, resolve_ms: null, onset_at: null, detect_ms: null,
  };
  return { path: "orphan_rejection", order: null, events: [], tasks: [task] };
}
