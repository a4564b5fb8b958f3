import path from "node:path";
import { startLocalEngine, type LocalEngine } from "../../cli/dev-server";

/**
 * The engine under `wrangler dev` with throwaway local state, running the bench
 * Worker (bench/load/wrangler.toml): the production engine plus /__bench/ routes.
 */

const CONFIG = path.resolve(import.meta.dirname, "wrangler.toml");
export const BENCH_ADMIN_TOKEN = "bench-admin-token";
const SECRETS_KEY = "q83vEjWTy6G0lN2xv8mS1fJ0lq7uK0V9X2c1m4s3r5o=";

export interface Engine extends LocalEngine {
  adminToken: string;
}

/**
 * `inspectorPort`: expose workerd's V8 inspector there (bench/load/profile.ts samples the CPU through it).
 * `config`: another bench Worker's wrangler.toml (bench/cost/wrangler.toml: the engine behind meters).
 */
export async function startEngine(opts: { inspectorPort?: number; config?: string } = {}): Promise<Engine> {
  const engine = await startLocalEngine({
    config: opts.config ?? CONFIG,
    vars: { ADMIN_TOKEN: BENCH_ADMIN_TOKEN, SECRETS_KEY },
    devArgs: [
      // Per-request log lines cost the dev server CPU that the benchmark would then measure.
      "--log-level",
      "warn",
      ...(opts.inspectorPort === undefined ? [] : ["--inspector-port", String(opts.inspectorPort)]),
    ],
  });
  return { ...engine, adminToken: BENCH_ADMIN_TOKEN };
}
