import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { OwnershipRules } from "../../../domain/ownership/schema";
import { REPLAY_AUDIT_TYPES, type AuditLine } from "../../../domain/whatif/recorded";
import { monthRules } from "../month";
import { Inspector, type Profile } from "../../load/inspector";

/**
 * Runs the month's replay in workerd (bench/what-if/workerd/worker.ts, bundled
 * from `tree`): starts a workerd of its own, posts the month in pages of 600
 * orders (a job's alarm: 10 pages of 60), and reports the workerd process's CPU
 * time (/proc, all its threads) from the first page to the last, beside the wall
 * time. The proposal is the one replay-month.ts uses.
 */

const PAGE = 600;

interface SavedMonth {
  tenant: string;
  end: number;
  orders: { order_id: string; trail: AuditLine[] }[];
}

function workerdBinary(root: string): string {
  return path.join(root, "node_modules/@cloudflare/workerd-linux-64/bin/workerd");
}

function cpuMs(pid: number): number {
  // utime and stime, fields 14 and 15, after the command name in parentheses; in clock ticks (100 a second on Linux).
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

async function waitUp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`workerd did not answer at ${url}`);
}

/**
 * `profileTo`: run workerd with its inspector and write V8's CPU profile of the page loop
 * there (sampled every 200 µs; bundled, so frames carry the bundle's line numbers).
 */
export async function replayInWorkerd(tree: string, root: string, monthFile: string, repeat: number, profileTo?: string): Promise<{ orders: number; cpu_ms: number; wall_ms: number; summary: unknown }> {
  const dir = mkdtempSync(path.join(tmpdir(), "handoff-what-if-workerd-"));
  const month = JSON.parse(readFileSync(monthFile, "utf8")) as SavedMonth;
  const wanted = new Set<string>(REPLAY_AUDIT_TYPES);
  const orders = month.orders.map((o) => ({
    order_id: o.order_id,
    rows: o.trail.filter((e) => wanted.has(e.type)).map((e) => ({ seq: e.seq, at: e.at, type: e.type, data: JSON.stringify(e.data) })),
  }));
  const pages: string[] = [];
  for (let i = 0; i < orders.length; i += PAGE) pages.push(JSON.stringify({ tenant: month.tenant, until: month.end, orders: orders.slice(i, i + PAGE) }));
  const latest = monthRules().at(-1);
  if (!latest) throw new Error("no rules");
  const proposal = {
    version: latest.version + 1,
    rules: OwnershipRules.parse({ ...latest.rules, steps: { ...latest.rules.steps, fulfillment: { ...latest.rules.steps.fulfillment, sla: "PT6H" }, shipping: { ...latest.rules.steps.shipping, owner: "dispatch@3pl-acme.example" } } }),
  };

  await build({ entryPoints: [path.join(tree, "bench/what-if/workerd/worker.ts")], bundle: true, platform: "neutral", format: "esm", mainFields: ["module", "main"], external: ["node:*"], outfile: path.join(dir, "worker.js"), logLevel: "warning" });
  const port = await freePort();
  writeFileSync(
    path.join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w) ],
  sockets = [ ( name = "http", address = "127.0.0.1:${port}", http = (), service = "main" ) ]
);
const w :Workerd.Worker = ( modules = [ (name = "worker.js", esModule = embed "worker.js") ], compatibilityDate = "2026-08-01", compatibilityFlags = ["nodejs_compat"] );
`,
  );
  const inspectorPort = profileTo === undefined ? null : await freePort();
  const inspect = inspectorPort === null ? [] : [`--inspector-addr=127.0.0.1:${inspectorPort}`];
  const child = spawn(workerdBinary(root), ["serve", path.join(dir, "config.capnp"), ...inspect], { stdio: ["ignore", "ignore", "inherit"] });
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error("workerd did not start");
    const base = `http://127.0.0.1:${port}`;
    await waitUp(`${base}/summary`);
    await fetch(`${base}/proposal`, { method: "POST", body: JSON.stringify(proposal) }).then((r) => r.text());
    const profiler = inspectorPort === null ? null : await Inspector.open(`ws://127.0.0.1:${inspectorPort}/main`);
    if (profiler) {
      await profiler.send("Profiler.enable");
      await profiler.send("Profiler.setSamplingInterval", { interval: 200 });
      await profiler.send("Profiler.start");
    }
    const cpu = cpuMs(pid);
    const wall = performance.now();
    for (let pass = 0; pass < repeat; pass++) {
      for (const body of pages) {
        const r = await fetch(`${base}/page`, { method: "POST", body });
        if (!r.ok) throw new Error(`page: ${r.status} ${await r.text()}`);
        await r.text();
      }
    }
    const used = cpuMs(pid) - cpu;
    const wallMs = performance.now() - wall;
    if (profiler && profileTo !== undefined) {
      writeFileSync(profileTo, JSON.stringify((await profiler.send<{ profile: Profile }>("Profiler.stop")).profile));
      profiler.close();
    }
    const summary: unknown = await fetch(`${base}/summary`).then((r) => r.json());
    return { orders: orders.length * repeat, cpu_ms: used, wall_ms: Math.round(wallMs), summary };
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
