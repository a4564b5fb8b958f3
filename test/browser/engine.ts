import type { TestProject } from "vitest/node";
import { startLocalEngine } from "../../cli/dev-server";

/**
 * vitest globalSetup for browser tests: the real engine under `wrangler dev` on
 * 127.0.0.1, with its own throwaway local state, so a browser drives exactly
 * what a user runs.
 */
export const BROWSER_ADMIN_TOKEN = "browser-admin-token";
const SECRETS_KEY = "q83vEjWTy6G0lN2xv8mS1fJ0lq7uK0V9X2c1m4s3r5o=";

declare module "vitest" {
  export interface ProvidedContext {
    engineUrl: string;
    adminToken: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A what-if over more than 2 orders runs as a job here, so the console's job page is reachable with a few orders.
  const engine = await startLocalEngine({ vars: { ADMIN_TOKEN: BROWSER_ADMIN_TOKEN, SECRETS_KEY, WHATIF_INLINE_MAX: "2" } });
  project.provide("engineUrl", engine.url);
  project.provide("adminToken", BROWSER_ADMIN_TOKEN);
  return async () => {
    // An engine that died under the tests is a failure of its own, not a flake to restart past.
    const exits = engine.exits();
    await engine.stop();
    if (exits > 0) throw new Error(`wrangler dev exited during the browser tests; its last output:\n${engine.log()}`);
  };
}
