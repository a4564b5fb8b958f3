import type { Bucket, Counts, MeterReport } from "./meter";
import { costPerMillion, PRICES, PRICES_CHECKED, type Usage } from "./prices";

/** One `npm run bench:cost` run, as cost.json holds it. */
export interface CostRun {
  at: string;
  label: string | null;
  machine: { cpus: number; node: string; load: number[] };
  settings: { orders: number; seed: number; faults: string; timeFactor: number; concurrency: number };
  inbound: { requests: number; webhooks: number; duplicatesSent: number; redeliveries: number; statuses: Record<string, number> };
  consumers: { deliveries: number; redeliveries: number; rejected: number; slow: number };
  meter: MeterReport & { d1Bytes: number | null; d1Tables: Record<string, number> };
  /** D1's size when the measured run started (the tenant's setup and the empty schema). */
  d1BytesBefore: number | null;
  cpuMs: number;
  wallSeconds: number;
  timedOut: boolean;
}

/** Everything but an observer's reads is the lifecycle's cost. */
const LIFECYCLE: readonly Bucket[] = ["webhook", "ack", "alarm", "admin", "other"];

export function lifecycleTotals(buckets: Record<Bucket, Counts>): Counts {
  const t: Counts = { workerRequests: 0, doRequests: 0, doRequestsByMethod: {}, doRowsRead: 0, doRowsWritten: 0, alarmWrites: 0, d1Queries: 0, d1RowsRead: 0, d1RowsWritten: 0, d1Unmetered: 0, doWallMs: 0, writesBySql: {} };
  for (const b of LIFECYCLE) {
    const c = buckets[b];
    t.workerRequests += c.workerRequests;
    t.doRequests += c.doRequests;
    for (const [m, n] of Object.entries(c.doRequestsByMethod)) t.doRequestsByMethod[m] = (t.doRequestsByMethod[m] ?? 0) + n;
    t.doRowsRead += c.doRowsRead;
    t.doRowsWritten += c.doRowsWritten;
    t.alarmWrites += c.alarmWrites;
    t.d1Queries += c.d1Queries;
    t.d1RowsRead += c.d1RowsRead;
    t.d1RowsWritten += c.d1RowsWritten;
    t.d1Unmetered += c.d1Unmetered;
    t.doWallMs += c.doWallMs;
    for (const [k, n] of Object.entries(c.writesBySql)) t.writesBySql[k] = (t.writesBySql[k] ?? 0) + n;
  }
  return t;
}

export function perOrder(run: CostRun): Usage & { alarmWrites: number; exports: number } {
  const t = lifecycleTotals(run.meter.buckets);
  const n = run.settings.orders;
  const d1Grown = run.meter.d1Bytes === null || run.d1BytesBefore === null ? 0 : Math.max(0, run.meter.d1Bytes - run.d1BytesBefore);
  return {
    workerRequests: t.workerRequests / n,
    workerCpuMs: run.cpuMs / n,
    doRequests: t.doRequests / n,
    doWallMs: t.doWallMs / n,
    doRowsRead: t.doRowsRead / n,
    // setAlarm() is billed as a row written.
    doRowsWritten: (t.doRowsWritten + t.alarmWrites) / n,
    doBytes: run.meter.doBytes / n,
    d1RowsRead: t.d1RowsRead / n,
    d1RowsWritten: t.d1RowsWritten / n,
    d1Bytes: d1Grown / n,
    alarmWrites: t.alarmWrites / n,
    exports: (run.meter.d1Tables.handoffs ?? 0) / n,
  };
}

const f = (x: number, digits = 1) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const usd = (x: number) => `$${x.toLocaleString("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 })}`;

export function renderCost(run: CostRun): string {
  const t = lifecycleTotals(run.meter.buckets);
  const u = perOrder(run);
  const n = run.settings.orders;
  const { lines, total } = costPerMillion(u);
  const inboundPerOrder = run.inbound.requests / n;
  const doBudget = inboundPerOrder + u.exports + 2;
  const rowsWritten = u.doRowsWritten + u.d1RowsWritten;
  const reads = run.meter.buckets.read;
  const methods = Object.entries(t.doRequestsByMethod)
    .sort((a, b) => b[1] - a[1])
    .map(([m, c]) => `${m} ${f(c / n, 2)}`)
    .join(" · ");
  return `# Cost per order lifecycle${run.label ? ` (${run.label})` : ""}

${run.at} · ${run.machine.cpus} CPUs, load ${run.machine.load.map((l) => l.toFixed(2)).join(" ")} (shared machine) · Node ${run.machine.node}
${n} orders from the campaign simulator (seed ${run.settings.seed}, faults \`${run.settings.faults}\`, time factor ${run.settings.timeFactor}×), against the engine under \`wrangler dev\` behind meters (bench/cost/meter.ts); ${f(run.wallSeconds, 0)} s${run.timedOut ? " — **settle timed out: counts are incomplete**" : ""}.
Inbound: ${run.inbound.requests} requests for ${run.inbound.webhooks} webhooks (${run.inbound.duplicatesSent} duplicates, ${run.inbound.redeliveries} redeliveries; statuses ${JSON.stringify(run.inbound.statuses)}). Consumers received ${run.consumers.deliveries} deliveries (${run.consumers.rejected} rejected, ${run.consumers.slow} slow).

## Per order lifecycle (counts are deterministic for a seed; CPU and duration are not)

| what | per order | total |
|---|---:|---:|
| Worker requests | ${f(u.workerRequests, 2)} | ${t.workerRequests} |
| Durable Object requests (RPC + alarms) | ${f(u.doRequests, 2)} | ${t.doRequests} |
| … by method | ${methods} | |
| DO rows written (SQL) + setAlarm() | ${f(u.doRowsWritten - u.alarmWrites, 1)} + ${f(u.alarmWrites, 1)} | ${t.doRowsWritten} + ${t.alarmWrites} |
| DO rows read | ${f(u.doRowsRead, 1)} | ${t.doRowsRead} |
| D1 rows written | ${f(u.d1RowsWritten, 1)} | ${t.d1RowsWritten} |
| D1 rows read | ${f(u.d1RowsRead, 1)} | ${t.d1RowsRead} |
| D1 queries (unmetered) | ${f(t.d1Queries / n, 2)} (${t.d1Unmetered}) | ${t.d1Queries} |
| **rows written, DO + D1** | **${f(rowsWritten, 1)}** | |
| isolate CPU ms (V8 profile, Worker + objects) | ${f(u.workerCpuMs, 2)} | ${f(run.cpuMs, 0)} |
| DO wall ms inside requests (floor for duration) | ${f(u.doWallMs, 1)} | ${f(t.doWallMs, 0)} |
| DO bytes stored (SQLite size of ${run.meter.doObjects} objects) | ${f(u.doBytes / 1024, 1)} KiB | ${f(run.meter.doBytes / 1048576, 1)} MiB |
| D1 bytes stored (growth) | ${f(u.d1Bytes / 1024, 1)} KiB | |
| exports issued (D1 handoffs) | ${f(u.exports, 2)} | ${run.meter.d1Tables.handoffs ?? 0} |

Rows written per order, by statement (index entries included):

| statement | per order |
|---|---:|
${Object.entries(t.writesBySql)
  .sort((a, b) => b[1] - a[1])
  .map(([k, v]) => `| \`${k}\` | ${f(v / n, 2)} |`)
  .join("\n")}

Targets: rows written ≤ 40 per lifecycle (DO + D1): **${f(rowsWritten, 1)}**; DO requests ≤ inbound requests + exports + 2 = ${f(inboundPerOrder, 2)} + ${f(u.exports, 2)} + 2 = ${f(doBudget, 2)}: **${f(u.doRequests, 2)}** (${u.doRequests <= doBudget ? "met" : "not met"}).
Still scheduled when the run went quiet (SLA clocks minutes or hours out, not counted): ${run.meter.alarmsPending} object alarms.
Not counted as lifecycle (observer reads, none expected): ${reads.workerRequests} Worker requests, ${reads.doRequests} DO requests.
D1 rows now: ${Object.entries(run.meter.d1Tables).map(([k, v]) => `${k} ${v}`).join(", ")}.

## Dollars per 1,000,000 order lifecycles

| line | per order | $ per 1 M orders |
|---|---:|---:|
${lines.map((l) => `| ${l.what} | ${l.quantity < 0.001 ? l.quantity.toExponential(2) : f(l.quantity, 3)} | ${usd(l.usdPerMillion)} |`).join("\n")}
| **total** | | **${usd(total)}** |

Storage lines are for keeping the orders one month (GB = 10⁹ bytes); every further month costs them again.

Prices (Workers Paid, checked ${PRICES_CHECKED}; marginal rates, the monthly allowances are per account):

| unit | price | included per month | source |
|---|---|---|---|
${PRICES.map((p) => `| ${p.what} | $${p.usd} per ${p.per === 1 ? "unit" : `${p.per / 1e6} M`} | ${p.included} | ${p.source} |`).join("\n")}
`;
}
