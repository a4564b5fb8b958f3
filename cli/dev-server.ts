import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * What every caller of `wrangler dev` here needs (npm start, the browser and host
 * tests, the load and host benchmarks): the launcher, a free port, waiting for
 * the engine to answer, and stopping it with everything it started.
 */

const ROOT = path.resolve(import.meta.dirname, "..");
const LAUNCHER = path.resolve(import.meta.dirname, "wrangler.mjs");
const GUARD = path.resolve(import.meta.dirname, "engine-guard.mjs");

/**
 * Node and its arguments for a wrangler command, through cli/wrangler.mjs (wrangler's own
 * launcher refuses Node < 22). `cli`: another wrangler's wrangler-dist/cli.js instead of the
 * project's (the host benchmark runs the old one side by side with the new).
 */
export function wranglerCommand(args: readonly string[], cli?: string): [string, string[]] {
  return [process.execPath, cli === undefined ? [LAUNCHER, ...args] : ["--no-warnings", cli, ...args]];
}

/**
 * Starts `wrangler dev` (or any wrangler command) under cli/engine-guard.mjs in a process
 * group of its own: stopGroup() ends it, and if this process dies first, however it dies,
 * the guard takes the group down. stdin must stay a pipe (the guard watches it).
 */
export function spawnGuarded(args: readonly string[], o: { cli?: string; output: "pipe" | "inherit"; env: NodeJS.ProcessEnv }): ChildProcess {
  const [node, rest] = wranglerCommand(args, o.cli);
  return spawn(process.execPath, [GUARD, node, ...rest], { cwd: ROOT, env: o.env, stdio: ["pipe", o.output, o.output], detached: true });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Until `${base}/healthz` answers 200; fails at once if `child` (when given) has exited. */
export async function waitReady(base: string, child: ChildProcess | null, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child && child.exitCode !== null) throw new Error(`wrangler dev exited (code ${child.exitCode})`);
    try {
      const res = await fetch(`${base}/healthz`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening (yet, or again)
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the engine at ${base} did not answer within ${timeoutMs} ms`);
}

/**
 * Signals the child's whole process group (it must have been spawned detached):
 * wrangler's workerd would otherwise outlive it and keep the port and the state.
 */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // nothing left in the group
  }
}

/** Stops the group (SIGTERM, then SIGKILL after `graceMs`) and waits for wrangler itself to be gone. */
export async function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once("exit", () => resolve()));
  killGroup(child, "SIGTERM");
  const timer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
  // wrangler may have gone first; what is left of its group (workerd) goes with it.
  killGroup(child, "SIGKILL");
}

export interface LocalEngineOptions {
  /** A wrangler.toml other than the root one (the load benchmark's Worker). */
  config?: string;
  /** Vars passed with --var (ADMIN_TOKEN, SECRETS_KEY, …). */
  vars?: Record<string, string>;
  /** Extra `wrangler dev` arguments. */
  devArgs?: readonly string[];
  /** Another wrangler's cli.js (see wranglerCommand). */
  wranglerCli?: string;
  readyTimeoutMs?: number;
}

export interface LocalEngine {
  url: string;
  port: number;
  child: ChildProcess;
  /** How often wrangler exited without being stopped (0 or 1: nothing restarts it). */
  exits(): number;
  /** The last output wrangler printed, for error messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * The engine under `wrangler dev` on 127.0.0.1 with throwaway local state (migrations
 * applied, as `npm run db:migrate:local` does), in its own process group. Not restarted when
 * it exits: callers that need it alive fail instead (see docs/decisions.md).
 */
export async function startLocalEngine(o: LocalEngineOptions = {}): Promise<LocalEngine> {
  const persist = mkdtempSync(path.join(tmpdir(), "handoff-engine-"));
  const common = [...(o.config === undefined ? [] : ["-c", o.config]), "--persist-to", persist];
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  const migrate = spawnSync(...wranglerCommand(["d1", "migrations", "apply", "DB", "--local", ...common], o.wranglerCli), { cwd: ROOT, env, encoding: "utf8" });
  if (migrate.status !== 0) {
    rmSync(persist, { recursive: true, force: true });
    throw new Error(`migrations failed: ${migrate.stderr}`);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const vars = Object.entries(o.vars ?? {}).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false", ...common, ...vars, ...(o.devArgs ?? [])];
  const child = spawnGuarded(args, { cli: o.wranglerCli, output: "pipe", env });
  let log = "";
  const keep = (d: Buffer): void => {
    log = (log + d.toString()).slice(-50_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let stopping = false;
  let exits = 0;
  child.once("exit", () => {
    if (!stopping) exits++;
  });
  const stop = async (): Promise<void> => {
    stopping = true;
    await stopGroup(child);
    rmSync(persist, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, o.readyTimeoutMs ?? 120_000);
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}\n${log.slice(-4000)}`);
  }
  return { url, port, child, exits: () => exits, log: () => log.slice(-4000), stop };
}
