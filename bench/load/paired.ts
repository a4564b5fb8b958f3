import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { doWrite, ingest, ingestAtRate, signPool, type CaseResult } from "./cases";
import { startEngine, type Engine } from "./engine";
import { setupTenant, type BenchTenant } from "./lifecycle";

/**
 * `npx tsx bench/load/paired.ts --a-config <other tree>/bench/load/wrangler.toml`: two bench
 * engines loaded at the same time, A (another checkout, e.g. `git archive <commit> | tar -x`
 * with node_modules linked, or this tree with `--a-case do-write`) and B (this tree, the ingest
 * case). On a machine shared with other work, two runs minutes apart are not comparable; two
 * engines under the same noise at once are. Each round prints each engine's req/s, latency and
 * workerd CPU milliseconds per 2xx answer (/proc, user + sys, over its process group), and B/A.
 * `--rate N`: both paced at N req/s (ack latency) instead of closed-loop connections.
 */

function workerdCpuSeconds(pgid: number): number {
  let s = 0;
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${d}/stat`, "utf8");
    } catch {
      continue;
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(f[2]) === pgid && name.includes("workerd")) s += (Number(f[11]) + Number(f[12])) / 100;
  }
  return s;
}

const median = (x: readonly number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { "a-config": { type: "string" }, "a-case": { type: "string" }, rounds: { type: "string" }, seconds: { type: "string" }, connections: { type: "string" }, rate: { type: "string" } },
  });
  const aCase = values["a-case"] ?? "ingest";
  if (aCase !== "ingest" && aCase !== "do-write") throw new Error("--a-case must be ingest or do-write");
  const rounds = Number(values.rounds ?? 4);
  const seconds = Number(values.seconds ?? 6);
  const connections = Number(values.connections ?? 8);
  const rate = Number(values.rate ?? 0);
  const aConfig = path.resolve(values["a-config"] ?? path.join(import.meta.dirname, "wrangler.toml"));
  const engines: Engine[] = [];
  const tenants: BenchTenant[] = [];
  try {
    const A = await startEngine({ config: aConfig });
    engines.push(A);
    const B = await startEngine();
    engines.push(B);
    const [ta, tb] = [await setupTenant(A.url, A.adminToken), await setupTenant(B.url, B.adminToken)];
    tenants.push(ta, tb);
    const pool = (t: BenchTenant, prefix: string, n: number) => signPool(t.tenant, t.standardSource.name, t.standardSource.secret, n, prefix);
    const run = async (e: Engine, t: BenchTenant, c: "ingest" | "do-write", secs: number, prefix: string): Promise<CaseResult> => {
      if (c === "do-write") return doWrite({ url: e.url, connections, seconds: secs });
      const p = await pool(t, prefix, rate > 0 ? Math.ceil(rate * secs * 1.2) + 50 : 1500 * secs);
      return rate > 0 ? ingestAtRate(e.url, rate, secs, p) : ingest({ url: e.url, connections, seconds: secs }, p);
    };
    await Promise.all([run(A, ta, aCase, 2, "warm-a"), run(B, tb, "ingest", 2, "warm-b")]);
    const cpuA: number[] = [];
    const cpuB: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const stamp = `${i}-${Date.now().toString(36)}`;
      const [a0, b0] = [workerdCpuSeconds(A.child.pid ?? 0), workerdCpuSeconds(B.child.pid ?? 0)];
      const [a, b] = await Promise.all([run(A, ta, aCase, seconds, `a${stamp}`), run(B, tb, "ingest", seconds, `b${stamp}`)]);
      const am = (1000 * (workerdCpuSeconds(A.child.pid ?? 0) - a0)) / Math.max(a.ok, 1);
      const bm = (1000 * (workerdCpuSeconds(B.child.pid ?? 0) - b0)) / Math.max(b.ok, 1);
      cpuA.push(am);
      cpuB.push(bm);
      const show = (r: CaseResult, ms: number) => `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} p99 ${r.p99.toFixed(1)} ms, ${ms.toFixed(2)} CPU ms/req`;
      process.stdout.write(`load ${loadavg()[0]?.toFixed(2)} · A ${show(a, am)} · B ${show(b, bm)} · B/A CPU ${(bm / am).toFixed(2)}\n`);
    }
    process.stdout.write(`median CPU ms per request: A ${median(cpuA).toFixed(2)}, B ${median(cpuB).toFixed(2)}\n`);
  } finally {
    for (const t of tenants) await t.consumer.close();
    for (const e of engines) await e.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
