import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { demoOwnershipRules, startDemoConsumers, type DemoConsumers } from "./demo-consumers";
import { killGroup, waitReady, wranglerCommand } from "./dev-server";

/**
 * `npm start`: the local engine on an embedded default. Local D1 and Durable
 * Object state live under .wrangler/; the demo tenant's credentials are kept in
 * .wrangler/demo.json so a restart prints the same key instead of a new one.
 */

export const ROOT = path.resolve(import.meta.dirname, "..");
export const DEMO_FILE = path.join(ROOT, ".wrangler", "demo.json");

export interface DemoCredentials {
  base_url: string;
  admin_token: string;
  tenant: string;
  api_key: string;
  secrets: { shop: string; stripe: string; wms: string; carrier: string };
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

/** Reuses what demo.json already holds, so a restart keeps every secret senders and consumers were told. */
export function demoSecrets(previous: StoredDemoCredentials | null): DemoSecrets {
  return {
    secrets: previous?.secrets ?? {
      shop: `shpss_${randomBytes(16).toString("hex")}`,
      stripe: `whsec_${randomBytes(24).toString("base64url")}`,
      wms: standardSecret(),
      carrier: standardSecret(),
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
  const created = await api(base, "POST", "/v1/tenants", adminToken, { id: "demo", name: "Demo merchant" });
  if (created.status === 201) {
    apiKey = ((await created.json()) as { api_key: string }).api_key;
  } else if (created.status === 409) {
    const probe = apiKey ? await api(base, "GET", "/v1/tenants/demo/rejections?limit=1", apiKey) : null;
    if (probe?.status !== 200) {
      const issued = await api(base, "POST", "/v1/tenants/demo/api-keys", adminToken);
      if (issued.status !== 201) throw new Error(`could not issue a demo key: ${issued.status} ${await issued.text()}`);
      apiKey = ((await issued.json()) as { api_key: string }).api_key;
    }
  } else {
    throw new Error(`could not create the demo tenant: ${created.status} ${await created.text()}`);
  }
  const kinds = { shop: "shopify", stripe: "stripe", wms: "standard", carrier: "standard" } as const;
  for (const [name, kind] of Object.entries(kinds) as [keyof typeof kinds, (typeof kinds)[keyof typeof kinds]][]) {
    const res = await api(base, "PUT", `/v1/tenants/demo/sources/${name}`, adminToken, { kind, secret: secrets[name] });
    if (res.status !== 200) throw new Error(`could not register source ${name}: ${res.status} ${await res.text()}`);
  }
  const creds: DemoCredentials = { base_url: base, admin_token: adminToken, tenant: "demo", api_key: apiKey, secrets, consumer_secrets };
  writeDemoFile(creds);
  return creds;
}

/** Points the tenant's routing and shipping steps at the demo consumers (a new rules version each time). */
export async function putDemoOwnership(creds: DemoCredentials, consumersUrl: string): Promise<number> {
  const rules = demoOwnershipRules(consumersUrl, creds.consumer_secrets);
  const res = await api(creds.base_url, "PUT", `/v1/tenants/${creds.tenant}/ownership`, creds.admin_token, rules);
  if (res.status !== 200) throw new Error(`could not set the demo ownership rules: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { version: number }).version;
}

export async function start(): Promise<void> {
  const port = Number(process.env.PORT ?? 8787);
  const demoPort = consumersPort(port);
  const outageSeconds = wmsOutageSeconds();
  const vars = readDevVars();
  const adminToken = vars.ADMIN_TOKEN;
  if (!adminToken) throw new Error(".dev.vars has no ADMIN_TOKEN");

  console.log("applying D1 migrations to the local database…");
  const migrate = spawnSync(...wranglerCommand(["d1", "migrations", "apply", "DB", "--local"]), {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
  });
  if (migrate.status !== 0) throw new Error("wrangler d1 migrations apply failed");

  const base = `http://127.0.0.1:${port}`;
  // Its own process group, so a wrangler that died can be cleaned up with everything it started.
  const launch = (): ChildProcess =>
    spawn(...wranglerCommand(["dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false"]), {
      cwd: ROOT,
      stdio: "inherit",
      detached: true,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
  /** A wrangler that exited on its own may leave its workerd holding the port. */
  const reap = async (c: ChildProcess): Promise<void> => {
    killGroup(c, "SIGKILL");
    await new Promise((r) => setTimeout(r, 1000));
  };
  const exitOf = (c: ChildProcess): Promise<number | null> => new Promise((resolve) => c.once("exit", (code) => resolve(code)));
  let child = launch();
  let exited = exitOf(child);
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    child.kill("SIGINT");
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  let consumers: DemoConsumers | null = null;
  // Start-up retries only when wrangler itself died under it (see the loop below for why it can).
  for (let attempt = 1; ; attempt++) {
    try {
      await waitReady(base, child, 90_000);
      const keys = demoSecrets(readDemoFile());
      // Listening before the rules name them: the first delivery may follow the PUT immediately.
      consumers ??= await startDemoConsumers({
        port: demoPort,
        base,
        tenant: "demo",
        consumerSecrets: keys.consumer_secrets,
        sourceSecrets: { wms: keys.secrets.wms, carrier: keys.secrets.carrier },
        outageSeconds,
      });
      const creds = await seedDemo(base, adminToken, keys);
      const rulesVersion = await putDemoOwnership(creds, consumers.url);
      const outage = outageSeconds > 0 ? `\n                (the WMS answers 503 for its first ${outageSeconds}s, so you see the engine retry)` : "";
      console.log(`
  Handoff is running on ${base}   (OpenAPI: ${base}/openapi.json)

  admin token   ${creds.admin_token}
  demo tenant   ${creds.tenant}
  demo API key  ${creds.api_key}
  sources       shop (shopify)   secret ${creds.secrets.shop}
                stripe (stripe)  secret ${creds.secrets.stripe}
                wms (standard)   secret ${creds.secrets.wms}
                carrier (standard) secret ${creds.secrets.carrier}
  consumers     demo WMS      ${consumers.url}/wms       (routing: fulfil_order, acked)
                demo carrier  ${consumers.url}/carrier   (shipping: request_shipment)
                ownership rules v${rulesVersion} route paid orders to them${outage}

  Send a Shopify order and a Stripe capture, then watch the WMS get it:
    npm run demo:send -- shop orders-create && npm run demo:send -- stripe payment_intent.succeeded
  The engine delivers the paid order to the demo WMS, which acks it and reports it accepted;
  the engine then hands it to the demo carrier, which reports it shipped and, 3s later,
  delivered. Their lines below are prefixed [demo-wms] and [demo-carrier].
  Then look at it:   curl -H "authorization: Bearer ${creds.api_key}" ${base}/v1/tenants/demo/orders/820982911946154508
  (credentials saved in .wrangler/demo.json; Ctrl-C stops the engine and the demo consumers)
`);
      break;
    } catch (err) {
      // The failed call may come a moment before wrangler's exit.
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      if (stopping || child.exitCode === null || attempt >= 3) {
        stop();
        await exited;
        await consumers?.close();
        throw err;
      }
      console.error(`\n  wrangler dev exited during start-up (code ${String(child.exitCode)}; see cloudflare/workers-sdk#15317); starting it again…`);
      await reap(child);
      child = launch();
      exited = exitOf(child);
    }
  }
  // wrangler 4.124 on this stack can exit mid-run when a client drops a connection
  // (cloudflare/workers-sdk#15317: a bare "✘ [ERROR]"). The state is on disk and every order
  // object repairs its alarm when it starts, so bring the engine back on the same port.
  const recent: number[] = [];
  for (;;) {
    const code = await exited;
    if (stopping) break;
    const now = Date.now();
    recent.push(now);
    while ((recent[0] ?? now) < now - 60_000) recent.shift();
    if (recent.length > 3) {
      console.error(`\n  wrangler dev exited ${recent.length} times within a minute (last code ${String(code)}); not restarting it again.`);
      break;
    }
    console.error(`\n  wrangler dev exited (code ${String(code)}) though nobody stopped it (see cloudflare/workers-sdk#15317); restarting it on ${base}…`);
    await reap(child);
    child = launch();
    exited = exitOf(child);
    await waitReady(base, child, 90_000).catch((err: unknown) => console.error(`  ${String(err)}`));
  }
  await consumers.close();
}
