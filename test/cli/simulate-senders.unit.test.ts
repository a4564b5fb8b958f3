import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { demoPreset } from "../../cli/demo-senders";
import { headerGetter } from "../../cli/sign";
import { generateCampaign, type InboundKind, type PlannedOrder } from "../../cli/simulate/campaign";
import { parseSimulateArgs } from "../../cli/simulate/config";
import type { Job } from "../../cli/simulate/dispatcher";
import { NO_FAULTS, planDeliveries } from "../../cli/simulate/faults";
import { campaignJobs, type JobContext } from "../../cli/simulate/jobs";
import { EASYPOST_ORDER_PATH, mixRoles, sourceBody } from "../../cli/simulate/mix-sources";
import { loadTemplates } from "../../cli/simulate/payloads";
import { easypostBody } from "../../cli/simulate/sender-payloads";
import { batchBy, DEFAULT_MIX, parseSenders } from "../../cli/simulate/senders";
import { deliveriesOf, type SourceAdapter } from "../../worker/sources/types";
import { adapters } from "../../worker/sources";

/**
 * The simulator's sender mix: each order draws its cart, payment and carrier
 * senders; every body the mix sends is signed as its sender signs it and
 * passes that sender's real adapter (verify, then parse) as the engine runs it.
 */

const MIX = parseSenders("woocommerce,shopify,adyen,stripe,hmac,easypost,standard");
const SECRETS = { woo: "woo-secret-12345", adyen: "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056", hmac: "lemon-secret-123", shop: "shpss_sim", stripe: "whsec_sim_stripe", crm: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" };

function ctx(): JobContext {
  const source = (name: string, secret: string) => ({ name, secret });
  return {
    tenant: "acme",
    runStart: Date.parse("2026-12-07T12:00:00Z"),
    timeFactor: 60,
    templates: loadTemplates(),
    sources: { shop: source("shop", SECRETS.shop), stripe: source("stripe", SECRETS.stripe), crm: source("crm", SECRETS.crm), woo: source("sim-woo", SECRETS.woo), adyen: source("sim-adyen", SECRETS.adyen), hmac: source("sim-hmac", SECRETS.hmac) },
    preset: demoPreset(),
  };
}

const KIND_OF_SOURCE: Record<string, string> = { shop: "shopify", stripe: "stripe", crm: "standard", "sim-woo": "woocommerce", "sim-adyen": "adyen", "sim-hmac": "hmac" };
const SECRET_OF_SOURCE: Record<string, string> = { shop: SECRETS.shop, stripe: SECRETS.stripe, crm: SECRETS.crm, "sim-woo": SECRETS.woo, "sim-adyen": SECRETS.adyen, "sim-hmac": SECRETS.hmac };

/** As the engine takes a delivery: the source's adapter verifies the raw bytes, then parses them. */
async function receive(job: Job): Promise<{ orderId: string; types: string[] }[]> {
  const source = decodeURIComponent(job.path.split("/").at(-1) ?? "");
  const kind = KIND_OF_SOURCE[source] ?? "";
  const adapter: SourceAdapter | undefined = (adapters as Record<string, SourceAdapter>)[kind];
  if (adapter === undefined) throw new Error(`no adapter for ${source}`);
  const raw = new TextEncoder().encode(job.body);
  const headers = headerGetter(await job.headers());
  const settings = kind === "hmac" ? demoPreset() : null;
  const verified = await adapter.verify({ raw, headers, secret: SECRET_OF_SOURCE[source] ?? "", now: Date.now(), settings });
  expect(verified, `${job.key} via ${source}`).toEqual({ ok: true });
  const parsed = adapter.parse({ raw, headers, source, settings });
  if (!parsed.ok) throw new Error(`${job.key} via ${source}: ${parsed.code} ${parsed.message}`);
  return deliveriesOf(parsed).map((d) => ({ orderId: d.orderId, types: d.events.map((e) => e.type) }));
}

describe("the sender mix", () => {
  it("parses --senders into parts; a part left out keeps its default, an unknown sender is refused", () => {
    expect(parseSenders(undefined)).toEqual(DEFAULT_MIX);
    expect(parseSenders("woocommerce,adyen,easypost")).toEqual({ cart: ["woocommerce"], payment: ["adyen"], carrier: ["easypost"] });
    expect(parseSenders("hmac")).toEqual({ cart: ["shopify"], payment: ["hmac"], carrier: ["standard"] });
    expect(() => parseSenders("woocommerce,paypal")).toThrow(/unknown sender 'paypal'/);
    expect(mixRoles(parseSenders("woocommerce,adyen,easypost,hmac"))).toEqual(["woo", "adyen", "easypost", "hmac"]);
    expect(mixRoles(DEFAULT_MIX)).toEqual([]);
  });

  it("leaves the default campaign exactly as it was, and draws every sender of a mix", () => {
    const a = generateCampaign({ orders: 200, seed: 5, runId: "m" });
    const b = generateCampaign({ orders: 200, seed: 5, runId: "m", senders: DEFAULT_MIX });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const mixed = generateCampaign({ orders: 400, seed: 5, runId: "m", senders: MIX });
    expect(JSON.stringify(generateCampaign({ orders: 400, seed: 5, runId: "m", senders: MIX }))).toBe(JSON.stringify(mixed));
    for (const part of ["cart", "payment", "carrier"] as const) {
      const seen = new Set(mixed.map((o) => o.senders[part]));
      expect([...seen].sort()).toEqual([...MIX[part]].sort());
    }
  });

  it("plans each order's events with its own senders", () => {
    const orders = generateCampaign({ orders: 600, seed: 8, runId: "k", senders: MIX });
    const kinds = (o: PlannedOrder): InboundKind[] => o.events.map((e) => e.kind).filter((k) => k !== "standard.attribution.updated");
    for (const o of orders) {
      const k = kinds(o);
      expect(k[0]).toBe(o.senders.cart === "shopify" ? "shopify.orders/create" : "woocommerce.order.created");
      if (o.flow === "stripe_capture") {
        const gateway = { stripe: ["stripe.payment_intent.amount_capturable_updated", "stripe.payment_intent.succeeded"], adyen: ["adyen.AUTHORISATION", "adyen.CAPTURE"], hmac: ["hmac.order_created"] }[o.senders.payment];
        expect(k.slice(1)).toEqual(gateway);
      }
      if (o.flow === "shopify_capture") expect(k[1]).toBe(o.senders.cart === "shopify" ? "shopify.orders/paid" : "woocommerce.order.updated");
    }
  });

  it("signs every new sender's body as that sender does, and the engine's adapters take each for its order", async () => {
    const orders = generateCampaign({ orders: 120, seed: 21, runId: "sig", senders: MIX });
    const byId = new Map(orders.map((o) => [o.id, o]));
    const jobs = await campaignJobs(ctx(), planDeliveries(orders, NO_FAULTS, 21), byId);
    const seen = new Set<string>();
    for (const { job } of jobs) {
      const got = await receive(job);
      seen.add(job.label);
      // A job names its orders in the order the engine's receipts come back: the batch's items.
      expect(got.map((d) => d.orderId)).toEqual([job.orderId, ...(job.alsoFor ?? [])]);
      for (const d of got) {
        const order = byId.get(d.orderId);
        if (!order) throw new Error(`unknown order ${d.orderId}`);
        if (job.label === "woo") expect(d.types[0]).toMatch(/^order\.(created|updated)$/);
        if (job.label === "woo" && order.flow === "paid_at_checkout") expect(d.types).toEqual(["order.created", "payment.captured"]);
        if (job.label === "hmac") expect(d.types).toEqual(["payment.captured"]);
        if (job.label === "adyen") expect(d.types).toHaveLength(1);
      }
    }
    expect([...seen].sort()).toEqual(["adyen", "crm", "hmac", "shop", "stripe", "woo"]);
    // Adyen posts the notifications that fall due together as one batch.
    expect(jobs.some(({ job }) => job.label === "adyen" && (job.alsoFor?.length ?? 0) > 0)).toBe(true);
  });

  it("pays the cart's total: a WooCommerce order's Stripe and Adyen amounts are its total, not the Shopify fixture's", async () => {
    const orders = generateCampaign({ orders: 300, seed: 4, runId: "amt", senders: parseSenders("woocommerce,stripe,adyen") });
    const byId = new Map(orders.map((o) => [o.id, o]));
    const jobs = await campaignJobs(ctx(), planDeliveries(orders, NO_FAULTS, 4), byId);
    const payments = jobs.filter(({ job }) => job.label === "stripe" || job.label === "adyen").map(({ job }) => job.body);
    expect(payments.length).toBeGreaterThan(10);
    for (const body of payments) {
      expect(body).not.toContain("19900");
      expect(body).toMatch(/2935/);
    }
  });

  it("batches within the window and up to the maximum, in send order", () => {
    const items = [0, 10, 20, 100, 101, 102, 103].map((at, i) => ({ at, batched: i !== 2 }));
    const groups = batchBy(items, (x) => x.batched, (x) => x.at, 15, 2).map((g) => g.map((x) => x.at));
    expect(groups).toEqual([[0, 10], [20], [100, 101], [102, 103]]);
  });

  it("an EasyPost carrier's tracker names the order where the simulator's source reads it", async () => {
    const easypost = (adapters as Record<string, SourceAdapter>).easypost;
    if (!easypost) throw new Error("no easypost adapter");
    const body = easypostBody(loadTemplates().easypostDelivered, "7123456789012345678", "evt_sim1", "EZSIM1", Date.parse("2026-12-07T12:30:00Z"));
    const parsed = easypost.parse({ raw: new TextEncoder().encode(body), headers: headerGetter({}), source: "sim-easypost", settings: { order_id: EASYPOST_ORDER_PATH } });
    if (!parsed.ok || "batch" in parsed) throw new Error("expected one delivery");
    expect(parsed.orderId).toBe("7123456789012345678");
    expect(parsed.events.map((e) => [e.type, e.occurred_at])).toEqual([["shipment.delivered", "2026-12-07T12:30:00.000Z"]]);
    expect(sourceBody("easypost", "s3cret-key")).toEqual({ kind: "easypost", secret: "s3cret-key", config: { order_id: EASYPOST_ORDER_PATH } });
  });

  it("takes --senders and the mix's source names", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sim-senders-"));
    const file = path.join(dir, "secrets.json");
    const adyenKey = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
    writeFileSync(file, JSON.stringify({ secrets: { shop: "a", stripe: "b", wms: "c", carrier: "d", "sim-adyen": adyenKey, woo: "the demo's, not the simulator's" } }));
    const cfg = parseSimulateArgs(["--senders", "woocommerce,adyen", "--secrets", file, "--sources", "woo=shop-woo"], {}, "/nonexistent");
    rmSync(dir, { recursive: true, force: true });
    if (cfg === "help") throw new Error("not help");
    expect(cfg.senders).toEqual({ cart: ["woocommerce"], payment: ["adyen"], carrier: ["standard"] });
    expect(cfg.sources.woo).toEqual({ name: "shop-woo", secret: null });
    expect(cfg.sources.adyen).toEqual({ name: "sim-adyen", secret: adyenKey });
    expect(() => parseSimulateArgs(["--senders", "paypal", "--secrets", file], {}, "/nonexistent")).toThrow();
  });
});
