import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { OwnershipRules } from "../../domain/ownership/schema";
import { Totals } from "../../domain/whatif/diff";
import { recordedOrder } from "../../domain/whatif/recorded";
import { proposedRules } from "../../domain/whatif/replay";
import { whatIfOrder } from "../../domain/whatif/run";
import { generateMonth, monthRules } from "./month";

/**
 * `npm run bench:what-if`: a generated month of N orders (decided live by the
 * object's functions, not timed), then the what-if over it (timed): trails →
 * inputs → replay under a proposal → diff → totals. Reports time per 10k
 * orders and the audit rows the replay read. A benchmark, never a test.
 */

const { values } = parseArgs({ options: { orders: { type: "string", default: "100000" }, seed: { type: "string", default: "16" }, out: { type: "string", default: "bench/results" } } });
const n = Number(values.orders);
const progress = (s: string): void => void process.stderr.write(`\r${s}`.padEnd(60));

const genStart = performance.now();
const chunks: ReturnType<typeof generateMonth>[] = [];
// Generated in slices so progress shows; one month, one seed per slice.
const SLICE = 10_000;
for (let i = 0; i < n; i += SLICE) {
  chunks.push(generateMonth({ orders: Math.min(SLICE, n - i), seed: Number(values.seed) + i, tenant: "acme" }));
  progress(`generating ${Math.min(n, i + SLICE)}/${n} orders`);
}
const genMs = performance.now() - genStart;
const first = chunks[0];
if (!first) throw new Error("no orders");
const latest = monthRules().at(-1);
if (!latest) throw new Error("no rules");
// The proposal under review: half the fulfilment SLA, a new shipping owner.
const proposal = { version: latest.version + 1, rules: OwnershipRules.parse({ ...latest.rules, steps: { ...latest.rules.steps, fulfillment: { ...latest.rules.steps.fulfillment, sla: "PT6H" }, shipping: { ...latest.rules.steps.shipping, owner: "dispatch@3pl-acme.example" } } }) };

const totals = new Totals();
let rows = 0;
let done = 0;
const per10k: number[] = [];
const start = performance.now();
const cpuStart = process.cpuUsage();
let lap = start;
for (const month of chunks) {
  for (const o of month.orders) {
    rows += o.trail.length;
    const w = whatIfOrder(recordedOrder(month.tenant, o.order_id, o.trail), proposedRules(proposal), month.end);
    totals.add(w.diff, w.recorded, w.proposed);
    done++;
    if (done % 10_000 === 0) {
      const now = performance.now();
      per10k.push(Math.round(now - lap));
      lap = now;
      progress(`replayed ${done}/${n}`);
    }
  }
}
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpuStart);
// The machine is shared: CPU time is what the replay cost, wall time what it took under the load at the time.
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stderr.write("\n");
const summary = totals.result();
const result = {
  orders: n,
  generate_ms: Math.round(genMs),
  replay_ms: Math.round(ms),
  ms_per_10k: Math.round((ms / n) * 10_000),
  replay_cpu_ms: Math.round(cpuMs),
  cpu_ms_per_10k: Math.round((cpuMs / n) * 10_000),
  load_average: (await import("node:os")).loadavg().map((x) => Math.round(x * 10) / 10),
  per_10k_laps_ms: per10k,
  audit_rows_read: rows,
  rows_per_10k: Math.round((rows / n) * 10_000),
  node: process.version,
  cpus: (await import("node:os")).cpus().length,
  summary: { orders_changed: summary.orders_changed, breaches: summary.breaches, exports: summary.exports, revenue_at_risk: summary.revenue_at_risk },
};
mkdirSync(values.out, { recursive: true });
writeFileSync(path.join(values.out, "what-if.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
