import type { CaseResult } from "./cases";
import type { DrainResult, LifecycleResult } from "./lifecycle";

/** Medians over runs, the ratios and targets, and the markdown/JSON written to bench/results/. */

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

export interface CaseSummary {
  runs: CaseResult[];
  rps: number;
  p50: number;
  p99: number;
}

export function summarizeCase(runs: CaseResult[]): CaseSummary {
  return { runs, rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)) };
}

export interface DrainSummary {
  batch: number;
  runs: DrainResult[];
  rowsPerSecond: number;
}

export interface Target {
  name: string;
  value: number;
  goal: string;
  met: boolean;
}

export interface BenchReport {
  at: string;
  machine: { cpus: number; node: string; load: number[] };
  settings: { seconds: number; runs: number; connections: number; lifecycleOrders: number; smoke: boolean };
  cases: { a_empty: CaseSummary; b_do_write: CaseSummary; c_ingest: CaseSummary; c_ingest_half: CaseSummary };
  lifecycle: LifecycleResult;
  drain: { rowAtATime: DrainSummary; batched: DrainSummary[] };
  ratios: { c_over_a: number; c_over_b: number; batched_over_rows: number };
  targets: Target[];
  notes: string[];
}

export function targets(r: Pick<BenchReport, "cases" | "ratios">): Target[] {
  const half = r.cases.c_ingest_half;
  // A NaN (nothing measured) compares false: it never counts as met.
  return [
    { name: "ingest vs raw DO write (c/b)", value: r.ratios.c_over_b, goal: "≥ 0.70", met: r.ratios.c_over_b >= 0.7 },
    // Latencies count answered 2xx only, so a run that failed requests cannot meet the goal however fast the rest were.
    { name: "p99 ack at half the ingest peak", value: half.p99, goal: "≤ 50 ms, every request 2xx", met: half.p99 <= 50 && half.runs.every((x) => x.non2xx + x.errors === 0) },
    { name: "batched vs row-at-a-time drain", value: r.ratios.batched_over_rows, goal: "≥ 10×", met: r.ratios.batched_over_rows >= 10 },
  ];
}

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : "–");
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : "–");
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : "–");

export function renderMarkdown(r: BenchReport): string {
  const row = (name: string, c: CaseSummary) =>
    `| ${name} | ${f0(c.rps)} | ${f1(c.p50)} | ${f1(c.p99)} | ${c.runs.map((x) => f0(x.rps)).join(" / ")} | ${c.runs.reduce((n, x) => n + x.non2xx + x.errors, 0)} |`;
  const lines = [
    `# Load benchmark${r.settings.smoke ? " (smoke run: numbers prove the harness, not the engine)" : ""}`,
    "",
    `${r.at} · ${r.machine.cpus} CPUs, load ${r.machine.load.map(f2).join(" ")} · Node ${r.machine.node} · ${r.settings.runs} × ${r.settings.seconds} s per case, ${r.settings.connections} connections · medians of the runs`,
    "",
    "| case | req/s | p50 ms | p99 ms | req/s per run | non-2xx + errors |",
    "|---|---:|---:|---:|---|---:|",
    row("(a) empty route GET /healthz", r.cases.a_empty),
    row("(b) raw DO write (1 transactionSync insert)", r.cases.b_do_write),
    row("(c) full ingest (signed order.created)", r.cases.c_ingest),
    row(`(c½) ingest at ${f0(r.cases.c_ingest_half.runs[0]?.targetRps ?? Number.NaN)} req/s`, r.cases.c_ingest_half),
    "",
    `**(d) lifecycle** — paid Shopify order → routing export at a local consumer, ${r.lifecycle.orders} orders: p50 ${f0(r.lifecycle.p50)} ms, p99 ${f0(r.lifecycle.p99)} ms, max ${f0(r.lifecycle.max)} ms (webhook ack p50 ${f0(r.lifecycle.ackP50)} ms; ${r.lifecycle.failures} failures)`,
    "",
    "**(e) outbox drain to D1** (the engine's writeDrain(), sequential, inside the Worker)",
    "",
    "| rows per batch | rows/s (median) | runs |",
    "|---:|---:|---|",
    `| 1 (row-at-a-time) | ${f0(r.drain.rowAtATime.rowsPerSecond)} | ${r.drain.rowAtATime.runs.map((x) => `${x.rows} rows in ${x.ms} ms`).join("; ")} |`,
    ...r.drain.batched.map((d) => `| ${d.batch} | ${f0(d.rowsPerSecond)} | ${d.runs.map((x) => `${x.rows} rows in ${x.ms} ms`).join("; ")} |`),
    "",
    `**Ratios** — c/a ${f2(r.ratios.c_over_a)} · c/b ${f2(r.ratios.c_over_b)} · batched/row-at-a-time ${f1(r.ratios.batched_over_rows)}×`,
    "",
    "| target | measured | goal | |",
    "|---|---:|---|---|",
    ...r.targets.map((t) => `| ${t.name} | ${f2(t.value)} | ${t.goal} | ${t.met ? "met" : "**not met**"} |`),
    "",
    ...r.notes.map((n) => `- ${n}`),
    "",
  ];
  return lines.join("\n");
}
