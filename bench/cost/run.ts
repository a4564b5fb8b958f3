import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { freePort } from "../../cli/dev-server";
import { generateCampaign, type PlannedOrder } from "../../cli/simulate/campaign";
import { startConsumers, type Consumers } from "../../cli/simulate/consumers";
import { Dispatcher } from "../../cli/simulate/dispatcher";
import { parseFaults, planDeliveries } from "../../cli/simulate/faults";
import { campaignJob } from "../../cli/simulate/jobs";
import { loadTemplates } from "../../cli/simulate/payloads";
import { simulatorRules } from "../../cli/simulate/rules";
import { startEngine, type Engine } from "../load/engine";
import { busyMs, Inspector, type Profile } from "../load/inspector";
import type { MeterReport } from "./meter";
import { renderCost, type CostRun } from "./report";

/**
 * `npm run bench:cost`: what one order lifecycle costs on Cloudflare. Runs the
 * campaign simulator's lifecycle mix (its payloads, senders, fault model and
 * simulated WMS and carrier) against the engine under `wrangler dev`, behind
 * meters that count what Cloudflare bills (bench/cost/meter.ts), samples the
 * isolate's CPU through the V8 inspector, and prices it (bench/cost/prices.ts).
 * The run never reads an order while it is measured: it waits for quiet on the
 * meters (nothing queued, in flight, or due), so every count is lifecycle cost.
 */

const USAGE = `usage: npm run bench:cost -- [options]

  --orders N        orders in the campaign (default 200)
  --faults SPEC     the simulator's fault model (default ${"drop=0.05,dup=0.2,reorder=0.1,reject=0.02,slow=0.05:3s"})
  --seed N          campaign and faults (default 19: the same mix every run)
  --label TEXT      names the run in the report, e.g. before / after
  --out DIR         where cost.json and cost.md go (default bench/results)
`;

const DEFAULT_FAULTS = "drop=0.05,dup=0.2,reorder=0.1,reject=0.02,slow=0.05:3s";
const ROOT = path.resolve(import.meta.dirname, "..", "..");
const CONFIG = path.join(import.meta.dirname, "wrangler.toml");
const TIME_FACTOR = 60;
const CONCURRENCY = 16;
/**
 * Quiet means: nothing the simulator still has to send, and no object alarm due
 * within this (drains, deliveries and their retries). SLA clocks that run for
 * minutes (never-captured payments, escalation levels) fire when they fire: the
 * ones that did during the run are counted, the rest are reported as pending.
 */
const QUIET_DUE_MS = 5_000;
const QUIET_POLLS = 3;
const SETTLE_TIMEOUT_MS = 300_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const say = (line: string) => process.stderr.write(`${line}\n`);
const secret = () => `whsec_${randomBytes(24).toString("base64")}`;

async function call(base: string, token: string, method: string, p: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return res.json();
}

interface Meter extends MeterReport {
  d1Bytes: number | null;
  d1Tables: Record<string, number>;
}

async function meter(base: string): Promise<Meter> {
  const res = await fetch(`${base}/__bench/meter?due_within_ms=${QUIET_DUE_MS}`);
  if (!res.ok) throw new Error(`meter: ${res.status} ${await res.text()}`);
  return (await res.json()) as Meter;
}

export async function costBench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { orders: { type: "string" }, faults: { type: "string" }, seed: { type: "string" }, label: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const orders = Number(values.orders ?? 200);
  const seed = Number(values.seed ?? 19);
  if (!Number.isInteger(orders) || orders < 1 || !Number.isInteger(seed)) throw new Error("--orders and --seed must be integers (orders ≥ 1)");
  const faultSpec = values.faults ?? DEFAULT_FAULTS;
  const faults = parseFaults(faultSpec);
  const outDir = path.resolve(values.out ?? path.join(ROOT, "bench", "results"));

  say("starting the engine behind meters under wrangler dev (throwaway state)…");
  const inspectorPort = await freePort();
  let engine: Engine | null = null;
  let consumers: Consumers | null = null;
  let dispatcher: Dispatcher | null = null;
  try {
    engine = await startEngine({ config: CONFIG, inspectorPort });
    const base = engine.url;
    const tenant = "cost";
    const created = (await call(base, engine.adminToken, "POST", "/v1/tenants", { id: tenant, name: "Cost bench", default_owner: "ops@cost.example" })) as { api_key: string };
    const sources = { shop: { kind: "shopify", secret: secret() }, stripe: { kind: "stripe", secret: secret() }, wms: { kind: "standard", secret: secret() }, carrier: { kind: "standard", secret: secret() }, crm: { kind: "standard", secret: secret() } };
    for (const [name, s] of Object.entries(sources)) await call(base, engine.adminToken, "PUT", `/v1/tenants/${tenant}/sources/${name}`, s);

    const campaign = generateCampaign({ orders, seed, runId: `cost${seed}` });
    const byId = new Map<string, PlannedOrder>(campaign.map((o) => [o.id, o]));
    const plans = planDeliveries(campaign, faults, seed);
    const templates = loadTemplates();
    const d = new Dispatcher(base, { concurrency: CONCURRENCY, timeFactor: TIME_FACTOR });
    dispatcher = d;
    const consumerSecrets = { wms: secret(), carrier: secret() };
    const runStart = Date.now() + 1500;
    const c = await startConsumers({
      host: "127.0.0.1",
      port: 0,
      publicUrl: null,
      tenant,
      seed,
      faults,
      timeFactor: TIME_FACTOR,
      runStart,
      dispatcher: d,
      orders: byId,
      consumerSecrets,
      sources: { wms: { name: "wms", secret: sources.wms.secret }, carrier: { name: "carrier", secret: sources.carrier.secret } },
    });
    consumers = c;
    await call(base, engine.adminToken, "PUT", `/v1/tenants/${tenant}/ownership`, simulatorRules(null, c.url, consumerSecrets));
    // Warm the isolate (module load, the tenant's config cache) outside the measurement.
    await fetch(`${base}/healthz`);
    await fetch(`${base}/__bench/meter/reset`, { method: "POST" });
    const before = await meter(base);

    const inspector = await Inspector.connect(inspectorPort);
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: 1000 });
    await inspector.send("Profiler.start");
    const started = Date.now();
    const signing = { shop: { name: "shop", secret: sources.shop.secret }, stripe: { name: "stripe", secret: sources.stripe.secret }, crm: { name: "crm", secret: sources.crm.secret } };
    let lastSend = runStart;
    for (const plan of plans) {
      const order = byId.get(plan.event.orderId);
      if (!order) continue;
      const { job, schedule } = await campaignJob({ tenant, runStart, timeFactor: TIME_FACTOR, templates, sources: signing }, order, plan);
      lastSend = Math.max(lastSend, schedule.firstAt);
      d.submit(job, schedule);
    }
    say(`${orders} orders, faults ${faultSpec}, seed ${seed}; campaign sends for ${((lastSend - Date.now()) / 1000).toFixed(0)} s, then waits for quiet`);

    let quiet = 0;
    let timedOut = false;
    for (;;) {
      await sleep(1000);
      const m = await meter(base);
      const idle = Date.now() > lastSend && d.queued === 0 && d.inFlight === 0 && c.pending === 0 && m.alarmsDueSoon === 0;
      quiet = idle ? quiet + 1 : 0;
      if (Math.round((Date.now() - started) / 1000) % 10 === 0) say(`[cost] ${((Date.now() - started) / 1000).toFixed(0)}s · sent ${d.stats.requests} · queued ${d.queued} · in flight ${d.inFlight} · exports received ${c.stats.deliveries} · alarms due soon ${m.alarmsDueSoon}`);
      if (quiet >= QUIET_POLLS) break;
      if (Date.now() > lastSend + SETTLE_TIMEOUT_MS) {
        timedOut = true;
        break;
      }
    }
    const { profile } = await inspector.send<{ profile: Profile }>("Profiler.stop");
    inspector.close();
    writeFileSync(path.join(tmpdir(), `handoff-cost-${values.label ?? "run"}.cpuprofile`), JSON.stringify(profile));
    const wallSeconds = (Date.now() - started) / 1000;
    const final = await meter(base);

    const run: CostRun = {
      at: new Date().toISOString(),
      label: values.label ?? null,
      machine: { cpus: availableParallelism(), node: process.version, load: loadavg() },
      settings: { orders, seed, faults: faultSpec, timeFactor: TIME_FACTOR, concurrency: CONCURRENCY },
      inbound: { requests: d.stats.requests, webhooks: d.stats.webhooks, duplicatesSent: d.stats.duplicatesSent, redeliveries: d.stats.retries, statuses: d.stats.statuses },
      consumers: { deliveries: c.stats.deliveries, redeliveries: c.stats.redeliveries, rejected: c.stats.rejected422, slow: c.stats.slow },
      meter: final,
      d1BytesBefore: before.d1Bytes,
      cpuMs: busyMs(profile),
      wallSeconds,
      timedOut,
    };
    mkdirSync(outDir, { recursive: true });
    const name = run.label === null ? "cost" : `cost-${run.label.replace(/[^a-z0-9-]/gi, "_")}`;
    writeFileSync(path.join(outDir, `${name}.json`), `${JSON.stringify(run, null, 2)}\n`);
    const md = renderCost(run);
    writeFileSync(path.join(outDir, `${name}.md`), md);
    process.stdout.write(`\n${md}\nwritten to ${path.relative(process.cwd(), outDir) || "."}/${name}.json and ${name}.md\n`);
    return timedOut ? 1 : 0;
  } catch (err) {
    if (engine) say(`engine log (last lines):\n${engine.log()}`);
    throw err;
  } finally {
    dispatcher?.close();
    await consumers?.close();
    await engine?.stop();
  }
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename);
if (invokedDirectly) {
  costBench(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
