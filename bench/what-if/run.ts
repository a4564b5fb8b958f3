import { execFileSync, execSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateMonth } from "./month";
import { replayInWorkerd } from "./workerd/replay";

/**
 * `npm run bench:what-if`: a generated month of N orders (decided live by the
 * object's functions, not timed), saved once, then the what-if over it (timed,
 * `replay-month.ts` in its own process per run): CPU per 10k orders (the
 * machine is shared: CPU time, not wall time; median of --runs) and the D1 rows
 * the job would read. `--against <commit>` measures that commit's replay on the
 * same month, alternating run by run, so before and after see the same load.
 * The replay runs as the job's does (replay-month.ts): its entry types only,
 * rows parsed from JSON text, zod without code generation.
 * A benchmark, never a test.
 */

const { values } = parseArgs({
  options: {
    orders: { type: "string", default: "10000" },
    seed: { type: "string", default: "16" },
    runs: { type: "string", default: "3" },
    against: { type: "string" },
    month: { type: "string" },
    /** Passes over the month: `--orders 10000 --repeat 10` replays 100,000 orders without a 1 GB month file. */
    repeat: { type: "string", default: "1" },
    out: { type: "string", default: "bench/results" },
    /** Let zod compile its parsers with `new Function`, as Node allows and workerd (where the job runs) does not: for comparison only. */
    jit: { type: "boolean", default: false },
    /** Replay inside workerd (the job's runtime: its V8, its node:crypto) instead of Node; CPU is the workerd process's. */
    workerd: { type: "boolean", default: false },
    /** With --workerd: also write V8's CPU profile of this tree's replay (the last run) to this file, for proportions only. */
    profile: { type: "string" },
  },
});
const repeat = Number(values.repeat);
const n = Number(values.orders) * repeat;
const runs = Number(values.runs);
const root = path.resolve(import.meta.dirname, "../..");
const progress = (s: string): void => void process.stderr.write(`\r${s}`.padEnd(70));

// The month, generated in slices (one seed per slice) or read back from a previous run.
const monthFile = values.month ?? path.join(tmpdir(), `handoff-what-if-month-${n / repeat}-${values.seed}.json`);
let genMs = 0;
if (!existsSync(monthFile)) {
  const t = performance.now();
  const orders: ReturnType<typeof generateMonth>["orders"] = [];
  let month: ReturnType<typeof generateMonth> | null = null;
  const SLICE = 10_000;
  const size = n / repeat;
  for (let i = 0; i < size; i += SLICE) {
    month = generateMonth({ orders: Math.min(SLICE, size - i), seed: Number(values.seed) + i, tenant: "acme" });
    // Slices reuse order ids; each order is replayed on its own, so that changes nothing here.
    orders.push(...month.orders);
    progress(`generating ${Math.min(size, i + SLICE)}/${size} orders`);
  }
  if (!month) throw new Error("no orders");
  writeFileSync(monthFile, JSON.stringify({ tenant: month.tenant, end: month.end, orders }));
  genMs = performance.now() - t;
}
const saved = JSON.parse(readFileSync(monthFile, "utf8")) as { orders: { trail: unknown[] }[] };
// What a job reads from D1: the window's rows of the order index (orders_tenant_created), and every audit
// row of those orders (the audit query seeks each order by primary key and reads its trail).
const auditRows = saved.orders.reduce((s, o) => s + o.trail.length, 0) * repeat;
const orderRows = saved.orders.length * repeat;

function baselineTree(commit: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "handoff-what-if-base-"));
  execSync(`git archive ${commit} | tar -x -C ${dir}`, { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  // A baseline keeps its own drivers when it has them: how a page's rows become a trail (parsed at once, or
  // when read) is the job's own code (worker/whatif/source.ts), measured with it. Older commits get this tree's.
  for (const driver of ["bench/what-if/replay-month.ts", "bench/what-if/workerd/worker.ts"]) {
    if (existsSync(path.join(dir, driver))) continue;
    mkdirSync(path.dirname(path.join(dir, driver)), { recursive: true });
    cpSync(path.join(root, driver), path.join(dir, driver));
  }
  return dir;
}

interface Run {
  orders: number;
  cpu_ms: number;
  wall_ms: number;
  summary: unknown;
}

async function replay(tree: string): Promise<Run> {
  if (values.workerd) return replayInWorkerd(tree, root, monthFile, repeat, tree === root ? values.profile : undefined);
  // Without code generation from strings, as in workerd: zod then interprets its schemas, as it does in the job.
  const flags = values.jit ? [] : ["--disallow-code-generation-from-strings"];
  const out = execFileSync(process.execPath, [...flags, "--import", "tsx", path.join(tree, "bench/what-if/replay-month.ts"), monthFile, String(repeat)], { cwd: tree, encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Run;
}

const base = values.against ? baselineTree(values.against) : null;
const current: Run[] = [];
const before: Run[] = [];
try {
  for (let r = 0; r < runs; r++) {
    if (base) {
      progress(`run ${r + 1}/${runs}: ${values.against}`);
      before.push(await replay(base));
    }
    progress(`run ${r + 1}/${runs}: this tree`);
    current.push(await replay(root));
  }
} finally {
  if (base) rmSync(base, { recursive: true, force: true });
}
process.stderr.write("\n");

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
const per10k = (ms: number): number => Math.round((ms / n) * 10_000);
const side = (list: Run[]) => ({ cpu_ms_per_10k: per10k(median(list.map((x) => x.cpu_ms))), runs_cpu_ms: list.map((x) => x.cpu_ms), runs_wall_ms: list.map((x) => x.wall_ms) });
const now = side(current);
const result = {
  orders: n,
  generate_ms: Math.round(genMs),
  ...now,
  ...(base ? { against: { commit: values.against, ...side(before) } } : {}),
  // ms per 10k × 10 orders-blocks / 1000 ms.
  projected_cpu_s_per_100k: Math.round(now.cpu_ms_per_10k / 100),
  d1_rows_read: { audit: auditRows, order_index: orderRows, per_10k: Math.round(((auditRows + orderRows) / n) * 10_000) },
  runtime: values.workerd ? "workerd" : "node",
  zod_jit: values.workerd ? false : values.jit,
  load_average: loadavg().map((x) => Math.round(x * 10) / 10),
  node: process.version,
  cpus: cpus().length,
  summary: current.at(-1)?.summary,
  same_summary_as_against: base ? JSON.stringify(before.at(-1)?.summary) === JSON.stringify(current.at(-1)?.summary) : undefined,
};
mkdirSync(values.out, { recursive: true });
// 10,000 is the side-by-side comparison; another size (the 100,000 run) is kept beside it.
writeFileSync(path.join(values.out, `what-if${n === 10_000 ? "" : `-${n}`}${values.workerd ? "-workerd" : ""}.json`), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
