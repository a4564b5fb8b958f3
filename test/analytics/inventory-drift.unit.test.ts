import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeScenario } from "../../analytics/generate";
import { DRIFT_THRESHOLD } from "../../analytics/generate/inventory";
import { exportFiles, loadNotebook, runNodeNotebook, type NodeRun } from "../../analytics/node/host";
import { notebookTables, toObjects, type Value } from "../../analytics/engine/run";
import { notebookColumns } from "../../cli/export";
import type { InventoryRow, TaskRow } from "../../worker/analytics-exports/rows";
import { weekOf } from "./expected";

/**
 * Known answers for the weekly drift report: the generated month's stock
 * counts and drift tasks, summed and ranked here in plain TypeScript, against
 * what the notebook answers through the Node host (as `npm run notebook` runs it).
 */

let dir = "";
let rows: InventoryRow[] = [];
let tasks: TaskRow[] = [];
let run: NodeRun;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "handoff-drift-"));
  const s = writeScenario(dir, { orders: 300, seed: 5, keep: true });
  rows = (s.orders ?? []).flatMap((g) => g.inventory ?? []);
  tasks = (s.orders ?? []).flatMap((g) => g.tasks).filter((t) => t.type === "inventory_drift");
  run = await runNodeNotebook(loadNotebook("weekly-inventory-drift"), dir);
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function result(name: string): Record<string, Value>[] {
  const c = run.run.cells.find((r) => r.cell.name === name);
  expect(c?.error ?? null, `${name} failed`).toBeNull();
  if (!c?.result) throw new Error(`${name} has no result`);
  return toObjects(c.result);
}

function group<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(key(i), [...(m.get(key(i)) ?? []), i]);
  return m;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const weekMs = (v: Value) => Date.parse(String(v));

interface SkuWeek {
  week: string;
  sku: string;
  abs: number;
  net: number;
  worst: number;
  drifting: number;
  snapshots: number;
}

function skuWeeks(): SkuWeek[] {
  return [...group(rows, (r) => `${weekOf(r.at)}|${r.sku}`).values()].map((list) => ({
    week: weekOf(list[0]?.at ?? ""),
    sku: list[0]?.sku ?? "",
    abs: sum(list.map((r) => r.abs_drift)),
    net: sum(list.map((r) => r.drift)),
    worst: Math.max(...list.map((r) => r.abs_drift)),
    drifting: list.filter((r) => r.drift !== 0).length,
    snapshots: list.length,
  }));
}

describe("the weekly inventory drift report", () => {
  it("the generated month has drift worth a report: counts, misses, and tasks for the big ones", () => {
    expect(rows.length).toBeGreaterThan(500);
    expect(rows.some((r) => r.drift > 0) && rows.some((r) => r.drift < 0)).toBe(true);
    const big = rows.filter((r) => r.abs_drift >= DRIFT_THRESHOLD);
    expect(tasks.length).toBe(big.length);
    expect(new Set(tasks.map((t) => t.owner))).toEqual(new Set(["oms-team"]));
  });

  it("loads the inventory export only because the notebook reads it", () => {
    expect(notebookTables(loadNotebook("weekly-inventory-drift"))).toContain("inventory");
    expect(notebookTables(loadNotebook("monthly-root-cause"))).toEqual(["events", "orders", "tasks"]);
    expect(run.run.loaded.inventory).toBe(rows.length);
    expect(() => exportFiles(path.join(dir, "nowhere"), ["events", "orders", "tasks", "inventory"])).toThrow(/lacks events.csv, orders.csv, tasks.csv, inventory.csv/);
    // `npm run export -- --notebook weekly-inventory-drift` asks for the inventory export, and only the columns read.
    const cols = notebookColumns("weekly-inventory-drift");
    expect(cols.inventory).toEqual(["tenant_id", "sku", "location", "at", "expected", "reported", "drift", "abs_drift", "recorded_at"]);
    expect(notebookColumns("monthly-root-cause").inventory).toBeUndefined();
  });

  it("drift by week: snapshots, SKUs, drifting, above threshold, absolute and net units", () => {
    const got = result("drift_by_week");
    const want = [...group(rows, (r) => weekOf(r.at))].sort(([a], [b]) => Date.parse(a) - Date.parse(b));
    expect(got.length).toBe(want.length);
    want.forEach(([week, list], i) => {
      expect({ ...got[i], week: weekMs(got[i]?.week ?? null) }).toEqual({
        week: Date.parse(week),
        snapshots: list.length,
        skus: new Set(list.map((r) => r.sku)).size,
        drifting: list.filter((r) => r.drift !== 0).length,
        above_threshold: list.filter((r) => r.abs_drift >= DRIFT_THRESHOLD).length,
        abs_drift: sum(list.map((r) => r.abs_drift)),
        net_drift: sum(list.map((r) => r.drift)),
      });
    });
  });

  it("top five SKUs per week by absolute drift, ties by SKU", () => {
    const got = result("top_skus_by_week").map((r) => ({ ...r, week: weekMs(r.week ?? null) }));
    const want = [...group(skuWeeks().filter((s) => s.abs > 0), (s) => s.week)]
      .sort(([a], [b]) => Date.parse(a) - Date.parse(b))
      .flatMap(([, list]) =>
        [...list]
          .sort((a, b) => b.abs - a.abs || (a.sku < b.sku ? -1 : 1))
          .slice(0, 5)
          .map((s, i) => ({ week: Date.parse(s.week), rank: i + 1, sku: s.sku, abs_drift: s.abs, net_drift: s.net, worst: s.worst, drifting: s.drifting, snapshots: s.snapshots })),
      );
    expect(got).toEqual(want);
  });

  it("chronic drift: short in more than half the weeks, most lost first — the leaking SKUs lead", () => {
    const got = result("chronic_skus");
    const want = [...group(skuWeeks(), (s) => s.sku)]
      .map(([sku, list]) => ({ sku, weeks_short: list.filter((s) => s.net < 0).length, weeks: list.length, net_drift: sum(list.map((s) => s.net)), abs_drift: sum(list.map((s) => s.abs)) }))
      .filter((s) => s.weeks_short * 2 > s.weeks)
      .sort((a, b) => a.net_drift - b.net_drift || (a.sku < b.sku ? -1 : 1))
      .slice(0, 10);
    expect(got).toEqual(want);
    // The generator's leaking SKUs (4, 17, 29) lose stock every week.
    expect(got.slice(0, 3).map((r) => r.sku).sort()).toEqual(["SKU-0004", "SKU-0017", "SKU-0029"]);
  });

  it("drift tasks by week: opened, resolved within the SLA, still open, overdue as of the last count, median time to resolve", () => {
    const got = result("drift_tasks_by_week").map((r) => ({ ...r, week: weekMs(r.week ?? null) }));
    const asOf = Math.max(...rows.map((r) => Date.parse(r.recorded_at)));
    const median = (xs: number[]): number | null => {
      const s = [...xs].sort((a, b) => a - b);
      if (s.length === 0) return null;
      const pos = (s.length - 1) / 2;
      const lo = s[Math.floor(pos)] ?? 0;
      const hi = s[Math.ceil(pos)] ?? 0;
      return lo + (hi - lo) * (pos - Math.floor(pos));
    };
    const want = [...group(tasks, (t) => weekOf(t.opened_at))]
      .sort(([a], [b]) => Date.parse(a) - Date.parse(b))
      .map(([week, list]) => {
        const open = list.filter((t) => t.status === "open" || t.status === "claimed");
        return {
          week: Date.parse(week),
          opened: list.length,
          resolved_in_sla: list.filter((t) => t.resolved_at !== null && t.sla_due !== null && Date.parse(t.resolved_at) <= Date.parse(t.sla_due)).length,
          still_open: open.length,
          overdue: open.filter((t) => t.sla_due !== null && Date.parse(t.sla_due) < asOf).length,
          resolve_p50_ms: median(list.flatMap((t) => (t.resolve_ms === null ? [] : [t.resolve_ms]))),
        };
      });
    expect(got).toEqual(want);
  });
});
