import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalEngine, type LocalEngine } from "../../cli/dev-server";
import { simulate } from "../../cli/simulate/run";

/**
 * A small mixed campaign end to end: the real engine under `wrangler dev`, a
 * tenant with the demo's first four senders, and `handoff simulate --senders
 * woocommerce,adyen,easypost,hmac`, which configures the sim-* sources itself,
 * sends every order through WooCommerce, Adyen or the hmac preset and reports
 * its parcels through EasyPost, then checks every order. Nothing may be
 * silently dropped, and the report breaks the results down per sender.
 */

const ADMIN = "sim-senders-admin-token";
const SECRETS_KEY = "q83vEjWTy6G0lN2xv8mS1fJ0lq7uK0V9X2c1m4s3r5o=";
const dir = mkdtempSync(path.join(tmpdir(), "sim-senders-"));
let engine: LocalEngine;
let apiKey = "";

const SOURCES = {
  shop: { kind: "shopify", secret: "shpss_sim_senders_secret" },
  stripe: { kind: "stripe", secret: "whsec_sim_senders_stripe" },
  wms: { kind: "standard", secret: `whsec_${Buffer.alloc(24, 7).toString("base64")}` },
  carrier: { kind: "standard", secret: `whsec_${Buffer.alloc(24, 9).toString("base64")}` },
} as const;

async function admin(method: string, route: string, body: unknown): Promise<Response> {
  const res = await fetch(`${engine.url}${route}`, { method, headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  return res;
}

beforeAll(async () => {
  engine = await startLocalEngine({ vars: { ADMIN_TOKEN: ADMIN, SECRETS_KEY } });
  const created = (await (await admin("POST", "/v1/tenants", { id: "mix", name: "Sender mix", default_owner: "ops@mix.example" })).json()) as { api_key: string };
  apiKey = created.api_key;
  for (const [name, s] of Object.entries(SOURCES)) await admin("PUT", `/v1/tenants/mix/sources/${name}`, s);
}, 290_000);

afterAll(async () => {
  await engine?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("handoff simulate --senders", () => {
  it("runs a mixed campaign end to end: no order silently dropped, every sender's deliveries acknowledged and counted", async () => {
    const secrets = path.join(dir, "secrets.json");
    const report = path.join(dir, "report.json");
    writeFileSync(secrets, JSON.stringify({ base_url: engine.url, tenant: "mix", admin_token: ADMIN, api_key: apiKey, secrets: Object.fromEntries(Object.entries(SOURCES).map(([k, v]) => [k, v.secret])) }));
    const code = await simulate([
      // A fixed run id: senders are drawn per order id, and only some flows pay, so a fresh id could leave
      // the preset without a delivery among 8 orders (seen in CI); this one gives adyen 4 and hmac 2.
      ...["--secrets", secrets, "--senders", "woocommerce,adyen,easypost,hmac", "--orders", "8", "--seed", "18", "--run-id", "senders-1"],
      ...["--time-factor", "3600", "--concurrency", "4", "--settle-timeout", "90s", "--report", report],
    ]);
    const { summary } = JSON.parse(readFileSync(report, "utf8")) as {
      summary: { orders: number; categories: Record<string, number>; dropped: unknown[]; senders: Record<string, { webhooks: number; requests: number; statuses: Record<string, number>; gaveUp: number; orders: Record<string, number> }> };
    };
    expect(summary.dropped).toEqual([]);
    expect(code).toBe(0);
    expect(summary.orders).toBe(8);
    expect(summary.categories.silently_dropped).toBe(0);
    // Every cart is WooCommerce, every parcel reported through EasyPost; payments through Adyen or the preset.
    expect(summary.senders.woo?.orders).toBeDefined();
    expect(Object.values(summary.senders.woo?.orders ?? {}).reduce((a, b) => a + b, 0)).toBe(8);
    expect(summary.senders.shop).toBeUndefined();
    for (const label of ["woo", "adyen", "hmac", "easypost", "wms"]) {
      const s = summary.senders[label];
      expect(s, label).toBeDefined();
      expect(s?.webhooks, label).toBeGreaterThan(0);
      expect(s?.gaveUp, label).toBe(0);
      // Each sender's requests were all acknowledged, first time, by the engine.
      expect(Object.keys(s?.statuses ?? {}).every((k) => k === "202" || k === "200"), `${label}: ${JSON.stringify(s?.statuses)}`).toBe(true);
    }
    expect(summary.categories.terminal).toBeGreaterThan(0);
  }, 280_000);
});
