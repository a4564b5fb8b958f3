import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { freePort } from "./cli/dev-server";

// The pure cores in plain Node (fast, no runtime); every integration test inside workerd with
// real D1 and Durable Objects, once without telemetry (`workers`) and, for test/telemetry/,
// exporting to a local OTLP receiver (`telemetry`); real Chromium against wrangler dev (`browser`).
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  // The telemetry project's OTLP receiver: its port must be known before workerd starts, as a binding.
  process.env.HANDOFF_OTLP_PORT ??= String(await freePort());
  const workers = (name: string, include: string[], exclude: string[], bindings: Record<string, string>, globalSetup: string[]) => ({
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            ADMIN_TOKEN: "test-admin-token",
            DELIVERY_TIMEOUT_MS: "1000",
            MAX_FACTS_PER_ORDER: "40",
            // The fuzz and error suites refuse hundreds of deliveries a minute on purpose; the
            // budget's own tests set production limits on the object (refusals.security.test.ts).
            REFUSAL_RECORD_PER_MINUTE: "100000",
            REFUSAL_LIMIT_PER_MINUTE: "100000",
            // What-if jobs over a handful of orders: over 3 orders a window runs as a job, 2 orders per page, one page per alarm.
            WHATIF_INLINE_MAX: "3",
            WHATIF_JOB_PAGE: "2",
            WHATIF_JOB_PAGES_PER_ALARM: "1",
            SECRETS_KEY: "q83vEjWTy6G0lN2xv8mS1fJ0lq7uK0V9X2c1m4s3r5o=",
            ...bindings,
          },
        },
      }),
    ],
    test: {
      name,
      include,
      exclude: ["test/**/*.unit.test.ts", "test/browser/**", "test/host/**", "test/deploy/**", ...exclude],
      setupFiles: ["test/helpers/apply-migrations.ts"],
      globalSetup,
      testTimeout: 30_000,
    },
  });
  return {
    test: {
      projects: [
        {
          // Real Chromium against the real engine under `wrangler dev` on 127.0.0.1.
          test: {
            name: "browser",
            environment: "node",
            include: ["test/browser/**/*.browser.test.ts"],
            globalSetup: ["test/browser/engine.ts"],
            testTimeout: 60_000,
            hookTimeout: 120_000,
            fileParallelism: false,
          },
        },
        {
          // The local host itself (wrangler dev and `npm start`) under hostile clients and signals.
          test: {
            name: "host",
            environment: "node",
            include: ["test/host/**/*.host.test.ts"],
            testTimeout: 300_000,
            hookTimeout: 300_000,
            fileParallelism: false,
          },
        },
        {
          // `wrangler deploy --dry-run` (offline) held to Cloudflare's size limits.
          test: {
            name: "deploy",
            environment: "node",
            include: ["test/deploy/**/*.deploy.test.ts"],
            testTimeout: 180_000,
          },
        },
        {
          test: {
            name: "unit",
            environment: "node",
            include: ["test/**/*.unit.test.ts"],
            // The property tests and the notebook known-answer runs take ~5 s alone and several
            // times that while the workers, host and browser projects share the machine's 2 cores.
            testTimeout: 60_000,
          },
        },
        // Integration tests inside workerd; no OTLP endpoint, so tracing is off (the zero-cost path).
        // A real HTTP consumer on 127.0.0.1 for delivery tests (runs in Node, once per run).
        workers("workers", ["test/**/*.test.ts"], ["test/telemetry/**"], {}, ["test/helpers/consumer-server.ts"]),
        // The same, exporting traces and metrics to an OTLP/HTTP receiver on 127.0.0.1.
        workers(
          "telemetry",
          ["test/telemetry/**/*.test.ts"],
          [],
          { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${process.env.HANDOFF_OTLP_PORT}` },
          ["test/helpers/consumer-server.ts", "test/helpers/otlp-receiver.ts"],
        ),
      ],
    },
  };
});
