import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { startLocalEngine, type LocalEngine } from "../../cli/dev-server";
import { hostileTenant, runHostileMix, type HostileReport } from "../../test/host/hostile-mix";

/**
 * `npm run bench:host`: the hostile mix (test/host/hostile-mix.ts) against the
 * real engine under each local host, one after the other: the wrangler this project runs
 * (package.json) and the one @cloudflare/vitest-pool-workers pins for the test pool
 * (4.124.0, the host `npm start` ran before). Writes bench/results/host.{json,md}.
 */

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const HOSTS = {
  "project wrangler": undefined,
  "vitest-pool-workers' wrangler": path.join(ROOT, "node_modules/@cloudflare/vitest-pool-workers/node_modules/wrangler/wrangler-dist/cli.js"),
} as const;
const ADMIN = "host-bench-admin";
const SECRETS_KEY = "q83vEjWTy6G0lN2xv8mS1fJ0lq7uK0V9X2c1m4s3r5o=";

interface HostResult {
  host: string;
  version: string;
  exits: number;
  aliveAfter: boolean;
  report: HostileReport | null;
  error: string | null;
}

async function versionOf(cli: string | undefined): Promise<string> {
  const pkg = cli === undefined ? path.join(ROOT, "node_modules/wrangler/package.json") : path.join(path.dirname(cli), "..", "package.json");
  const { readFileSync } = await import("node:fs");
  return (JSON.parse(readFileSync(pkg, "utf8")) as { version: string }).version;
}

async function one(host: string, cli: string | undefined, rounds: number, honest: number): Promise<HostResult> {
  const version = await versionOf(cli);
  console.log(`${host} (wrangler ${version}): starting the engine…`);
  let engine: LocalEngine | null = null;
  try {
    engine = await startLocalEngine({ vars: { ADMIN_TOKEN: ADMIN, SECRETS_KEY }, wranglerCli: cli, devArgs: ["--log-level", "warn"] });
    const target = await hostileTenant(engine.url, ADMIN, "hostile");
    const report = await runHostileMix(target, { rounds, honestSenders: honest });
    const alive = await fetch(`${engine.url}/healthz`).then((r) => r.ok, () => false);
    return { host, version, exits: engine.exits(), aliveAfter: alive, report, error: null };
  } catch (err) {
    return { host, version, exits: engine?.exits() ?? 0, aliveAfter: false, report: null, error: `${String(err)}\n${engine?.log() ?? ""}` };
  } finally {
    await engine?.stop();
  }
}

function markdown(results: HostResult[], rounds: number, honest: number): string {
  const lines = [
    "# Local host under the hostile mix",
    "",
    `The real engine (worker/index.ts, root wrangler.toml) under \`wrangler dev\`, ${rounds} rounds of the hostile mix`,
    `(test/host/hostile-mix.ts) with ${honest} honest signed Shopify senders alongside. Written by \`npm run bench:host\`.`,
    "",
    "| host | engine exits | alive after | honest sent | 202 | 5xx | connection errors | acked but missing |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const h = r.report?.honest;
    lines.push(
      `| ${r.host} (wrangler ${r.version}) | ${r.exits} | ${r.aliveAfter ? "yes" : "no"} | ${h?.sent ?? "–"} | ${h?.acked ?? "–"} | ${h?.status5xx ?? "–"} | ${h?.connectionErrors ?? "–"} | ${h?.missing.length ?? "–"} |`,
    );
  }
  for (const r of results) {
    lines.push("", `## ${r.host} (wrangler ${r.version}): what each hostile step got back`, "");
    if (r.error) lines.push("```", r.error.slice(0, 2000), "```");
    for (const [kind, outcomes] of Object.entries(r.report?.hostile ?? {})) {
      lines.push(`- ${kind}: ${Object.entries(outcomes).map(([k, n]) => `${k} ×${n}`).join(", ")}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" }, honest: { type: "string", default: "3" } } });
  const rounds = Number(values.rounds);
  const honest = Number(values.honest);
  const results: HostResult[] = [];
  for (const [host, cli] of Object.entries(HOSTS)) results.push(await one(host, cli, rounds, honest));
  const out = path.join(ROOT, "bench", "results");
  writeFileSync(path.join(out, "host.json"), JSON.stringify({ at: new Date().toISOString(), rounds, honest, results }, null, 2));
  writeFileSync(path.join(out, "host.md"), markdown(results, rounds, honest));
  console.log(markdown(results, rounds, honest));
}

await main();
