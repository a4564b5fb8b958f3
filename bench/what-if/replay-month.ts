import { readFileSync } from "node:fs";
import { OwnershipRules } from "../../domain/ownership/schema";
import { Totals } from "../../domain/whatif/diff";
import { recordedOrder, REPLAY_AUDIT_TYPES, StoredAuditLine } from "../../domain/whatif/recorded";
import { proposedRules } from "../../domain/whatif/replay";
import { whatIfOrder } from "../../domain/whatif/run";
import type { AuditLine } from "../../domain/whatif/recorded";
import { monthRules } from "./month";

/**
 * One timed what-if over a month saved by `bench:what-if` (run in its own
 * process, so the current tree and a baseline's are measured alike): rows →
 * trails → inputs → replay under the proposal → diff → totals. Prints one JSON line.
 *
 * What it times is what a WhatIfJob does with a page D1 handed it
 * (worker/whatif/source.ts readPage): the rows of the replay's entry types only
 * (the query's `type IN (…)`), each row's `data` parsed from its JSON text when first read.
 * Loading the file and preparing those rows is not timed (D1's own work).
 * `bench:what-if` runs it with `--disallow-code-generation-from-strings`, as
 * workerd runs the job: zod cannot compile its parsers there (no `new Function`)
 * and interprets them.
 */

interface SavedMonth {
  tenant: string;
  end: number;
  orders: { order_id: string; trail: AuditLine[] }[];
}

const file = process.argv[2];
if (!file) throw new Error("usage: replay-month.ts <month.json> [repeat]");
// A month replayed `repeat` times over: 100,000 orders as 10 passes over a saved 10,000 (one JSON text of 100,000 would pass V8's string limit).
const repeat = Number(process.argv[3] ?? "1");
const month = JSON.parse(readFileSync(file, "utf8")) as SavedMonth;
const wanted = new Set<string>(REPLAY_AUDIT_TYPES);
const pages = month.orders.map((o) => ({
  order_id: o.order_id,
  rows: o.trail.filter((e) => wanted.has(e.type)).map((e) => ({ seq: e.seq, at: e.at, type: e.type, data: JSON.stringify(e.data) })),
}));
const latest = monthRules().at(-1);
if (!latest) throw new Error("no rules");
// The proposal under review: half the fulfilment SLA, a new shipping owner.
const proposal = {
  version: latest.version + 1,
  rules: OwnershipRules.parse({ ...latest.rules, steps: { ...latest.rules.steps, fulfillment: { ...latest.rules.steps.fulfillment, sla: "PT6H" }, shipping: { ...latest.rules.steps.shipping, owner: "dispatch@3pl-acme.example" } } }),
};

const totals = new Totals();
const wall = performance.now();
const cpu = process.cpuUsage();
for (let pass = 0; pass < repeat; pass++) {
  for (const o of pages) {
    // As readPage: each row's JSON parsed when first read, then the order's inputs read from its trail.
    const trail: AuditLine[] = o.rows.map((r) => new StoredAuditLine(r.seq, r.at, r.type, r.data));
    const w = whatIfOrder(recordedOrder(month.tenant, o.order_id, trail), proposedRules(proposal), month.end, "proposed");
    totals.add(w.diff, w.recorded, w.proposed);
  }
}
const used = process.cpuUsage(cpu);
const s = totals.result();
console.log(
  JSON.stringify({
    orders: month.orders.length * repeat,
    cpu_ms: Math.round((used.user + used.system) / 1000),
    wall_ms: Math.round(performance.now() - wall),
    summary: { orders_changed: s.orders_changed, breaches: s.breaches, exports: s.exports, revenue_at_risk: s.revenue_at_risk },
  }),
);
