import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, killGroup, waitReady, wranglerCommand } from "../../cli/dev-server";

/**
 * The engine under `wrangler dev` on 127.0.0.1 with throwaway local state, as
 * the browser tests start it (test/browser/engine.ts is a vitest globalSetup,
 * so the same steps live here as a plain function). It runs the bench Worker
 * (bench/load/wrangler.toml): the production engine plus /__bench/ routes.
 */

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const CONFIG = path.join(ROOT, "bench", "load", "wrangler.toml");
export const BENCH_ADMIN_TOKEN = "bench-admin-token";
const SECRETS_KEY = "q83vEjWTy6G0lN2xv8mS1fJ0lq7uK0V9X2c1m4s3r5o=";

export interface Engine {
  url: string;
  adminToken: string;
  /** The last lines wrangler printed, for error messages. */
  log(): string;
  stop(): Promise<void>;
}

function wrangler(args: string[], persist: string): [string, string[]] {
  return wranglerCommand([...args, "-c", CONFIG, "--persist-to", persist]);
}

/** `inspectorPort`: expose workerd's V8 inspector there (bench/load/profile.ts samples the CPU through it). */
export async function startEngine(opts: { inspectorPort?: number } = {}): Promise<Engine> {
  const persist = mkdtempSync(path.join(tmpdir(), "handoff-bench-"));
  const env = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };
  const migrate = spawnSync(...wrangler(["d1", "migrations", "apply", "DB", "--local"], persist), { cwd: ROOT, env, encoding: "utf8" });
  if (migrate.status !== 0) {
    rmSync(persist, { recursive: true, force: true });
    throw new Error(`migrations failed: ${migrate.stderr}`);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    ...wrangler(
      [
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--show-interactive-dev-session=false",
        // Per-request log lines cost the dev server CPU that the benchmark would then measure.
        "--log-level",
        "warn",
        "--var",
        `ADMIN_TOKEN:${BENCH_ADMIN_TOKEN}`,
        "--var",
        `SECRETS_KEY:${SECRETS_KEY}`,
        ...(opts.inspectorPort === undefined ? [] : ["--inspector-port", String(opts.inspectorPort)]),
      ],
      persist,
    ),
    { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let log = "";
  const keep = (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      // The whole process group: wrangler, its workerd and esbuild — and nothing else.
      killGroup(child, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    rmSync(persist, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, 120_000);
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}\n${log.slice(-4000)}`);
  }
  return { url, adminToken: BENCH_ADMIN_TOKEN, log: () => log.slice(-4000), stop };
}
