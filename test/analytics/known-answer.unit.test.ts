import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateScenario, writeScenario, type GeneratedOrder } from "../../analytics/generate";
import { loadNotebook, runNodeNotebook, type NodeRun } from "../../analytics/node/host";
import type { CellRun } from "../../analytics/engine/run";
import { notebookColumns } from "../../cli/export";
import * as x from "./expected";
import * as t from "./expected-trail";

/**
 * Known answers: a generated month whose every number is computed here, in
 * plain TypeScript over the generated objects, then compared with what the
 * notebooks answer through the Node host (the same code `npm run notebook` runs).
 */

let dir = "";
let generated: GeneratedOrder[] = [];
let month: x.Month;
let monthly: NodeRun;
let weekly: NodeRun;
/** The same month exported with `--notebook monthly-root-cause`: only the columns that notebook reads. */
let lean: NodeRun;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "handoff-analytics-"));
  const s = writeScenario(dir, { orders: 3000, seed: 42, keep: true });
  generated = s.orders ?? [];
  month = new x.Month(generated);
  monthly = await runNodeNotebook(loadNotebook("monthly-root-cause"), dir);
  weekly = await runNodeNotebook(loadNotebook("sla-review"), dir);
  writeScenario(path.join(dir, "lean"), { orders: 3000, seed: 42, columns: notebookColumns("monthly-root-cause") });
  lean = await runNodeNotebook(loadNotebook("monthly-root-cause"), path.join(dir, "lean"));
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function cell(run: NodeRun, name: string): CellRun {
  const c = run.run.cells.find((r) => r.cell.name === name);
  if (!c) throw new Error(`no cell ${name}`);
  return c;
}

/** Every value of every row: exact for counts, text and timestamps; doubles to 1e-9 relative. */
function expectRows(run: NodeRun, name: string, columns: string[], expected: x.Rows): void {
  const c = cell(run, name);
  expect(c.error, `${name} failed`).toBeNull();
  const r = c.result;
  if (!r) throw new Error(`${name} has no result`);
  expect(r.columns.map((col) => col.name), `${name} columns`).toEqual(columns);
  expect(r.rows.length, `${name} row count`).toBe(expected.length);
  expected.forEach((row, i) => {
    row.forEach((want, j) => {
      const got = r.rows[i]?.[j];
      const where = `${name} row ${i} (${String(row[0])}) column ${columns[j]}`;
      if (typeof want === "number" && typeof got === "number") {
        expect(Math.abs(got - want), `${where}: ${got} vs ${want}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
      } else {
        expect(got, where).toEqual(want);
      }
    });
  });
}

describe("the generated month", () => {
  it("loads every row of the three exports", () => {
    expect(monthly.run.loaded).toEqual({ events: month.events.length, orders: month.orders.length, tasks: month.tasks.length });
    expect(monthly.run.cells.filter((c) => c.error !== null).map((c) => `${c.cell.name}: ${c.error ?? ""}`)).toEqual([]);
  });

  it("has every kind of trouble the review looks for (or the comparison proves little)", () => {
    const paths = new Set(generated.map((g) => g.path));
    for (const p of ["uncaptured", "payment_failed", "consumer_rejected", "fulfillment_rejected", "outage", "oversell", "conflict", "schema", "silent_shipping", "silent_orphan", "cancelled", "late_change", "orphan_rejection"]) {
      expect(paths, p).toContain(p);
    }
    const st = month.all();
    expect(st.filter((s) => s.dropped).length).toBeGreaterThan(50);
    expect(st.filter((s) => s.inFlight).length).toBeGreaterThan(50);
    expect(new Set(month.orders.map((o) => o.currency))).toEqual(new Set(["USD", "EUR", null]));
  });

  it("calls silent exactly the orders the scenario left with nobody watching, and once the watchers run there are none", () => {
    const bare = [...generateScenario({ orders: 3000, seed: 42, watchers: false })];
    const bareMonth = new x.Month(bare);
    const silentPaths = new Set(bare.filter((g) => g.order && bareMonth.status.get(g.order.order_id)?.silent).map((g) => g.path));
    expect([...silentPaths].sort()).toEqual(["silent_orphan", "silent_shipping"]);
    const judged = (gs: readonly GeneratedOrder[], m: x.Month) =>
      gs.filter((g) => (g.path === "silent_orphan" || g.path === "silent_shipping") && g.order && !m.status.get(g.order.order_id)?.inFlight);
    expect(judged(bare, bareMonth).every((g) => g.order && bareMonth.status.get(g.order.order_id)?.silent)).toBe(true);
    // The same month with the watchers: each of those orders has its stuck_order task, and nothing is silent.
    expect(judged(generated, month).length).toBe(judged(bare, bareMonth).length);
    expect(judged(generated, month).every((g) => g.tasks.some((tk) => tk.type === "stuck_order" && tk.status !== "resolved"))).toBe(true);
    expect(generated.filter((g) => g.order && month.status.get(g.order.order_id)?.silent)).toEqual([]);
  });

  it("finds the cause each trouble was generated with", () => {
    const causes = t.causesOf(month);
    const expectCause: Partial<Record<GeneratedOrder["path"], t.Cause>> = {
      consumer_rejected: "downstream rejection", fulfillment_rejected: "downstream rejection", outage: "downstream outage",
      oversell: "oversell / backorder", conflict: "locked-field conflict", late_change: "manual divergence", schema: "schema rejection",
    };
    for (const g of generated) {
      const want = expectCause[g.path];
      if (!g.order || !want) continue;
      // A trail the window's end cut before the trouble happened shows no evidence yet.
      if (g.order.state === "received" || g.events.length < 8) continue;
      if (want === "schema rejection" && g.tasks.length === 0) continue;
      if (want === "downstream rejection" && !g.events.some((e) => e.type === "hold.opened")) continue;
      if (want === "oversell / backorder" && g.order.backordered_at === null) continue;
      if (want === "locked-field conflict" && g.order.conflicts === 0) continue;
      if (want === "manual divergence" && !g.events.some((e) => e.type === "field.changed_late")) continue;
      expect(causes.get(g.order.order_id), `${g.order.order_id} (${g.path})`).toContain(want);
    }
  });
});

describe("monthly-root-cause answers every number", () => {
  const DROP = ["entered", "in_flight", "dropped", "silent", "dropped_rate"];

  it("headline", () => {
    expectRows(monthly, "headline", ["entered", "reached_shipping", "closed", "in_flight", "dropped", "dropped_rate", "silent", "silent_rate"], x.headline(month));
  });

  it("dropped-lead rate by week, source and campaign", () => {
    expectRows(monthly, "dropped_by_week", ["week", ...DROP], x.droppedByWeek(month));
    expectRows(monthly, "dropped_by_source", ["source", ...DROP], x.droppedBySource(month));
    expectRows(monthly, "dropped_by_campaign", ["campaign", "utm_source", ...DROP], x.droppedByCampaign(month));
  });

  it("silently stuck orders", () => {
    expectRows(monthly, "silent_orders", ["order_id", "source", "state", "value_minor", "currency", "created_at", "last_activity", "idle_ms"], x.silentOrders(month));
  });

  it("MTTD and MTTR p50/p90 of stuck orders", () => {
    const rows = t.stuckOrders(month);
    expect(rows.length).toBeGreaterThan(2);
    expectRows(monthly, "stuck_orders", ["detected_by", "stuck_orders", "recovered", "still_stuck", "mttd_p50_ms", "mttd_p90_ms", "mttr_p50_ms", "mttr_p90_ms"], rows);
  });

  it("SLA breaches by step and owning party", () => {
    expectRows(monthly, "sla_breaches", ["step", "owning_party", "breaches", "to_backup", "to_on_call", "recovered", "still_open", "recovery_p50_ms"], t.slaBreaches(month));
  });

  it("root causes with revenue at risk per currency", () => {
    const rows = t.rootCauses(month);
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(t.CAUSES));
    expectRows(monthly, "root_causes", ["cause", "currency", "orders", "dropped", "unfulfilled", "value_minor", "at_risk_minor"], rows);
  });

  it("duplicate-event and redelivery rates per sender", () => {
    expectRows(monthly, "duplicates", ["source", "receipts", "events_applied", "duplicate_events", "duplicate_rate", "redeliveries", "redelivery_rate"], t.duplicates(month));
  });

  it("manual queue time to first response", () => {
    expectRows(
      monthly,
      "manual_queue",
      ["task_type", "tasks", "claimed", "open_now", "unclaimed_now", "first_response_p50_ms", "first_response_p90_ms", "resolved", "resolve_p50_ms"],
      x.manualQueue(month),
    );
  });

  it("times detection per detector, with the watchers' tasks among them", () => {
    const rows = x.timeToDetect(month);
    expect(rows.map((r) => r[0])).toEqual(expect.arrayContaining(["source_silent", "stuck_order", "sla_breach"]));
    expectRows(monthly, "time_to_detect", ["detector", "tasks", "timed", "mttd_ms", "detect_p50_ms", "detect_p90_ms", "detect_max_ms"], rows);
  });

  it("renders a self-contained report: charts inline, no external URL", () => {
    expect(monthly.html).toContain("<svg");
    expect(monthly.html.match(/class="nb-chart"/g)?.length).toBe(9);
    expect(monthly.html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(monthly.html).not.toContain("This cell failed");
  });
});

describe("sla-review answers every number", () => {
  it("breaches per step and owner, by week", () => {
    expectRows(weekly, "breaches_by_week", ["week", "step", "owning_party", "owner", "breaches", "to_backup", "to_on_call"], t.breachesByWeek(month));
  });

  it("open breaches", () => {
    expectRows(weekly, "open_breaches", ["step", "owning_party", "owner", "open_breaches", "with_owner", "with_backup", "with_on_call", "oldest_open_ms"], t.openBreaches(month));
  });

  it("unacknowledged handoffs", () => {
    expectRows(
      weekly,
      "unacked_handoffs",
      ["step", "owning_party", "owner", "handoffs", "acked", "by_signed_ack", "by_consumer_event", "on_delivery", "unacked", "escalated", "ack_p50_ms", "ack_p90_ms", "oldest_unacked_ms"],
      t.unackedHandoffs(month),
    );
  });

  it("counts a handoff to a consumer that owes no ack as acknowledged on delivery, like the order API (issue 11)", () => {
    const r = cell(weekly, "unacked_handoffs").result;
    const col = (row: readonly unknown[] | undefined, name: string): number => Number(row?.[r?.columns.findIndex((c) => c.name === name) ?? -1]);
    const shipping = r?.rows.find((row) => row[0] === "shipping");
    const routing = r?.rows.find((row) => row[0] === "routing");
    // The carrier's contract has requires_ack: false: every delivered shipping handoff is acked, none by a signed ack.
    expect(col(shipping, "on_delivery")).toBeGreaterThan(1000);
    expect(col(shipping, "by_signed_ack")).toBe(0);
    // Only a handoff whose delivery falls after the month's last entry is still open.
    expect(col(shipping, "unacked")).toBeLessThanOrEqual(1);
    expect(col(shipping, "acked") + col(shipping, "unacked")).toBe(col(shipping, "handoffs"));
    expect(col(routing, "by_signed_ack")).toBeGreaterThan(1000);
    expect(col(routing, "on_delivery")).toBe(0);
  });

  it("manual tasks by week", () => {
    expectRows(weekly, "tasks_by_week", ["week", "opened", "claimed", "resolved", "still_open", "first_response_p50_ms", "first_response_p90_ms"], x.tasksByWeek(month));
  });
});

describe("an export of only the notebook's columns (`npm run export -- --notebook monthly-root-cause`)", () => {
  it("gives every cell the same answer as the full export", () => {
    const answers = (run: NodeRun) => run.run.cells.map((c) => ({ cell: c.cell.name, error: c.error, columns: c.result?.columns, rows: c.result?.rows }));
    expect(lean.run.cells.length).toBe(monthly.run.cells.length);
    expect(answers(lean)).toEqual(answers(monthly));
  });

  it("is refused, naming the columns, by a notebook that reads more than it holds", async () => {
    await expect(runNodeNotebook(loadNotebook("sla-review"), path.join(dir, "lean"))).rejects.toThrow(/lacks column\(s\) this notebook reads: .*export_id/);
    // It starts a DuckDB-wasm engine of its own: seconds on a busy machine.
  }, 60_000);
});

