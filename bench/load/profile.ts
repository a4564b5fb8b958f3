import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { doWrite, ingest, signPool, type LoadOptions } from "./cases";
import { freePort } from "../../cli/dev-server";
import { startEngine } from "./engine";
import { setupTenant } from "./lifecycle";
import { Inspector, type Profile } from "./inspector";

/**
 * `npm run bench:profile`: samples workerd's CPU (V8 inspector, through
 * wrangler dev's --inspector-port) while one throughput case runs, then prints
 * where the time went: self time per function and per source file. How the
 * ingest path was profiled before it was made faster (bench/load/README.md).
 * Writes the raw .cpuprofile too (open it in Chrome DevTools › Performance).
 */

function summarize(p: Profile, top: number): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const f = byId.get(id)?.callFrame;
    if (!f) continue;
    const where = f.url === "" ? "(native)" : f.url.replace(/^.*\/(node_modules\/[^/]+|[^/]+\/[^/]+)$/, "$1");
    const name = `${f.functionName || "(anonymous)"}  ${where}${f.url ? `:${f.lineNumber + 1}` : ""}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    file.set(where, (file.get(where) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / Math.max(total, 1)).toFixed(1).padStart(5)} %`;
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
      .join("\n");
  return `sampled ${(total / 1000).toFixed(0)} ms of the isolate's wall time ((idle) is time it was not running)\n\nself time by function\n${rows(fn)}\n\nself time by file\n${rows(file)}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { case: { type: "string" }, seconds: { type: "string" }, connections: { type: "string" }, top: { type: "string" }, out: { type: "string" } },
  });
  const which = values.case ?? "ingest";
  if (which !== "ingest" && which !== "do-write") throw new Error("--case must be ingest or do-write");
  const positive = (v: string | undefined, fallback: number, flag: string): number => {
    const n = Number(v ?? fallback);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, not '${v ?? ""}'`);
    return n;
  };
  const seconds = positive(values.seconds, 10, "--seconds");
  const connections = positive(values.connections, 16, "--connections");
  const top = positive(values.top, 40, "--top");
  const port = await freePort();
  const engine = await startEngine({ inspectorPort: port });
  let tenant: Awaited<ReturnType<typeof setupTenant>> | null = null;
  try {
    tenant = await setupTenant(engine.url, engine.adminToken);
    const o: LoadOptions = { url: engine.url, connections, seconds };
    // Warm up first: isolate start and module load are not the steady state.
    await ingest({ ...o, seconds: 2 }, await signPool(tenant.tenant, tenant.standardSource.name, tenant.standardSource.secret, 2000, "pwarm"));
    const pool = await signPool(tenant.tenant, tenant.standardSource.name, tenant.standardSource.secret, 3000 * seconds, `p${Date.now().toString(36)}`);
    const inspector = await Inspector.connect(port);
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: 200 });
    await inspector.send("Profiler.start");
    const r = which === "ingest" ? await ingest(o, pool) : await doWrite(o);
    const { profile } = await inspector.send<{ profile: Profile }>("Profiler.stop");
    inspector.close();
    process.stdout.write(`${which}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms\n${summarize(profile, top)}`);
    const out = path.resolve(values.out ?? `/tmp/handoff-${which}.cpuprofile`);
    writeFileSync(out, JSON.stringify(profile));
    process.stdout.write(`raw profile: ${out}\n`);
  } finally {
    await tenant?.consumer.close();
    await engine.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
