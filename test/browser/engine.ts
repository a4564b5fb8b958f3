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
  const child = spawn(
    process.execPath,
    wrangler(
      ["dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false", "--var", `ADMIN_TOKEN:${BROWSER_ADMIN_TOKEN}`, "--var", `SECRETS_KEY:${SECRETS_KEY}`],
      persist,
    ),
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  try {
    await waitReady(url, child, 90_000);
  } catch (err) {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    throw new Error(`${String(err)}\n${log.slice(-4000)}`);
  }
  project.provide("engineUrl", url);
  project.provide("adminToken", BROWSER_ADMIN_TOKEN);
  return async () => {
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
