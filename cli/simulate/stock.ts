import { Sku } from "../../domain/inventory/events";
import { standardHeaders } from "../sign";
import type { EngineApi, LevelLite, OrderLite } from "./api";
import { unit } from "./rng";

/**
 * `--stock <sku>:<units>` (repeatable): the simulator stocks SKUs before the
 * campaign, makes the orders carry them, and afterwards reports what the
 * engine did with the contention — routed, split, backordered — and the
 * oversells it prevented: the units (and orders) an engine without
 * reservations would have routed beyond what was on hand.
 *
 * Pure but for `sendSnapshot` and the level read, which the run passes in.
 */

export interface StockSpec {
  sku: string;
  units: number;
}

/** The SKUs of the Shopify fixture's two line items (quantities 1 and 2): replaced per order by stocked SKUs. */
export const FIXTURE_LINE_SKUS = ["SKU2006-001", "CASE-LEATHER-PREM"] as const;

export function parseStock(specs: readonly string[] | undefined): StockSpec[] {
  const out: StockSpec[] = [];
  for (const spec of specs ?? []) {
    const at = spec.lastIndexOf(":");
    const sku = at < 0 ? "" : spec.slice(0, at);
    const unitsText = at < 0 ? "" : spec.slice(at + 1);
    const units = Number(unitsText);
    if (!Sku.safeParse(sku).success || !/^[0-9]+$/.test(unitsText) || !Number.isSafeInteger(units)) {
      throw new Error(`--stock: '${spec}' is not <sku>:<units> (a SKU of letters, digits and . _ : # -, then whole units ≥ 0)`);
    }
    if (out.some((s) => s.sku === sku)) throw new Error(`--stock: '${sku}' is given twice`);
    out.push({ sku, units });
  }
  return out;
}

/** Which stocked SKU each fixture line carries for this order: drawn per order and line, the same on every rerun. */
export function lineSkus(seed: number, orderId: string, stock: readonly StockSpec[]): string[] {
  if (stock.length === 0) return [...FIXTURE_LINE_SKUS];
  return FIXTURE_LINE_SKUS.map((_, line) => stock[Math.floor(unit(seed, `sku:${orderId}:${line}`) * stock.length)]?.sku ?? stock[0]?.sku ?? "");
}

/**
 * A Shopify order body with its line items' SKUs replaced. The body is never
 * parsed (its ids exceed 2^53), so each fixture SKU must be found as a JSON value.
 */
export function withLineSkus(body: string, skus: readonly string[]): string {
  let out = body;
  FIXTURE_LINE_SKUS.forEach((from, i) => {
    const needle = `"sku": "${from}"`;
    if (!out.includes(needle)) throw new Error(`fixture drifted: line item sku '${from}' not found`);
    out = out.split(needle).join(`"sku": ${JSON.stringify(skus[i] ?? from)}`);
  });
  return out;
}

/** The canonical Standard Webhooks stock report (issue 17): absolute on hand, as of `at`, no order id. */
export function snapshotBody(s: StockSpec, atMs: number): string {
  return JSON.stringify({ type: "inventory.snapshot", occurred_at: new Date(atMs).toISOString(), data: { sku: s.sku, on_hand: s.units } });
}

/** Posts the snapshot as the WMS (a Standard Webhooks sender); throws unless the engine committed it. */
export async function sendSnapshot(target: string, tenant: string, source: { name: string; secret: string }, s: StockSpec, atMs: number, runId: string): Promise<void> {
  const body = snapshotBody(s, atMs);
  const id = `sim-stock_${runId}_${s.sku}`;
  const res = await fetch(`${target}/v1/tenants/${encodeURIComponent(tenant)}/webhooks/${encodeURIComponent(source.name)}`, {
    method: "POST",
    headers: await standardHeaders({ body, secret: source.secret, id }),
    body,
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`stock snapshot for ${s.sku}: ${res.status} ${await res.text()}`);
}

export interface SkuReport {
  sku: string;
  /** What the simulator's snapshot set. */
  stocked: number;
  /** Units already reserved by earlier runs when this one began: not promisable to it. */
  reserved_before: number;
  oversell_buffer: number;
  /** The level read back after the run (shipments have consumed units from on hand and reserved alike). */
  on_hand: number;
  reserved: number;
  available: number;
  /** Units the engine decided on for this run's orders: routed + backordered = what an engine without reservations would have routed. */
  demand: number;
  routed_units: number;
  backordered_units: number;
  orders: { routed: number; split: number; backordered: number };
  oversells_prevented: { orders: number; units: number };
  /** Set when the engine promised more than on hand + buffer (read back, or in what it routed). */
  oversold: string | null;
}

export interface StockReport {
  skus: SkuReport[];
  /** Orders holding a stocked SKU, whole: all routed, split (a routing and a backorder export), or wholly backordered. */
  orders: { routed: number; split: number; backordered: number };
  oversells_prevented: { orders: number; units: number };
  oversold: boolean;
}

const LIVE_EXPORT = new Set(["pending", "delivered", "acked", "blocked", "failed", "rejected", "not_cancelled"]);

/** The units of one SKU in the newest live export of an action, or 0. */
function unitsIn(order: OrderLite, action: "fulfil_order" | "backorder_order", sku: string): number {
  const live = order.exports.filter((e) => e.export.intended_action === action && LIVE_EXPORT.has(e.status));
  const newest = live.reduce<(typeof live)[number] | null>((a, e) => (a === null || (e.export.version ?? 1) > (a.export.version ?? 1) ? e : a), null);
  return (newest?.export.order?.line_items ?? []).filter((l) => l.sku === sku).reduce((n, l) => n + l.quantity, 0);
}

/**
 * Per SKU: the engine's split of this run's orders, read from their exports,
 * against what the simulator stocked and the level read back. An engine
 * without reservations routes every unit it decided on (`demand`); beyond what
 * was promisable it oversells. Prevented = that oversell less any the engine
 * did itself (up to its buffer, which is an allowed oversell).
 */
export function stockReport(stock: readonly StockSpec[], before: ReadonlyMap<string, LevelLite>, after: ReadonlyMap<string, LevelLite>, orders: readonly (OrderLite | null)[]): StockReport {
  const skus = stock.map((s): SkuReport => {
    const start = before.get(s.sku);
    const end = after.get(s.sku);
    const reservedBefore = start?.reserved ?? 0;
    const buffer = end?.oversell_buffer ?? start?.oversell_buffer ?? 0;
    const promisable = Math.max(0, s.units - reservedBefore);
    const counts = { routed: 0, split: 0, backordered: 0 };
    let routedUnits = 0;
    let backorderedUnits = 0;
    let preventedOrders = 0;
    for (const o of orders) {
      if (o === null) continue;
      const r = unitsIn(o, "fulfil_order", s.sku);
      const b = unitsIn(o, "backorder_order", s.sku);
      routedUnits += r;
      backorderedUnits += b;
      if (b > 0) preventedOrders++;
      if (r > 0 && b === 0) counts.routed++;
      else if (r > 0) counts.split++;
      else if (b > 0) counts.backordered++;
    }
    const demand = routedUnits + backorderedUnits;
    const engineOversell = Math.max(0, routedUnits - promisable);
    const problems: string[] = [];
    if (end && end.reserved > end.on_hand + end.oversell_buffer) problems.push(`reserved ${end.reserved} > on hand ${end.on_hand} + buffer ${end.oversell_buffer}`);
    if (routedUnits > promisable + buffer) problems.push(`routed ${routedUnits} units > ${promisable} promisable + buffer ${buffer}`);
    return {
      sku: s.sku,
      stocked: s.units,
      reserved_before: reservedBefore,
      oversell_buffer: buffer,
      on_hand: end?.on_hand ?? 0,
      reserved: end?.reserved ?? 0,
      available: end?.available ?? 0,
      demand,
      routed_units: routedUnits,
      backordered_units: backorderedUnits,
      orders: counts,
      oversells_prevented: { orders: preventedOrders, units: Math.max(0, Math.max(0, demand - promisable) - engineOversell) },
      oversold: problems.length === 0 ? null : problems.join("; "),
    };
  });
  const whole = { routed: 0, split: 0, backordered: 0 };
  for (const o of orders) {
    if (o === null) continue;
    const routed = stock.some((s) => unitsIn(o, "fulfil_order", s.sku) > 0);
    const backordered = stock.some((s) => unitsIn(o, "backorder_order", s.sku) > 0);
    if (routed || backordered) whole[routed && backordered ? "split" : backordered ? "backordered" : "routed"]++;
  }
  return {
    skus,
    orders: whole,
    oversells_prevented: { orders: skus.reduce((n, s) => n + s.oversells_prevented.orders, 0), units: skus.reduce((n, s) => n + s.oversells_prevented.units, 0) },
    oversold: skus.some((s) => s.oversold !== null),
  };
}

export function renderStock(r: StockReport): string {
  const head = ["sku", "stocked", "on hand", "reserved", "available", "demand", "routed", "split", "backordered", "oversells prevented"];
  const rows = r.skus.map((s) => [
    s.sku,
    String(s.stocked) + (s.reserved_before > 0 ? ` (${s.reserved_before} already reserved)` : ""),
    String(s.on_hand),
    String(s.reserved),
    String(s.available),
    `${s.demand} u`,
    `${s.orders.routed} orders, ${s.routed_units} u`,
    `${s.orders.split} orders`,
    `${s.orders.backordered} orders, ${s.backordered_units} u`,
    `${s.oversells_prevented.orders} orders, ${s.oversells_prevented.units} u`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const fmt = (row: readonly string[]) => ` ${row.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" │ ")}`;
  const lines = [
    "stock, per SKU (u = units; an order's lines of one SKU are routed, split or backordered together):",
    fmt(head),
    ...rows.map(fmt),
    `orders with stocked SKUs: ${r.orders.routed} routed whole, ${r.orders.split} split (a routing and a backorder export), ${r.orders.backordered} wholly backordered`,
  ];
  lines.push(
    r.oversold
      ? `OVERSOLD: ${r.skus
          .filter((s) => s.oversold !== null)
          .map((s) => `${s.sku}: ${s.oversold ?? ""}`)
          .join(" · ")}`
      : `no oversell: every SKU's reservations stayed within on hand + buffer; ${r.oversells_prevented.orders} orders (${r.oversells_prevented.units} units) an engine without reservations would have routed beyond on hand were split or backordered`,
  );
  return lines.join("\n");
}

/** Each stocked SKU's level, read back through the API. */
export async function readLevels(api: Pick<EngineApi, "inventory">, stock: readonly StockSpec[]): Promise<Map<string, LevelLite>> {
  const out = new Map<string, LevelLite>();
  for (const s of stock) out.set(s.sku, await api.inventory(s.sku));
  return out;
}

/**
 * Stocks every SKU before the campaign and reads the levels it starts from.
 * Throws when a level read back does not show the units sent: orders must not
 * race a snapshot the engine has not applied.
 */
export async function stockUp(
  api: Pick<EngineApi, "inventory">,
  target: string,
  tenant: string,
  wms: { name: string; secret: string },
  stock: readonly StockSpec[],
  runId: string,
): Promise<Map<string, LevelLite>> {
  const at = Date.now();
  for (const s of stock) await sendSnapshot(target, tenant, wms, s, at, runId);
  const levels = await readLevels(api, stock);
  for (const s of stock) {
    const l = levels.get(s.sku);
    if (l === undefined || l.on_hand < s.units) throw new Error(`stock ${s.sku}: sent on hand ${s.units}, the engine reads ${l?.on_hand ?? "nothing"} (another location or a newer snapshot?)`);
  }
  return levels;
}
