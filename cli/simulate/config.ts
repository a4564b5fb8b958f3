import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { DEFAULT_ORDERS_PER_HOUR } from "./campaign";
import { parseDuration, parseFaults, type FaultConfig } from "./faults";
import type { ConsumerSecrets } from "./rules";
import { parseStock, type StockSpec } from "./stock";
import { parseSenders, type SenderMix } from "./senders";

/**
 * Flags, environment and credentials for `handoff simulate`. Works against
 * the local demo with no flags at all (.wrangler/demo.json holds everything),
 * and against a staging deployment with a target, a tenant, keys from the
 * environment and a secrets file.
 */

export const SIMULATE_USAGE = `usage: handoff simulate [options]

  --target URL           the engine (default: HANDOFF_URL, else the demo's base_url, else http://127.0.0.1:8787)
  --tenant ID            tenant to drive (default: HANDOFF_TENANT, else demo)
  --orders N             orders in the campaign (default 200)
  --senders LIST         the sender mix, e.g. woocommerce,adyen,easypost,hmac: carts shopify|woocommerce, payments
                         stripe|adyen|hmac (a Lemon Squeezy-style preset), carrier reports standard|easypost; each
                         order draws one of each part's list; a part left out keeps its default (shopify, stripe,
                         standard). The simulator (re)registers the sources it needs beyond the demo's: sim-woo,
                         sim-adyen, sim-easypost, sim-hmac (secrets from the secrets file when it has them)
  --faults SPEC          e.g. drop=0.05,dup=0.2,reorder=0.1,outage=wms:60s,reject=0.02,slow=0.05:3s,silence=shop:90s@20s
                         (default none; see cli/simulate/faults.ts for each fault)
  --silence-after D      watch.silence_after set on each silenced sender for the run (default 30s; put back afterwards)
  --sweep-every D        while a silence fault is set, POST …/watchers/run this often and time the detection (default 10s)
  --time-factor F        compress sender and merchant time F× (default 60: Shopify's 4 h of retries take 4 min)
  --concurrency N        requests in flight at once (default 16)
  --seed N               makes the campaign and every fault decision reproducible (default: random, printed)
  --run-id ID            namespaces order ids (default: fresh per run, printed)
  --orders-per-hour N    campaign arrival rate before compression (default ${DEFAULT_ORDERS_PER_HOUR})
  --settle-timeout D     how long to wait for the engine once the simulator has nothing left to send (default 5m)
  --secrets FILE         JSON with the tenant's source secrets: {"secrets": {"shop","stripe","wms","carrier","crm"?},
                         "consumer_secrets"?: {"wms","carrier"}, "api_key"?, "admin_token"?} — the shape of
                         .wrangler/demo.json, which is used when this is left out
  --sources MAP          source names if not the demo's, e.g. shop=shopify-eu,stripe=stripe,wms=wms,carrier=ups,crm=crm,
                         woo=…,adyen=…,easypost=…,hmac=…
  --api-key KEY          tenant API key for reads (default: HANDOFF_API_KEY, else the secrets file)
  --admin-token TOKEN    to point the ownership rules at the simulator (default: HANDOFF_ADMIN_TOKEN, else the secrets file)
  --consumers-host H     where the simulated WMS and carrier listen (default 127.0.0.1)
  --consumers-port P     (default 0: any free port)
  --consumers-url URL    how the engine reaches them, e.g. a tunnel, when the engine is not on this machine
  --keep-rules           leave the ownership rules pointing at the simulator afterwards
  --report FILE          also write the summary as JSON
  --stock SKU:UNITS      repeatable: before the campaign, report SKU's on hand as UNITS (an inventory.snapshot from
                         the WMS sender), give the orders' line items those SKUs, and report routed / split /
                         backordered orders and the oversells prevented

Exit code 0 only when no order was silently dropped (and, with --stock, no SKU was oversold).
`;

/** Sources the tenant must have (crm is registered when missing). */
const REQUIRED_ROLES = ["shop", "stripe", "wms", "carrier", "crm"] as const;
/** Senders of the mix beyond the demo's first five: registered by the simulator under these names unless --sources renames them. */
export const MIX_ROLES = { woo: "woocommerce", adyen: "adyen", easypost: "easypost", hmac: "hmac" } as const;
export type MixRole = keyof typeof MIX_ROLES;
export const ROLES = [...REQUIRED_ROLES, ...(Object.keys(MIX_ROLES) as MixRole[])] as const;
export type Role = (typeof ROLES)[number];

function isMixRole(role: string): role is MixRole {
  return role in MIX_ROLES;
}

const SecretsFile = z.object({
  base_url: z.string().optional(),
  tenant: z.string().optional(),
  api_key: z.string().optional(),
  admin_token: z.string().optional(),
  secrets: z.record(z.string(), z.string()),
  consumer_secrets: z.object({ wms: z.string(), carrier: z.string() }).optional(),
});
type SecretsFile = z.infer<typeof SecretsFile>;

export interface SimulateConfig {
  target: string;
  tenant: string;
  orders: number;
  senders: SenderMix;
  sendersSpec: string;
  faults: FaultConfig;
  faultSpec: string;
  timeFactor: number;
  concurrency: number;
  seed: number;
  runId: string;
  ordersPerHour: number;
  settleTimeoutMs: number;
  silenceAfterMs: number;
  sweepEveryMs: number;
  apiKey: string | null;
  adminToken: string | null;
  /** Tenant source name and signing secret per role; crm and the mix's senders may have none (then registered with a fresh one). */
  sources: Partial<Record<Role, { name: string; secret: string | null }>>;
  /** The tenant's real consumer secrets, to put its rules back afterwards. */
  originalConsumerSecrets: ConsumerSecrets | null;
  consumersHost: string;
  consumersPort: number;
  consumersUrl: string | null;
  keepRules: boolean;
  reportFile: string | null;
  secretsFrom: string;
  /** --stock: SKUs stocked before the campaign (empty: the orders keep the fixture's SKUs, untracked). */
  stock: StockSpec[];
}

function positiveInt(v: string | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, not '${v}'`);
  return n;
}

function positive(v: string | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${what} must be a positive number, not '${v}'`);
  return n;
}

function readSecrets(file: string): SecretsFile {
  if (!existsSync(file)) throw new Error(`no secrets file at ${file}`);
  const parsed = SecretsFile.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: expected {"secrets": {"shop": …, "stripe": …, "wms": …, "carrier": …}}: ${parsed.error.message}`);
  return parsed.data;
}

function sourceNames(spec: string | undefined): Record<Role, string> {
  const names: Record<Role, string> = { shop: "shop", stripe: "stripe", wms: "wms", carrier: "carrier", crm: "crm", woo: "sim-woo", adyen: "sim-adyen", easypost: "sim-easypost", hmac: "sim-hmac" };
  if (!spec) return names;
  for (const part of spec.split(",")) {
    const [role = "", name = ""] = part.split("=").map((s) => s.trim());
    if (!(ROLES as readonly string[]).includes(role) || name === "") throw new Error(`--sources: '${part}' is not <${ROLES.join("|")}>=<source name>`);
    names[role as Role] = name;
  }
  return names;
}

export function parseSimulateArgs(argv: string[], env: NodeJS.ProcessEnv, demoFile: string): SimulateConfig | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: "string" },
      tenant: { type: "string" },
      orders: { type: "string" },
      senders: { type: "string" },
      faults: { type: "string" },
      "time-factor": { type: "string" },
      concurrency: { type: "string" },
      seed: { type: "string" },
      "run-id": { type: "string" },
      "orders-per-hour": { type: "string" },
      "settle-timeout": { type: "string" },
      "silence-after": { type: "string" },
      "sweep-every": { type: "string" },
      secrets: { type: "string" },
      sources: { type: "string" },
      "api-key": { type: "string" },
      "admin-token": { type: "string" },
      "consumers-host": { type: "string" },
      "consumers-port": { type: "string" },
      "consumers-url": { type: "string" },
      "keep-rules": { type: "boolean" },
      report: { type: "string" },
      stock: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) return "help";
  const secretsPath = values.secrets ?? (existsSync(demoFile) ? demoFile : null);
  if (secretsPath === null) throw new Error("no source secrets: pass --secrets FILE (or run `npm start` once, which writes .wrangler/demo.json)");
  const file = readSecrets(secretsPath);
  const names = sourceNames(values.sources);
  const sources: SimulateConfig["sources"] = {};
  for (const role of ROLES) {
    const secret = file.secrets[names[role]] ?? (isMixRole(role) ? null : file.secrets[role]) ?? null;
    if (secret === null && role !== "crm" && !isMixRole(role)) throw new Error(`${secretsPath} has no secret for source '${names[role]}' (${role})`);
    sources[role] = { name: names[role], secret };
  }
  const seedText = values.seed ?? String(Math.floor(Math.random() * 1_000_000));
  const seed = Number(seedText);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, not '${seedText}'`);
  const consumersPort = Number(values["consumers-port"] ?? "0");
  if (!Number.isInteger(consumersPort) || consumersPort < 0 || consumersPort > 65535) throw new Error("--consumers-port must be a port number");
  const target = (values.target ?? env.HANDOFF_URL ?? file.base_url ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
  return {
    target,
    tenant: values.tenant ?? env.HANDOFF_TENANT ?? file.tenant ?? "demo",
    orders: positiveInt(values.orders, 200, "--orders"),
    senders: parseSenders(values.senders),
    sendersSpec: values.senders ?? "default",
    faults: parseFaults(values.faults),
    faultSpec: values.faults ?? "none",
    timeFactor: positive(values["time-factor"], 60, "--time-factor"),
    concurrency: positiveInt(values.concurrency, 16, "--concurrency"),
    seed,
    runId: values["run-id"] ?? Date.now().toString(36),
    ordersPerHour: positive(values["orders-per-hour"], DEFAULT_ORDERS_PER_HOUR, "--orders-per-hour"),
    settleTimeoutMs: parseDuration(values["settle-timeout"] ?? "5m", "--settle-timeout"),
    silenceAfterMs: parseDuration(values["silence-after"] ?? "30s", "--silence-after"),
    sweepEveryMs: parseDuration(values["sweep-every"] ?? "10s", "--sweep-every"),
    apiKey: values["api-key"] ?? env.HANDOFF_API_KEY ?? file.api_key ?? null,
    adminToken: values["admin-token"] ?? env.HANDOFF_ADMIN_TOKEN ?? file.admin_token ?? null,
    sources,
    originalConsumerSecrets: file.consumer_secrets ?? null,
    consumersHost: values["consumers-host"] ?? "127.0.0.1",
    consumersPort,
    consumersUrl: values["consumers-url"]?.replace(/\/+$/, "") ?? null,
    keepRules: values["keep-rules"] ?? false,
    reportFile: values.report ?? null,
    secretsFrom: secretsPath,
    stock: parseStock(values.stock),
  };
}
