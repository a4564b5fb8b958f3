import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism, loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { demoOwnershipRules } from "../../cli/demo-consumers";
import { shopifyHeaders } from "../../cli/sign";
import { orderIdFor } from "../../cli/simulate/campaign";
import { loadTemplates, shopifyOrderBody } from "../../cli/simulate/payloads";
import { percentile } from "../../cli/simulate/report";
import { sendSnapshot, withLineSkus } from "../../cli/simulate/stock";
import { startEngine, type Engine } from "../load/engine";
import { CASES, renderBench, type Case, type InventoryBench, type Sample } from "./report";

/**
 * `npm run bench:inventory`: reservations per second through the real Worker
 * and objects under `wrangler dev`, on loopback. Four cases, interleaved in
 * every run so they share the machine's load: the reserve RPC straight on the
 * inventory object (bench Worker's /__bench/reserve) for one hot SKU and spread
 * over many, and the same through paid Shopify orders (webhook → order object →
 * reserve → commit), beside a bare object write as the storage ceiling's
 * reference. Closed loop, fixed duration, stops by itself; medians over
 * runs, ratios per run. Afterwards every SKU's object is read back and its
 * reserved units must equal what the successful requests asked for.
 */

const USAGE = `usage: npm run bench:inventory -- [options]

  --seconds S       per case and run (default 5)
  --runs N          (default 3)
  --concurrency N   requests in flight (default 16)
  --skus N          SKUs the spread cases use (default 64)
  --out DIR         where inventory.json and inventory.md go (default bench/results)
`;

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const TENANT = "invbench";
/** Never runs out: every reservation is "all", so the rates are reservations, not backorders. */
const STOCK = 100_000_000;
/** The fixture order's two lines (quantities 1 and 2), both given the order's SKU: one reserve call of 3 units. */
const ORDER_UNITS = 3;
const say = (line: string) => process.stderr.write(`${line}\n`);
const secret = () => `whsec_${randomBytes(24).toString("base64")}`;

function positiveInt(v: string | undefined, fallback: number, what: string): number {
  const n = Number(v ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer`);
  return n;
}

async function call(base: string, token: string, method: string, p: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Where the routing exports of the order cases go: takes everything, acks nothing (the reservation is already made). */
async function sink(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}'));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** One request's outcome: the units it reserved (0 = failed). */
type Request = (i: number) => Promise<number>;

/** `concurrency` loops for `seconds`; what completed inside the window counts. */
async function closedLoop(req: Request, seconds: number, concurrency: number): Promise<Sample & { units: number }> {
  const end = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  let errors = 0;
  let units = 0;
  const started = performance.now();
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      const got = await req(next++).catch(() => 0);
      latencies.push(performance.now() - t);
      if (got > 0) {
        ok++;
        units += got;
      } else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - started) / 1000;
  return { ok, errors, seconds: elapsed, rate: ok / elapsed, p50: percentile([...latencies].sort((a, b) => a - b), 50), p99: percentile([...latencies].sort((a, b) => a - b), 99), units };
}

export async function inventoryBench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { seconds: { type: "string" }, runs: { type: "string" }, concurrency: { type: "string" }, skus: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const seconds = positiveInt(values.seconds, 5, "--seconds");
  const runs = positiveInt(values.runs, 3, "--runs");
  const concurrency = positiveInt(values.concurrency, 16, "--concurrency");
  const skuCount = positiveInt(values.skus, 64, "--skus");
  const outDir = path.resolve(values.out ?? path.join(ROOT, "bench", "results"));

  say("starting the engine under wrangler dev (throwaway state)…");
  let engine: Engine | null = null;
  const exportsSink = await sink();
  try {
    engine = await startEngine();
    const base = engine.url;
    const admin = engine.adminToken;
    const { api_key: key } = (await call(base, admin, "POST", "/v1/tenants", { id: TENANT, name: "Inventory bench", default_owner: "ops@invbench.example" })) as { api_key: string };
    const shop = secret();
    const wms = secret();
    await call(base, admin, "PUT", `/v1/tenants/${TENANT}/sources/shop`, { kind: "shopify", secret: shop });
    await call(base, admin, "PUT", `/v1/tenants/${TENANT}/sources/wms`, { kind: "standard", secret: wms });
    await call(base, admin, "PUT", `/v1/tenants/${TENANT}/ownership`, demoOwnershipRules(exportsSink.url, { wms: secret(), carrier: secret() }));

    // Each case its own SKUs, so the read-back can check each case's count.
    const skus: Record<Case, string[]> = {
      "do-write": [],
      "rpc-hot": ["RPC-HOT"],
      "rpc-spread": Array.from({ length: skuCount }, (_, i) => `RPC-SPREAD-${i}`),
      "order-hot": ["ORDER-HOT"],
      "order-spread": Array.from({ length: skuCount }, (_, i) => `ORDER-SPREAD-${i}`),
    };
    const stockedAt = Date.now();
    for (const c of CASES) for (const sku of skus[c]) await sendSnapshot(base, TENANT, { name: "wms", secret: wms }, { sku, units: STOCK }, stockedAt, "bench");
    say(`stocked ${CASES.reduce((n, c) => n + skus[c].length, 0)} SKUs with ${STOCK} units each`);

    const template = loadTemplates().shopifyCreate;
    const created = new Date().toISOString();
    const skuOf = (c: Case, i: number) => skus[c][i % skus[c].length] ?? "";
    const rpc =
      (c: Case, run: number): Request =>
      async (i) => {
        const q = new URLSearchParams({ tenant: TENANT, sku: skuOf(c, i), order: `bench-${c}-${run}-${i}`, units: "1" });
        const res = await fetch(`${base}/__bench/reserve?${q}`, { method: "POST" });
        const body = (await res.json()) as { outcome?: string };
        return res.ok && body.outcome === "all" ? 1 : 0;
      };
    let orderNumber = 0;
    const order =
      (c: Case, run: number): Request =>
      async (i) => {
        const sku = skuOf(c, i);
        const id = orderIdFor(run, c, i);
        const body = withLineSkus(shopifyOrderBody(template, { id, number: 1001 + orderNumber++, flow: "paid_at_checkout" }, { created }, "paid"), [sku, sku]);
        const headers = await shopifyHeaders({ topic: "orders/create", body, secret: shop, webhookId: randomUUID(), eventId: randomUUID(), triggeredAt: created });
        const res = await fetch(`${base}/v1/tenants/${TENANT}/webhooks/shop`, { method: "POST", headers, body });
        await res.arrayBuffer();
        return res.status === 202 ? ORDER_UNITS : 0;
      };
    const write: Request = async (i) => {
      const res = await fetch(`${base}/__bench/do-write?k=bench-hot`, { method: "POST", body: String(i) });
      await res.arrayBuffer();
      return res.status === 202 ? 1 : 0;
    };
    const request = (c: Case, run: number): Request => (c === "do-write" ? write : c.startsWith("rpc") ? rpc(c, run) : order(c, run));

    say("warming up (1 s per case, not counted)…");
    const asked: Record<Case, number> = { "do-write": 0, "rpc-hot": 0, "rpc-spread": 0, "order-hot": 0, "order-spread": 0 };
    for (const c of CASES) asked[c] += (await closedLoop(request(c, 0), 1, concurrency)).units;

    const results: InventoryBench["runs"] = [];
    for (let run = 1; run <= runs; run++) {
      const samples: Partial<Record<Case, Sample>> = {};
      for (const c of CASES) {
        const { units, ...sample } = await closedLoop(request(c, run), seconds, concurrency);
        asked[c] += units;
        samples[c] = sample;
        say(`run ${run}/${runs} ${c.padEnd(12)} ${sample.rate.toFixed(0).padStart(6)} reservations/s · p50 ${sample.p50.toFixed(1)} ms · errors ${sample.errors}`);
      }
      const complete = (s: Partial<Record<Case, Sample>>): s is Record<Case, Sample> => CASES.every((c) => s[c] !== undefined);
      if (!complete(samples)) throw new Error("a case did not run");
      results.push(samples);
    }

    // A request cut by the window's end may still have reserved: wait until the objects are quiet, then compare.
    await new Promise((r) => setTimeout(r, 2000));
    const verified: InventoryBench["verified"] = [];
    for (const c of CASES) {
      if (skus[c].length === 0) continue;
      let reserved = 0;
      for (const sku of skus[c]) reserved += ((await call(base, key, "GET", `/v1/tenants/${TENANT}/inventory/${sku}`)) as { reserved: number }).reserved;
      verified.push({ case: c, expected_units: asked[c], reserved_units: reserved });
    }

    const result: InventoryBench = { at: new Date().toISOString(), machine: { cpus: availableParallelism(), node: process.version, load: loadavg() }, settings: { seconds, runs, concurrency, skus: skuCount }, runs: results, verified };
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, "inventory.json"), `${JSON.stringify(result, null, 2)}\n`);
    const md = renderBench(result);
    writeFileSync(path.join(outDir, "inventory.md"), md);
    process.stdout.write(`\n${md}\nwritten to ${path.relative(process.cwd(), outDir) || "."}/inventory.json and inventory.md\n`);
    return verified.every((v) => v.expected_units === v.reserved_units) ? 0 : 1;
  } catch (err) {
    if (engine) say(`engine log (last lines):\n${engine.log()}`);
    throw err;
  } finally {
    await engine?.stop();
    const closed = new Promise<void>((r) => exportsSink.server.close(() => r()));
    exportsSink.server.closeAllConnections();
    await closed;
  }
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename);
if (invokedDirectly) {
  inventoryBench(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
