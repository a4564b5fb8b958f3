import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

/**
 * What every caller of `wrangler dev` here needs (npm start, the browser tests'
 * setup, the load benchmark): the launcher, a free port, waiting for the engine
 * to answer, and cleaning up after a wrangler that died.
 */

const LAUNCHER = path.resolve(import.meta.dirname, "wrangler.mjs");

/** Node and its arguments for a wrangler command, through cli/wrangler.mjs (wrangler's own launcher refuses Node < 22). */
export function wranglerCommand(args: readonly string[]): [string, string[]] {
  return [process.execPath, [LAUNCHER, ...args]];
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
 * a wrangler that exited on its own may leave its workerd holding the port.
 */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // nothing left in the group
  }
}
