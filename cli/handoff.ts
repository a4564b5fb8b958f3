#!/usr/bin/env -S npx tsx
import { exportCommand } from "./export";
import { send } from "./send";
import { simulate } from "./simulate/run";
import { consumersPort, demoSecrets, listenDemoConsumers, putDemoOwnership, readDemoFile, start, wmsOutageSeconds, writeDemoFile, type DemoCredentials } from "./start";

const USAGE = `usage: handoff <command>

  start                      run the engine locally (migrations, demo tenant)
  send <source> <fixture>    sign and POST a fixture to the local demo tenant
                             e.g. send shop orders-create, send stripe payment_intent.succeeded,
                                  send wms fulfillment.accepted
  demo-consumers             run only the demo WMS and carrier against an engine that is already
                             running (reads .wrangler/demo.json) and point the demo tenant's
                             ownership rules at them; DEMO_CONSUMERS_PORT (default engine port + 1),
                             DEMO_WMS_OUTAGE_SECONDS (answer 503 for that long, to show retries)
  export --tenant <id> [--from D] [--to D] [--out exports/] [--format csv|ndjson] [--base URL] [--key K]
                             stream the tenant's events, orders and tasks exports to files
                             (see \`export --help\`)
  simulate [--orders N] [--faults drop=0.05,dup=0.2,reorder=0.1,outage=wms:60s,reject=0.02] …
                             a fault-injected campaign against a running engine, then the verdict:
                             exits non-zero if any order was silently dropped (see \`simulate --help\`)
  bench [--duration S] [--runs N] [--connections N]
                             the load benchmark on a throwaway local engine (see \`bench --help\`)
  what-if --tenant <id> --from D --to D [--rules proposed.json] [--out what-if/]
                             replay a past window through proposed ownership rules (without
                             --rules: under the rules then in force, which must change nothing)
                             and write summary.json, orders.ndjson, changes.csv/.ndjson
  check-deploy               wrangler deploy --dry-run (offline), then the bundle and static assets
                             against Cloudflare's limits (10 MB gzipped Worker, 25 MiB per asset)
  verify-archive --tenant <id> --day YYYY-MM-DD [--base URL] [--key K]
                             check an archived day (docs/retention.md): every R2 object against its
                             manifest, the audit chain over the archived rows to the manifest's
                             checkpoint hash, and the live checkpoint entry that vouches for it
  notebook <name> --input <dir> [--out report.html]
                             run an analytics notebook (analytics/notebooks/) over exported CSVs
                             with duckdb-wasm and write a self-contained HTML report
`;

/**
 * For an engine started some other way (`npm run dev`, a second terminal) or to
 * restart the consumers alone, e.g. with a simulated WMS outage.
 */
async function demoConsumers(): Promise<void> {
  const stored = readDemoFile();
  if (!stored) throw new Error("no demo credentials yet: run `npm start` first");
  // An older demo.json has no consumer secrets; mint them now (the rules PUT below tells the engine).
  const creds: DemoCredentials = { ...stored, consumer_secrets: demoSecrets(stored).consumer_secrets };
  if (!stored.consumer_secrets) writeDemoFile(creds);
  const health = await fetch(`${creds.base_url}/healthz`).catch(() => null);
  if (!health?.ok) throw new Error(`no engine answers at ${creds.base_url} (from .wrangler/demo.json): start it first`);
  const enginePort = Number(new URL(creds.base_url).port || 80);
  const consumers = await listenDemoConsumers({
    port: consumersPort(enginePort),
    base: creds.base_url,
    tenant: creds.tenant,
    consumerSecrets: creds.consumer_secrets,
    sourceSecrets: { wms: creds.secrets.wms, carrier: creds.secrets.carrier },
    outageSeconds: wmsOutageSeconds(),
  });
  try {
    const version = await putDemoOwnership(creds, consumers.url);
    console.log(`demo WMS ${consumers.url}/wms and carrier ${consumers.url}/carrier for tenant ${creds.tenant} on ${creds.base_url} (ownership rules v${version}); Ctrl-C stops them`);
  } catch (err) {
    await consumers.close();
    throw err;
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await consumers.close();
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "start":
      return start();
    case "send":
      return send(rest);
    case "demo-consumers":
      return demoConsumers();
    case "export":
      return exportCommand(rest);
    case "simulate":
      process.exitCode = await simulate(rest);
      return;
    case "bench": {
      // Loaded on demand: autocannon is a dev dependency only the benchmark needs.
      const { bench } = await import("../bench/load/run");
      process.exitCode = await bench(rest);
      return;
    }
    case "what-if": {
      const { whatIfCommand } = await import("./what-if");
      return whatIfCommand(rest);
    }
    case "check-deploy": {
      const { checkDeploy } = await import("./deploy-check");
      process.exitCode = checkDeploy();
      return;
    }
    case "verify-archive": {
      const { verifyArchiveCommand } = await import("./verify-archive");
      process.exitCode = await verifyArchiveCommand(rest);
      return;
    }
    case "notebook": {
      // Loaded on demand: duckdb-wasm is only needed here.
      const { notebookCommand } = await import("../analytics/cli");
      process.exitCode = await notebookCommand(rest);
      return;
    }
    default:
      process.stderr.write(USAGE);
      process.exitCode = cmd === undefined || cmd === "help" || cmd === "--help" ? 0 : 2;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
