import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { DEMO_FILE } from "../start";
import { EngineApi, type OrderLite, type SourceWatch, type TaskLite } from "./api";
import { campaignSpan, generateCampaign, type PlannedOrder } from "./campaign";
import { parseSimulateArgs, SIMULATE_USAGE, type SimulateConfig } from "./config";
import { startConsumers, type Consumers } from "./consumers";
import { Dispatcher } from "./dispatcher";
import { describeFaults, isSilenced, planDeliveries, silenceWindows, type SilenceWindow } from "./faults";
import { campaignJobs } from "./jobs";
import { registerMixSources, senderLabels } from "./mix-sources";
import { demoPreset } from "../demo-senders";
import { describeSenders } from "./senders";
import { loadTemplates } from "./payloads";
import { Progress } from "./progress";
import { bySender, classify, countBy, exportTotals, percentile, renderSummary, SILENT_DROP_DEFINITION, TERMINAL_STATES, type Summary } from "./report";
import { parseStoredRules, restoredRules, simulatorRules, type StoredRules } from "./rules";
import { compress } from "./schedules";
import { lineSkus, readLevels, renderStock, stockReport, stockUp, type StockReport } from "./stock";
import { isoDuration, silenceResults, Sweeper, type SilenceResult } from "./watch";

/**
 * `handoff simulate`: a campaign against a running engine, with faults, then
 * the verdict. Returns the exit code: 0 only when nothing was silently dropped.
 */

/** Lead time between setting up and the first event, so the first seconds are not a burst of catch-up. */
const START_LEAD_MS = 1500;
const TICK_MS = 1000;
const POLL_CONCURRENCY = 8;

function standardSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

async function pool<T, R>(items: readonly T[], size: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const item = items[i];
      if (item !== undefined) out[i] = await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Settled: the engine has nothing in flight for it and neither do we. */
function settled(o: OrderLite | null): boolean {
  if (o === null) return false;
  if (o.outbox.pending > 0) return false;
  if ((TERMINAL_STATES as readonly string[]).includes(o.state)) return true;
  return !o.exports.some((e) => e.status === "pending" || e.status === "delivered");
}

async function takeOverRules(api: EngineApi, consumersUrl: string, secrets: { wms: string; carrier: string }): Promise<{ original: StoredRules | null; version: number }> {
  const current = await api.ownership();
  const original = current === null ? null : parseStoredRules(current.rules);
  if (current !== null && original === null) throw new Error("could not read the tenant's ownership rules (unexpected shape)");
  const version = await api.putOwnership(simulatorRules(original, consumersUrl, secrets));
  return { original, version };
}

async function giveBackRules(api: EngineApi, cfg: SimulateConfig, original: StoredRules | null, progress: Progress): Promise<void> {
  if (cfg.keepRules) return progress.log("ownership rules left pointing at the simulator (--keep-rules)");
  if (original === null) return progress.log("the tenant had no ownership rules before; the simulator's stay in place (PUT your own to replace them)");
  const rules = restoredRules(original, cfg.originalConsumerSecrets);
  if (rules === null) {
    return progress.log("could not restore the ownership rules: their consumer secrets are not in the secrets file (consumer_secrets); PUT them again yourself");
  }
  const v = await api.putOwnership(rules);
  progress.log(`ownership rules restored (as v${v})`);
}

export async function simulate(argv: string[]): Promise<number> {
  const cfg = parseSimulateArgs(argv, process.env, DEMO_FILE);
  if (cfg === "help") {
    process.stdout.write(SIMULATE_USAGE);
    return 0;
  }
  const progress = new Progress();
  const api = new EngineApi(cfg.target, cfg.tenant, cfg.apiKey, cfg.adminToken);
  if (!(await api.healthy())) throw new Error(`no engine answers at ${cfg.target}/healthz`);
  if (!api.canAdmin) throw new Error("simulate points the tenant's ownership rules at its own WMS and carrier, which needs an admin token (--admin-token or HANDOFF_ADMIN_TOKEN)");
  await api.tasks("claimed"); // fails early on a wrong API key

  const crm = cfg.sources.crm;
  let crmSecret = crm?.secret ?? null;
  if (crm && crmSecret === null) {
    crmSecret = standardSecret();
    await api.putSource(crm.name, "standard", crmSecret);
    progress.log(`registered source '${crm.name}' (standard) for the CRM's attribution updates`);
  }
  const need = (role: "shop" | "stripe" | "wms" | "carrier"): { name: string; secret: string } => {
    const s = cfg.sources[role];
    if (!s?.secret) throw new Error(`no secret for source ${role}`);
    return { name: s.name, secret: s.secret };
  };

  const mixSources = await registerMixSources((name, body) => api.putSourceBody(name, body), cfg, (line) => progress.log(line));
  const orders = generateCampaign({ orders: cfg.orders, seed: cfg.seed, runId: cfg.runId, ordersPerHour: cfg.ordersPerHour, senders: cfg.senders });
  const byId = new Map<string, PlannedOrder>(orders.map((o) => [o.id, o]));
  const plans = planDeliveries(orders, cfg.faults, cfg.seed);
  const templates = loadTemplates();
  let windows: SilenceWindow[] = [];
  const dispatcher = new Dispatcher(cfg.target, { concurrency: cfg.concurrency, timeFactor: cfg.timeFactor, silenced: (label, now) => isSilenced(windows, label, now) });
  const consumerSecrets = { wms: standardSecret(), carrier: standardSecret() };
  const setupAt = Date.now();
  const runStart = setupAt + START_LEAD_MS;
  const span = compress(campaignSpan(orders), cfg.timeFactor);
  windows = silenceWindows(cfg.faults, runStart, span);
  const sweeper = new Sweeper(api, cfg.sweepEveryMs);
  const sourceName = (role: string): string => cfg.sources[role as keyof typeof cfg.sources]?.name ?? role;
  const watched = new Map<string, { kind: "shopify" | "stripe" | "standard"; secret: string; before: SourceWatch | null }>();
  let consumers: Consumers | null = null;
  let original: StoredRules | null = null;
  let rulesTaken = false;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    consumers = await startConsumers({
      host: cfg.consumersHost,
      port: cfg.consumersPort,
      publicUrl: cfg.consumersUrl,
      tenant: cfg.tenant,
      seed: cfg.seed,
      faults: cfg.faults,
      timeFactor: cfg.timeFactor,
      runStart,
      dispatcher,
      orders: byId,
      consumerSecrets,
      sources: { wms: need("wms"), carrier: need("carrier"), ...(mixSources.easypost ? { easypost: mixSources.easypost } : {}) },
      templates,
    });
    const taken = await takeOverRules(api, consumers.url, consumerSecrets);
    original = taken.original;
    rulesTaken = true;
    console.log(
      `simulate: ${cfg.orders} orders against ${cfg.target} (tenant ${cfg.tenant})\n` +
        `  senders ${describeSenders(cfg.senders)}\n` +
        `  faults ${describeFaults(cfg.faults)} · time factor ${cfg.timeFactor}× · concurrency ${cfg.concurrency} · seed ${cfg.seed} · run ${cfg.runId}\n` +
        `  secrets from ${cfg.secretsFrom}; WMS ${consumers.url}/wms and carrier ${consumers.url}/carrier (ownership rules v${taken.version})\n` +
        `  campaign events span ${(span / 1000).toFixed(0)} s of wall time, then the engine gets up to ${cfg.settleTimeoutMs / 1000} s past the simulator's last planned step to settle`,
    );
    const sources = { shop: need("shop"), stripe: need("stripe"), crm: { name: crm?.name ?? "crm", secret: crmSecret ?? "" }, ...mixSources };
    const stockBefore = await stockUp(api, cfg.target, cfg.tenant, need("wms"), cfg.stock, cfg.runId);
    for (const [sku, l] of stockBefore) progress.log(`stock: ${sku} on hand ${l.on_hand}, reserved ${l.reserved}, oversell buffer ${l.oversell_buffer}`);
    const skusOf = cfg.stock.length === 0 ? undefined : (o: PlannedOrder) => lineSkus(cfg.seed, o.id, cfg.stock);
    for (const w of windows) {
      if (watched.has(w.role)) continue;
      const secret = w.role === "crm" ? crmSecret : cfg.sources[w.role]?.secret;
      if (!secret) throw new Error(`silence=${w.role}: no secret for that sender`);
      const kind = w.role === "shop" ? "shopify" : w.role === "stripe" ? "stripe" : "standard";
      // A PUT without a watch keeps it and answers it: the one way to read what to put back.
      const before = await api.putSource(sourceName(w.role), kind, secret);
      watched.set(w.role, { kind, secret, before });
      await api.putSource(sourceName(w.role), kind, secret, { silence_after: isoDuration(cfg.silenceAfterMs) });
      progress.log(
        `silence: '${sourceName(w.role)}' stops ${((w.from - runStart) / 1000).toFixed(0)}s into the run for ${((w.to - w.from) / 1000).toFixed(0)}s; watch.silence_after ${isoDuration(cfg.silenceAfterMs)}, watchers swept every ${cfg.sweepEveryMs / 1000}s`,
      );
    }
    if (windows.length > 0) sweeper.start();
    let lastSend = runStart;
    const sendable = plans.filter((plan) => plan.event.kind !== "standard.attribution.updated" || crmSecret !== null);
    for (const { job, schedule } of await campaignJobs({ tenant: cfg.tenant, runStart, timeFactor: cfg.timeFactor, templates, sources, preset: demoPreset(), lineSkus: skusOf }, sendable, byId)) {
      lastSend = Math.max(lastSend, schedule.firstAt);
      dispatcher.submit(job, schedule);
    }

    const unsettled = new Set(orders.map((o) => o.id));
    // The settle clock runs only while the simulator itself has nothing planned: a carrier
    // that reports delivery in three (compressed) hours is not the engine being stuck.
    let lastBusy = lastSend;
    const status = (phase: string): string => {
      const s = dispatcher.stats;
      const secs = ((Date.now() - runStart) / 1000).toFixed(0);
      return `[simulate] ${secs}s ${phase} · sent ${s.requests} (2xx ${s.accepted + s.duplicateReceipts}, dup absorbed ${s.duplicateReceipts}) · lost ${s.lost} · redelivered ${s.retries} · queued ${dispatcher.queued} · in flight ${dispatcher.inFlight} · exports received ${consumers?.stats.deliveries ?? 0} · unsettled orders ${unsettled.size}`;
    };
    while (!interrupted) {
      const campaignRunning = Date.now() < lastSend;
      progress.update(status(campaignRunning ? "sending" : "settling"));
      for (const o of orders) if (dispatcher.pendingFor(o.id) > 0 || consumers.pendingFor(o.id) > 0) unsettled.add(o.id);
      if (dispatcher.queued > 0 || dispatcher.inFlight > 0 || consumers.pending > 0) lastBusy = Date.now();
      if (!campaignRunning) {
        const c = consumers;
        const candidates = [...unsettled].filter((id) => dispatcher.pendingFor(id) === 0 && c.pendingFor(id) === 0);
        const snaps = await pool(candidates, POLL_CONCURRENCY, async (id) => ({ id, o: await api.order(id).catch(() => null) }));
        // An order whose sender was silenced before the engine heard of it has nothing left to settle.
        const quiet = (id: string, o: OrderLite | null) => settled(o) || (o === null && dispatcher.withheld.has(id));
        for (const { id, o } of snaps) if (quiet(id, o) && dispatcher.pendingFor(id) === 0 && c.pendingFor(id) === 0) unsettled.delete(id);
        const idle = unsettled.size === 0 && dispatcher.queued === 0 && dispatcher.inFlight === 0 && c.pending === 0;
        // Silences are waited out until detected, or until past their goal with a sweep to spare.
        const lastGoal = Math.max(0, ...windows.map((w) => w.from + cfg.silenceAfterMs + 2 * cfg.sweepEveryMs));
        if (idle && (sweeper.covers(windows, sourceName) || Date.now() > lastGoal)) break;
        if (Date.now() > lastBusy + cfg.settleTimeoutMs) {
          progress.log(`settle timeout: ${unsettled.size} orders still had work in flight in the engine; classifying them as they are`);
          break;
        }
      }
      await sleep(TICK_MS);
    }
    progress.update(status(interrupted ? "interrupted" : "done"), true);
    progress.done();
    dispatcher.close();
    if (windows.length > 0) await sweeper.stop();
    const silences = silenceResults(windows, sourceName, [...sweeper.detections.values()], { silenceAfterMs: cfg.silenceAfterMs, sweepEveryMs: cfg.sweepEveryMs });
    for (const e of sweeper.errors) progress.log(`watchers sweep failed: ${e}`);

    console.log("\nchecking every order…");
    const snapshots = await pool(orders, POLL_CONCURRENCY, (o) => api.order(o.id));
    const tasks = [...(await api.tasks("open")), ...(await api.tasks("claimed"))];
    const tasksByOrder = new Map<string, TaskLite[]>();
    for (const t of tasks) if (t.order_id !== null) tasksByOrder.set(t.order_id, [...(tasksByOrder.get(t.order_id) ?? []), t]);
    const summary = summarize(orders, snapshots, tasksByOrder, dispatcher, consumers, silences, (Date.now() - setupAt) / 1000);
    console.log(`\n${SILENT_DROP_DEFINITION}\n\n${renderSummary(summary)}\n`);
    const stock: StockReport | null = cfg.stock.length === 0 ? null : stockReport(cfg.stock, stockBefore, await readLevels(api, cfg.stock), snapshots);
    if (stock !== null) console.log(`${renderStock(stock)}\n`);
    if (cfg.reportFile) {
      writeFileSync(cfg.reportFile, JSON.stringify({ config: { ...cfg, apiKey: undefined, adminToken: undefined, sources: undefined, originalConsumerSecrets: undefined }, summary, stock }, null, 2));
      console.log(`summary written to ${cfg.reportFile}`);
    }
    return summary.categories.silently_dropped === 0 && silences.every((x) => x.detected) && !interrupted && stock?.oversold !== true ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    dispatcher.close();
    await sweeper.stop().catch(() => undefined);
    for (const [role, w] of watched) {
      await api.putSource(sourceName(role), w.kind, w.secret, w.before).catch((err: unknown) => progress.log(`could not put back watch on '${sourceName(role)}': ${String(err)}`));
    }
    if (rulesTaken) await giveBackRules(api, cfg, original, progress).catch((err: unknown) => progress.log(`could not restore the ownership rules: ${String(err)}`));
    await consumers?.close();
  }
}

function summarize(
  orders: readonly PlannedOrder[],
  snapshots: readonly (OrderLite | null)[],
  tasksByOrder: ReadonlyMap<string, TaskLite[]>,
  dispatcher: Dispatcher,
  consumers: Consumers,
  silences: SilenceResult[],
  wallSeconds: number,
): Summary {
  const silentOwner = (id: string): string | null => {
    const roles = dispatcher.withheld.get(id);
    return silences.find((x) => x.detected && roles?.has(x.role))?.owner ?? null;
  };
  const classified = orders.map((o, i) => ({ id: o.id, labels: senderLabels(o.senders), c: classify(snapshots[i] ?? null, tasksByOrder.get(o.id) ?? [], dispatcher.receipts.get(o.id) ?? new Set(), silentOwner(o.id)) }));
  const by = (cat: string) => classified.filter((x) => x.c.category === cat);
  const lat = [...dispatcher.latencies].sort((a, b) => a - b);
  const s = dispatcher.stats;
  const cs = consumers.stats;
  return {
    orders: orders.length,
    categories: {
      terminal: by("terminal").length,
      on_hold_with_owner: by("on_hold_with_owner").length,
      waiting_on_sla_clock: by("waiting_on_sla_clock").length,
      sender_silent_with_owner: by("sender_silent_with_owner").length,
      silently_dropped: by("silently_dropped").length,
    },
    held: countBy(by("on_hold_with_owner"), (x) => x.c.reason.split(" → ")[0] ?? x.c.reason),
    waiting: countBy(by("waiting_on_sla_clock"), (x) => `${x.c.reason.split(" ")[0] ?? ""} clock`),
    dropped: by("silently_dropped").map((x) => ({ orderId: x.id, reason: x.c.reason })),
    inbound: {
      webhooks: s.webhooks,
      requests: s.requests,
      lost: s.lost,
      redeliveries: s.retries,
      duplicatesSent: s.duplicatesSent,
      duplicatesAbsorbed: s.duplicateReceipts,
      gaveUp: s.gaveUp,
      silenced: s.silenced,
      statuses: s.statuses,
    },
    silences,
    latency: { count: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.at(-1) ?? Number.NaN },
    exports: exportTotals(snapshots),
    consumers: { deliveries: cs.deliveries, redeliveries: cs.redeliveries, outage503: cs.outage503, rejected422: cs.rejected422, slow: cs.slow, badSignature: cs.badSignature },
    senders: bySender(classified.map((x) => ({ category: x.c.category, labels: x.labels })), s.byLabel),
    wallSeconds,
  };
}
