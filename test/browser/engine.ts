import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, killGroup, waitReady, wranglerCommand } from "../../cli/dev-server";
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


function wrangler(args: string[], persist: string): [string, string[]] {
  return wranglerCommand([...args, "--persist-to", persist]);
}


export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const persist = mkdtempSync(path.join(tmpdir(), "handoff-browser-"));
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  const migrate = spawnSync(...wrangler(["d1", "migrations", "apply", "DB", "--local"], persist), { cwd: ROOT, env, encoding: "utf8" });
  if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const [node, args] = wrangler(
    ["dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false", "--var", `ADMIN_TOKEN:${BROWSER_ADMIN_TOKEN}`, "--var", `SECRETS_KEY:${SECRETS_KEY}`],
    persist,
  );
  let log = "";
  let stopping = false;
  let restarts = 0;
  const keep = (d: Buffer): void => {
    log = (log + d.toString()).slice(-200_000);
  };
  // `wrangler dev` can exit mid-run with a bare [ERROR] when a client drops a connection
  // (cloudflare/workers-sdk#15317). Say so loudly, and bring it back on the same port and
  // state, so one exit of the dev server does not fail every test after it.
  const start = (): ChildProcess => {
    const c = spawn(node, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    c.stdout?.on("data", keep);
    c.stderr?.on("data", keep);
    c.on("exit", (code, signal) => {
      if (stopping) return;
      process.stderr.write(`\nwrangler dev exited during the browser tests (code ${String(code)}, signal ${String(signal)}); its last output:\n${log.slice(-20_000)}\n`);
      if (++restarts > 3) return;
      killGroup(c, "SIGKILL");
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
    killGroup(child, "SIGTERM");
    throw new Error(`${String(err)}\n${log.slice(-4000)}`);
  }
  project.provide("engineUrl", url);
  project.provide("adminToken", BROWSER_ADMIN_TOKEN);
  return async () => {
    stopping = true;
    killGroup(child, "SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    rmSync(persist, { recursive: true, force: true });
  };
}
