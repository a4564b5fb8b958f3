import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

/**
 * vitest globalSetup for browser tests: the real engine under `wrangler dev` on
 * 127.0.0.1, with its own throwaway local state, so a browser drives exactly
 * what a user runs.
 */
const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const BROWSER_ADMIN_TOKEN = "browser-admin-token";
const SECRETS_KEY = "q83vEjWTy6G0lN2xv8mS1fJ0lq7uK0V9X2c1m4s3r5o=";

declare module "vitest" {
  export interface ProvidedContext {
    engineUrl: string;
    adminToken: string;
  }
}

function freePort(): Promise<number> {
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

function wrangler(args: string[], persist: string): string[] {
  return [path.join(ROOT, "cli", "wrangler.mjs"), ...args, "--persist-to", persist];
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode})`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`engine not ready at ${url} after ${timeoutMs} ms`);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const persist = mkdtempSync(path.join(tmpdir(), "handoff-browser-"));
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  const migrate = spawnSync(process.execPath, wrangler(["d1", "migrations", "apply", "DB", "--local"], persist), { cwd: ROOT, env, encoding: "utf8" });
  if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = wrangler(
    ["dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false", "--var", `ADMIN_TOKEN:${BROWSER_ADMIN_TOKEN}`, "--var", `SECRETS_KEY:${SECRETS_KEY}`],
    persist,
  );
  let log = "";
  let stopping = false;
  let restarts = 0;
  const keep = (d: Buffer): void => {
    log = (log + d.toString()).slice(-200_000);
  };
  // `wrangler dev` (on Node 20, below its declared engines) has a few times exited mid-run
  // with an empty [ERROR] and nothing in its log. Say so loudly, and bring it back on the same
  // port and state, so one exit of the dev server does not fail every test after it.
  const start = (): ChildProcess => {
    const c = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    c.stdout?.on("data", keep);
    c.stderr?.on("data", keep);
    c.on("exit", (code, signal) => {
      if (stopping) return;
      process.stderr.write(`\nwrangler dev exited during the browser tests (code ${String(code)}, signal ${String(signal)}); its last output:\n${log.slice(-20_000)}\n`);
      if (++restarts > 3) return;
      // Its workerd may outlive it and keep the port: end the whole group first.
      if (c.pid !== undefined) {
        try {
          process.kill(-c.pid, "SIGKILL");
        } catch {
          // the group is already gone
        }
      }
      process.stderr.write(`restarting wrangler dev on ${url} (restart ${restarts} of 3)\n`);
      setTimeout(() => {
        if (!stopping) child = start();
      }, 1000);
    });
    return c;
  };
  let child = start();
  try {
    await waitReady(url, child, 90_000);
  } catch (err) {
    stopping = true;
    if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    throw new Error(`${String(err)}\n${log.slice(-4000)}`);
  }
  project.provide("engineUrl", url);
  project.provide("adminToken", BROWSER_ADMIN_TOKEN);
  return async () => {
    stopping = true;
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    rmSync(persist, { recursive: true, force: true });
  };
}
