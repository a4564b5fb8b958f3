import { spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import path from "node:path";
import type { OwnershipRulesInput } from "../domain/ownership/schema";
import { demoContacts, DEMO_ROTATION } from "./demo-receivers";
import { demoSources } from "./demo-senders";
import { demoOwnershipRules, startDemoConsumers, type DemoConsumerOptions, type DemoConsumers } from "./demo-consumers";
import { spawnGuarded, stopGroup, waitReady, wranglerCommand } from "./dev-server";
import { acquireEngineLock } from "./engine-lock";

/**
 * `npm start`: the local engine on an embedded default. Local D1 and Durable
 * Object state live under .wrangler/state (locked by the running engine); the demo
 * tenant's credentials are kept in .wrangler/demo.json so a restart prints the same
 * key instead of a new one. HANDOFF_LOCAL_DIR moves all of it elsewhere (a second
 * engine on the same checkout, the tests).
 */

export const ROOT = path.resolve(import.meta.dirname, "..");
const LOCAL_DIR = process.env.HANDOFF_LOCAL_DIR ? path.resolve(process.env.HANDOFF_LOCAL_DIR) : path.join(ROOT, ".wrangler");
/** Where `wrangler d1 migrations apply --local` and `wrangler dev` keep D1 and the Durable Objects (wrangler's default for the root config). */
export const STATE_DIR = path.join(LOCAL_DIR, "state");
export const DEMO_FILE = path.join(LOCAL_DIR, "demo.json");

export interface DemoCredentials {
  base_url: string;
  admin_token: string;
  tenant: string;
  api_key: string;
  secrets: { shop: string; stripe: string; wms: string; carrier: string; woo?: string; adyen?: string; easypost?: string; lemon?: string };
  /** What the engine signs deliveries to the demo WMS and carrier with: the ownership rules' consumer secrets. */
  consumer_secrets: { wms: string; carrier: string };
}

/** demo.json as any earlier `npm start` may have left it (consumer secrets came later). */
export type StoredDemoCredentials = Omit<DemoCredentials, "consumer_secrets"> & Partial<Pick<DemoCredentials, "consumer_secrets">>;

type DemoSecrets = Pick<DemoCredentials, "secrets" | "consumer_secrets">;

export function readDemoFile(): StoredDemoCredentials | null {
  return existsSync(DEMO_FILE) ? (JSON.parse(readFileSync(DEMO_FILE, "utf8")) as StoredDemoCredentials) : null;
}

export function writeDemoFile(creds: DemoCredentials): void {
  mkdirSync(path.dirname(DEMO_FILE), { recursive: true });
  writeFileSync(DEMO_FILE, JSON.stringify(creds, null, 2));
}

function standardSecret(): string {
  return `whsec_${randomBytes(24).toString("base64")}`;
}

/** Secrets for the WooCommerce, Adyen (a hex HMAC key), EasyPost and Lemon Squeezy (hmac preset) demo senders. */
function newSenderSecrets(): Required<Pick<DemoCredentials["secrets"], "woo" | "adyen" | "easypost" | "lemon">> {
  return {
    woo: `wc_${randomBytes(16).toString("hex")}`,
    adyen: randomBytes(32).toString("hex").toUpperCase(),
    easypost: `ep_${randomBytes(16).toString("hex")}`,
    lemon: `ls_${randomBytes(16).toString("hex")}`,
  };
}

/** Reuses what demo.json already holds, so a restart keeps every secret senders and consumers were told. */
export function demoSecrets(previous: StoredDemoCredentials | null): DemoSecrets {
  return {
    // A demo.json from before the newer senders gains their secrets, keeping the rest.
    secrets: previous?.secrets ? { ...newSenderSecrets(), ...previous.secrets } : {
      shop: `shpss_${randomBytes(16).toString("hex")}`,
      stripe: `whsec_${randomBytes(24).toString("base64url")}`,
      wms: standardSecret(),
      carrier: standardSecret(),
      ...newSenderSecrets(),
    },
    consumer_secrets: previous?.consumer_secrets ?? { wms: standardSecret(), carrier: standardSecret() },
  };
}

function envNumber(name: string, fallback: number, check: (n: number) => boolean, what: string): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!check(n)) throw new Error(`${name} must be ${what}, not '${raw}'`);
  return n;
}

export function enginePort(): number {
  return envNumber("PORT", 8787, (n) => Number.isInteger(n) && n > 0 && n < 65536, "a port number");
}

export function consumersPort(enginePort: number): number {
  return envNumber("DEMO_CONSUMERS_PORT", enginePort + 1, (n) => Number.isInteger(n) && n >= 0 && n < 65536, "a port number");
}

export function wmsOutageSeconds(): number {
  return envNumber("DEMO_WMS_OUTAGE_SECONDS", 0, (n) => Number.isFinite(n) && n >= 0, "a number of seconds ≥ 0");
}

function readDevVars(): Record<string, string> {
  const file = path.join(ROOT, ".dev.vars");
  if (!existsSync(file)) {
    copyFileSync(path.join(ROOT, ".dev.vars.example"), file);
    console.log("created .dev.vars from .dev.vars.example");
  }
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m?.[1] && m[2] !== undefined) vars[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}



async function api(base: string, method: string, p: string, token: string, body?: unknown): Promise<Response> {
  return fetch(`${base}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function seedDemo(base: string, adminToken: string, keys: DemoSecrets = demoSecrets(readDemoFile())): Promise<DemoCredentials> {
  const previous = readDemoFile();
  const { secrets, consumer_secrets } = keys;
  let apiKey = previous?.api_key ?? "";
  const created = await api(base, "POST", "/v1/tenants", adminToken, { id: "demo", name: "Demo merchant", default_owner: "ops@demo.example" });
  if (created.status === 201) {
    apiKey = ((await created.json()) as { api_key: string }).api_key;
  } else if (created.status === 409) {
    const probe = apiKey ? await api(base, "GET", "/v1/tenants/demo/rejections?limit=1", apiKey) : null;
    if (probe?.status !== 200) {
      const issued = await api(base, "POST", "/v1/tenants/demo/api-keys", adminToken, { name: "demo", scope: "merchant_admin" });
      if (issued.status !== 201) throw new Error(`could not issue a demo key: ${issued.status} ${await issued.text()}`);
      apiKey = ((await issued.json()) as { api_key: string }).api_key;
    }
  } else {
    throw new Error(`could not create the demo tenant: ${created.status} ${await created.text()}`);
  }
  for (const [name, source] of Object.entries(demoSources(secrets))) {
    const res = await api(base, "PUT", `/v1/tenants/demo/sources/${name}`, adminToken, source);
    if (res.status !== 200) throw new Error(`could not register source ${name}: ${res.status} ${await res.text()}`);
  }
  const creds: DemoCredentials = { base_url: base, admin_token: adminToken, tenant: "demo", api_key: apiKey, secrets, consumer_secrets };
  writeDemoFile(creds);
  return creds;
}

/**
 * Every name the demo rules use becomes a contact on the demo Slack or PagerDuty (the
 * consumers' port prints what they receive), and `demo-oncall` a rotation of the ops people.
 */
async function putDemoContacts(creds: DemoCredentials, rules: OwnershipRulesInput, receiversUrl: string): Promise<number> {
  const contacts = demoContacts(rules, receiversUrl);
  for (const c of contacts) {
    const res = await api(creds.base_url, "PUT", `/v1/tenants/${creds.tenant}/contacts/${encodeURIComponent(c.id)}`, creds.admin_token, { name: c.name, channels: c.channels });
    if (res.status !== 200) throw new Error(`could not add demo contact ${c.id}: ${res.status} ${await res.text()}`);
  }
  const { id, ...rotation } = DEMO_ROTATION;
  const res = await api(creds.base_url, "PUT", `/v1/tenants/${creds.tenant}/rotations/${id}`, creds.admin_token, { ...rotation, members: [...rotation.members] });
  if (res.status !== 200) throw new Error(`could not add the demo rotation: ${res.status} ${await res.text()}`);
  return contacts.length;
}

/** Points the tenant's routing and shipping steps at the demo consumers (a new rules version each time). */
export async function putDemoOwnership(creds: DemoCredentials, consumersUrl: string): Promise<number> {
  const rules = demoOwnershipRules(consumersUrl, creds.consumer_secrets);
  await putDemoContacts(creds, rules, consumersUrl);
  const res = await api(creds.base_url, "PUT", `/v1/tenants/${creds.tenant}/ownership`, creds.admin_token, rules);
  if (res.status !== 200) throw new Error(`could not set the demo ownership rules: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { version: number }).version;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** On the port asked for, or — when another program holds it — on a free one, said out loud. */
export async function listenDemoConsumers(opts: DemoConsumerOptions): Promise<DemoConsumers> {
  try {
    return await startDemoConsumers(opts);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    const consumers = await startDemoConsumers({ ...opts, port: 0 });
    console.log(`  port ${opts.port} for the demo consumers is taken by another program: they listen on ${consumers.url} instead (DEMO_CONSUMERS_PORT=… to choose)`);
    return consumers;
  }
}

function banner(creds: DemoCredentials, consumers: DemoConsumers, rulesVersion: number, outageSeconds: number): string {
  const base = creds.base_url;
  const outage = outageSeconds > 0 ? `\n                (the WMS answers 503 for its first ${outageSeconds}s, so you see the engine retry)` : "";
  return `
  Handoff is running on ${base}   (OpenAPI: ${base}/openapi.json)

  admin token   ${creds.admin_token}
  demo tenant   ${creds.tenant}
  demo API key  ${creds.api_key}
  sources       shop (shopify)   secret ${creds.secrets.shop}
                stripe (stripe)  secret ${creds.secrets.stripe}
                wms (standard)   secret ${creds.secrets.wms}
                carrier (standard) secret ${creds.secrets.carrier}
                woo (woocommerce), adyen (adyen), easypost (easypost), lemon (hmac preset): secrets in .wrangler/demo.json
  consumers     demo WMS      ${consumers.url}/wms       (routing: fulfil_order, acked)
                demo carrier  ${consumers.url}/carrier   (shipping: request_shipment)
                ownership rules v${rulesVersion} route paid orders to them${outage}
  people        every owner, backup and on-call in the rules is a contact on the demo Slack
                (${consumers.url}/slack/…) or PagerDuty (${consumers.url}/pagerduty); tasks, breaches
                and escalations print as [demo-slack] and [demo-pagerduty] lines, emails as
                wrangler's "send_email binding called" lines (with the file to read)

  Send a Shopify order and a Stripe capture, then watch the WMS get it:
    npm run demo:send -- shop orders-create && npm run demo:send -- stripe payment_intent.succeeded
  The engine delivers the paid order to the demo WMS, which acks it and reports it accepted;
  the engine then hands it to the demo carrier, which reports it shipped and, 3s later,
  delivered. Their lines below are prefixed [demo-wms] and [demo-carrier].
  To see a page arrive: npm run demo:send -- wms fulfillment.accepted  (a second warehouse
  accepts the same order: a task opens and its owner hears of it on the demo Slack and by email).
  Then look at it:   curl -H "authorization: Bearer ${creds.api_key}" ${base}/v1/tenants/demo/orders/820982911946154508
  (credentials saved in ${path.relative(ROOT, DEMO_FILE) || DEMO_FILE}; Ctrl-C stops the engine and the demo consumers)
`;
}

export async function start(): Promise<void> {
  const port = enginePort();
  const demoPort = consumersPort(port);
  const outageSeconds = wmsOutageSeconds();
  const vars = readDevVars();
  const adminToken = vars.ADMIN_TOKEN;
  if (!adminToken) throw new Error(".dev.vars has no ADMIN_TOKEN");

  // One engine per state directory (a second one would share its SQLite files): refused before anything runs.
  const lock = acquireEngineLock(STATE_DIR, port);
  process.once("exit", () => lock.release());
  let child: ChildProcess | null = null;
  let consumers: DemoConsumers | null = null;
  let stopping = false;
  let stopped: Promise<void> = Promise.resolve();
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    if (child) stopped = stopGroup(child);
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      if (!stopping) console.log(`\n  ${sig}: stopping the engine and the demo consumers…`);
      stop();
    });
  }

  try {
    if (!(await portFree(port))) throw new Error(`port ${port} is in use by another program: choose another with PORT=…`);
    console.log("applying D1 migrations to the local database…");
    const persist = ["--persist-to", STATE_DIR];
    const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
    const migrate = spawnSync(...wranglerCommand(["d1", "migrations", "apply", "DB", "--local", ...persist]), { cwd: ROOT, stdio: "inherit", env: { ...env, CI: "true" } });
    if (migrate.status !== 0) throw new Error("wrangler d1 migrations apply failed");
    if (stopping) return;

    const base = `http://127.0.0.1:${port}`;
    // Under the guard, in a group of its own: whatever ends this process, wrangler and its workerd end with it.
    // CONSOLE_BASE_URL: notifications link to this engine's console.
    const engine = spawnGuarded(
      ["dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false", "--var", `CONSOLE_BASE_URL:${base}`, ...persist],
      { output: "inherit", env },
    );
    child = engine;
    lock.update({ engine_pgid: engine.pid });
    const exited = new Promise<number | null>((resolve) => engine.once("exit", (code) => resolve(code)));
    await waitReady(base, engine, 90_000);
    const keys = demoSecrets(readDemoFile());
    // Listening before the rules name them: the first delivery may follow the PUT immediately.
    consumers = await listenDemoConsumers({
      port: demoPort,
      base,
      tenant: "demo",
      consumerSecrets: keys.consumer_secrets,
      sourceSecrets: { wms: keys.secrets.wms, carrier: keys.secrets.carrier },
      outageSeconds,
    });
    const creds = await seedDemo(base, adminToken, keys);
    const rulesVersion = await putDemoOwnership(creds, consumers.url);
    console.log(banner(creds, consumers, rulesVersion, outageSeconds));
    const code = await exited;
    if (!stopping) {
      console.error(`\n  wrangler dev exited on its own (code ${String(code)}); the engine is down. Its state is on disk: npm start again resumes it.`);
      process.exitCode = 1;
    }
  } catch (err) {
    // Failures caused by our own shutdown (a fetch to the engine being stopped) are not news.
    if (!stopping) throw err;
  } finally {
    stop();
    await stopped;
    await consumers?.close();
    lock.release();
  }
}
