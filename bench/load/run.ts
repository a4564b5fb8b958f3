import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { doWrite, emptyRoute, ingest, ingestAtRate, quiesce, signPool, type CaseResult, type LoadOptions } from "./cases";
import { startEngine, type Engine } from "./engine";
import { drainRate, lifecycle, setupTenant, type BenchTenant } from "./lifecycle";
import { median, renderMarkdown, summarizeCase, targets, type BenchReport, type DrainSummary } from "./report";

/**
 * `npm run bench`: a benchmark, never a test. Starts the engine under
 * `wrangler dev` with throwaway state, measures (a)–(e) in one run, prints the
 * table and writes bench/results/load.json and load.md. Run it on a quiet
 * machine: the numbers are only as good as the idle CPU they get.
 */

export const BENCH_USAGE = `usage: npm run bench -- [options]

  --duration S        seconds per run of each throughput case (default 10)
  --runs N            runs per case; medians are reported (default 3)
  --connections N     concurrent connections for autocannon (default 16)
  --lifecycle N       paid orders timed end to end (default 200)
  --smoke             1 run × 3 s, 30 lifecycle orders: proves the harness, fast
  --out DIR           where load.json and load.md go (default bench/results)
`;

const ROOT = path.resolve(import.meta.dirname, "..", "..");
/** Rows per drain in the engine (OrderDO's DRAIN_MAX_ROWS): how it actually batches. */
const ENGINE_DRAIN_ROWS = 240;
/** Pool headroom: signed requests per second of run the ingest case may use before re-sending. */
const POOL_RPS = 3000;

function int(v: string | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, not '${v}'`);
  return n;
}

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

function fmt(name: string, r: CaseResult): string {
  return `${name.padEnd(26)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   ${r.non2xx} non-2xx, ${r.errors} errors`;
}

export async function bench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: "string" },
      runs: { type: "string" },
      connections: { type: "string" },
      lifecycle: { type: "string" },
      smoke: { type: "boolean" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(BENCH_USAGE);
    return 0;
  }
  const smoke = values.smoke ?? false;
  const seconds = int(values.duration, smoke ? 3 : 10, "--duration");
  const runs = int(values.runs, smoke ? 1 : 3, "--runs");
  const connections = int(values.connections, 16, "--connections");
  const lifecycleOrders = int(values.lifecycle, smoke ? 30 : 200, "--lifecycle");
  const outDir = path.resolve(values.out ?? path.join(ROOT, "bench", "results"));

  say("starting the engine under wrangler dev (throwaway state)…");
  let engine: Engine | null = null;
  let tenant: BenchTenant | null = null;
  try {
    engine = await startEngine();
    const url = engine.url;
    tenant = await setupTenant(url, engine.adminToken);
    const t = tenant;
    say(`engine on ${url}; tenant ${t.tenant}; ${runs} × ${seconds} s per case, ${connections} connections`);
    const base: LoadOptions = { url, connections, seconds };

    // Warm-up: first requests pay for isolate start, module load and D1/DO file creation.
    await emptyRoute({ ...base, seconds: 1 });
    await doWrite({ ...base, seconds: 1 });
    await ingest({ ...base, seconds: 1 }, await signPool(t.tenant, t.standardSource.name, t.standardSource.secret, POOL_RPS, "warm"));

    const a: CaseResult[] = [];
    const b: CaseResult[] = [];
    const c: CaseResult[] = [];
    let wrapped = 0;
    // Round-robin, so a noisy moment on the machine spreads over all three cases.
    for (let i = 0; i < runs; i++) {
      a.push(await emptyRoute(base));
      say(fmt(`(a) empty route #${i + 1}`, a[a.length - 1] as CaseResult));
      b.push(await doWrite(base));
      say(fmt(`(b) raw DO write #${i + 1}`, b[b.length - 1] as CaseResult));
      const pool = await signPool(t.tenant, t.standardSource.name, t.standardSource.secret, POOL_RPS * seconds, `c${i}-${Date.now().toString(36)}`);
      c.push(await ingest(base, pool));
      wrapped += pool.wrapped;
      say(fmt(`(c) full ingest #${i + 1}`, c[c.length - 1] as CaseResult));
    }
    const peak = median(c.map((r) => r.rps));
    const half: CaseResult[] = [];
    for (let i = 0; i < runs; i++) {
      const rate = Math.max(1, Math.round(peak / 2));
      const pool = await signPool(t.tenant, t.standardSource.name, t.standardSource.secret, Math.ceil(rate * seconds * 1.2) + 100, `h${i}-${Date.now().toString(36)}`);
      half.push(await ingestAtRate(url, rate, seconds, pool));
      wrapped += pool.wrapped;
      say(fmt(`(c½) ingest @${rate}/s #${i + 1}`, half[half.length - 1] as CaseResult));
    }

    await quiesce(url);
    say(`(d) lifecycle: ${lifecycleOrders} paid orders, 4 at a time…`);
    const life = await lifecycle(url, t, lifecycleOrders, 4, Date.now().toString().slice(-9));
    say(`(d) lifecycle p50 ${life.p50} ms, p99 ${life.p99} ms, max ${life.max} ms, ${life.failures} failures`);

    await quiesce(url);
    const rowRuns = [];
    const batchRuns: Record<number, Awaited<ReturnType<typeof drainRate>>[]> = { 12: [], [ENGINE_DRAIN_ROWS]: [] };
    for (let i = 0; i < runs; i++) {
      rowRuns.push(await drainRate(url, 1, smoke ? 200 : 1000));
      for (const size of [12, ENGINE_DRAIN_ROWS]) (batchRuns[size] ??= []).push(await drainRate(url, size, smoke ? 2400 : 12_000));
    }
    const rowAtATime: DrainSummary = { batch: 1, runs: rowRuns, rowsPerSecond: median(rowRuns.map((r) => r.rowsPerSecond)) };
    const batched: DrainSummary[] = Object.entries(batchRuns).map(([size, rs]) => ({ batch: Number(size), runs: rs, rowsPerSecond: median(rs.map((r) => r.rowsPerSecond)) }));
    const engineBatched = batched.find((d) => d.batch === ENGINE_DRAIN_ROWS);
    say(`(e) drain: row-at-a-time ${rowAtATime.rowsPerSecond.toFixed(0)} rows/s; ${batched.map((d) => `batch ${d.batch}: ${d.rowsPerSecond.toFixed(0)} rows/s`).join("; ")}`);

    const cases = { a_empty: summarizeCase(a), b_do_write: summarizeCase(b), c_ingest: summarizeCase(c), c_ingest_half: summarizeCase(half) };
    const ratios = {
      c_over_a: cases.c_ingest.rps / cases.a_empty.rps,
      c_over_b: cases.c_ingest.rps / cases.b_do_write.rps,
      batched_over_rows: (engineBatched?.rowsPerSecond ?? Number.NaN) / rowAtATime.rowsPerSecond,
    };
    const notes = [
      "Local runtime: workerd through wrangler dev on 127.0.0.1 (local SQLite for D1 and Durable Objects); load from autocannon in the same machine, so client and server share the CPUs.",
      "(b) and (c) use a new Durable Object per request; (c) requests are signed before each run, so client-side HMAC cost is not measured.",
      "(c½) runs at half of (c)'s median peak at a constant rate (bench/load/paced.ts, open loop as wrk2 does it): each request is timed from when it was due, so queueing counts. autocannon's overallRate sends each second's quota as one burst, which measured the burst, not the rate.",
      "(e) writes synthetic audit rows through durable-objects/order/drain.ts writeDrain() from the bench Worker: row-at-a-time is one D1 batch per row; 12 is one multi-row INSERT (100 bound parameters / 8 columns); 240 is the engine's DRAIN_MAX_ROWS.",
    ];
    if (wrapped > 0) notes.push(`The signed pool ran dry ${wrapped} times: those requests were redeliveries (200 duplicate), not new orders.`);
    if (smoke) notes.push("SMOKE RUN: 1 short run per case on a shared machine. Rerun `npm run bench` on a quiet machine for numbers to report.");
    const report: BenchReport = {
      at: new Date().toISOString(),
      machine: { cpus: availableParallelism(), node: process.version, load: loadavg() },
      settings: { seconds, runs, connections, lifecycleOrders, smoke },
      cases,
      lifecycle: life,
      drain: { rowAtATime, batched },
      ratios,
      targets: [],
      notes,
    };
    report.targets = targets(report);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, "load.json"), `${JSON.stringify(report, null, 2)}\n`);
    const md = renderMarkdown(report);
    writeFileSync(path.join(outDir, "load.md"), md);
    process.stdout.write(`\n${md}\nwritten to ${path.relative(process.cwd(), outDir) || "."}/load.json and load.md\n`);
    return 0;
  } catch (err) {
    // What wrangler printed last is usually the reason (a crashed workerd, a port in use).
    if (engine) say(`engine log (last lines):\n${engine.log()}`);
    throw err;
  } finally {
    await tenant?.consumer.close();
    await engine?.stop();
  }
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename);
if (invokedDirectly) {
  bench(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
