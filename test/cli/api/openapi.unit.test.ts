import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SPEC_PATH, specText, TYPES_PATH, typesText } from "../../../cli/api/spec";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const committedSpec = readFileSync(SPEC_PATH, "utf8");

interface Operation {
  operationId?: string;
  security?: unknown[];
  responses: Record<string, unknown>;
  parameters?: { name: string; in: string }[];
}

function operations(): [string, Operation][] {
  const doc = JSON.parse(committedSpec) as { paths: Record<string, Record<string, Operation>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]));
}

describe("the API contract cannot drift from the routes", () => {
  it("the committed cli/api/openapi.json is exactly what the routes declare (npm run openapi rewrites it)", () => {
    expect(committedSpec).toBe(specText());
  });

  it("the committed cli/api/schema.d.ts is exactly what openapi-typescript makes of the spec", async () => {
    expect(readFileSync(TYPES_PATH, "utf8")).toBe(await typesText(committedSpec));
  }, 30_000);

  it("every operation has an operationId and a declared security requirement", () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThanOrEqual(21);
    for (const [name, op] of ops) {
      expect({ name, operationId: typeof op.operationId }).toEqual({ name, operationId: "string" });
      expect({ name, security: Array.isArray(op.security) }).toEqual({ name, security: true });
    }
    const ids = ops.map(([, op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("documents the headers senders sign with on the webhook route", () => {
    const webhook = operations().find(([name]) => name === "POST /v1/tenants/{tenant}/webhooks/{source}")?.[1];
    const headers = (webhook?.parameters ?? []).filter((p) => p.in === "header").map((p) => p.name.toLowerCase());
    expect(headers).toEqual(
      expect.arrayContaining([
        "x-shopify-hmac-sha256",
        "x-shopify-topic",
        "x-shopify-event-id",
        "stripe-signature",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "x-wc-webhook-signature",
        "x-wc-webhook-topic",
        "x-hmac-signature",
      ]),
    );
    expect(webhook?.security).toEqual([
      { shopifyHmac: [] },
      { stripeSignature: [] },
      { standardWebhooks: [] },
      { wooCommerceSignature: [] },
      { easypostSignature: [] },
      { hmacPreset: [] },
    ]);
  });

  it("passes @redocly/cli lint (recommended rules) with no error and no warning", () => {
    const cli = createRequire(import.meta.url).resolve("@redocly/cli/bin/cli.js");
    const run = spawnSync(process.execPath, [cli, "lint", "cli/api/openapi.json", "--format=stylish"], {
      cwd: ROOT,
      encoding: "utf8",
      // Lint offline: no telemetry, no update check.
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
      timeout: 60_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect({ status: run.status, problems: output.split("\n").filter((l) => /\b(error|warning)\b/.test(l) && !/Deprecation|Node\.js/.test(l)) }).toEqual({
      status: 0,
      problems: [],
    });
    expect(output).toContain("Your API description is valid");
  }, 90_000);
});
