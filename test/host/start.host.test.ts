import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../cli/dev-server";
import { lockFile, readLock, type EngineLockInfo } from "../../cli/engine-lock";

/**
 * `npm start` as a user runs it (tsx cli/handoff.ts start, the npm script's command), on a
 * free PORT with its own HANDOFF_LOCAL_DIR: one engine per state directory, a taken demo
 * consumers' port is worked around, and however `npm start` is ended (Ctrl-C to its group,
 * `kill` of its pid, a closed terminal, SIGKILL) no process of its engine's group survives
 * to hold the port or the state.
 */

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const local = mkdtempSync(path.join(tmpdir(), "handoff-start-"));
const stateDir = path.join(local, "state");
const started: ChildProcess[] = [];

afterAll(() => {
  for (const c of started) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) process.kill(-c.pid, "SIGKILL");
  rmSync(local, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** In a process group of its own, as a terminal's foreground job is. */
function npmStart(port: number, extraEnv: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [TSX, "cli/handoff.ts", "start"], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HANDOFF_LOCAL_DIR: local, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  started.push(child);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, output: () => out, exit };
}

async function until(what: string, run: Run, done: () => boolean, timeoutMs = 240_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (run.child.exitCode !== null || run.child.signalCode !== null) throw new Error(`npm start ended before ${what}:\n${run.output().slice(-4000)}`);
    if (Date.now() > end) throw new Error(`no ${what} within ${timeoutMs} ms:\n${run.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (bounded) for the engine's group to be gone and its port closed. */
async function gone(port: number, pgid: number): Promise<{ port: boolean; group: boolean }> {
  const end = Date.now() + 20_000;
  while (Date.now() < end && (groupAlive(pgid) || (await portAnswers(port)))) await new Promise((r) => setTimeout(r, 250));
  return { port: await portAnswers(port), group: groupAlive(pgid) };
}

async function running(run: Run): Promise<EngineLockInfo> {
  await until("the 'Handoff is running' banner", run, () => run.output().includes("Handoff is running on"));
  const lock = readLock(lockFile(stateDir));
  if (!lock?.engine_pgid) throw new Error(`no engine lock with a process group in ${stateDir}`);
  return lock;
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer((s) => s.destroy());
    srv.once("error", reject);
    srv.listen(port, "127.0.0.1", () => resolve(srv));
  });
}

describe("npm start", () => {
  it("refuses a second engine on the same state, works around a taken consumers' port, and leaves nothing on Ctrl-C", async () => {
    const port = await freePort();
    // Another program on the demo consumers' default port (engine port + 1).
    const squatter = await listen(port + 1).catch(() => null);
    try {
      const first = npmStart(port);
      const lock = await running(first);
      expect(lock).toMatchObject({ port, url: `http://127.0.0.1:${port}` });
      if (squatter) {
        expect(first.output()).toContain(`port ${port + 1} for the demo consumers is taken by another program`);
        expect(first.output()).not.toContain(`http://127.0.0.1:${port + 1}/wms`);
      }

      const second = npmStart(await freePort());
      const refused = await second.exit;
      expect(refused.code).toBe(1);
      expect(second.output()).toContain(`an engine is already running on http://127.0.0.1:${port}, pid ${lock.pid}`);
      // The refused one touched nothing: the first still answers and still holds the lock.
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect(readLock(lockFile(stateDir))?.pid).toBe(lock.pid);

      // Ctrl-C in a terminal: SIGINT to the whole foreground job.
      if (first.child.pid !== undefined) process.kill(-first.child.pid, "SIGINT");
      const ended = await first.exit;
      expect(ended.code).toBe(0);
      expect(await gone(port, lock.engine_pgid ?? 0)).toEqual({ port: false, group: false });
      expect(existsSync(lockFile(stateDir))).toBe(false);
    } finally {
      squatter?.close();
    }
  });

  // `kill PID` of npm start (tsx relays it); a closed terminal (SIGHUP to the job, which tsx does not relay).
  it.each([
    { signal: "SIGTERM", to: "its pid" },
    { signal: "SIGHUP", to: "its group" },
  ] as const)("leaves no engine process behind after $signal to $to", async ({ signal, to }) => {
    const port = await freePort();
    const run = npmStart(port);
    const lock = await running(run);
    const pid = run.child.pid ?? 0;
    process.kill(to === "its pid" ? pid : -pid, signal);
    await run.exit;
    expect(await gone(port, lock.engine_pgid ?? 0)).toEqual({ port: false, group: false });
    expect(existsSync(lockFile(stateDir))).toBe(false);
  });

  it("leaves no engine process behind after SIGKILL, and the next start takes over the stale lock", async () => {
    const port = await freePort();
    const run = npmStart(port);
    const lock = await running(run);
    if (run.child.pid !== undefined) process.kill(-run.child.pid, "SIGKILL");
    await run.exit;
    // Nothing could run in npm start itself: the guard saw it go and took the engine down.
    expect(await gone(port, lock.engine_pgid ?? 0)).toEqual({ port: false, group: false });
    expect(readLock(lockFile(stateDir))?.pid).toBe(lock.pid);

    const next = npmStart(port);
    const taken = await running(next);
    expect(next.output()).toContain(`taking over a stale engine lock (pid ${lock.pid} is gone)`);
    expect(taken.pid).not.toBe(lock.pid);
    if (next.child.pid !== undefined) process.kill(-next.child.pid, "SIGINT");
    await next.exit;
    expect(await gone(port, taken.engine_pgid ?? 0)).toEqual({ port: false, group: false });
  });
});
