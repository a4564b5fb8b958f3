import { describe, expect, it } from "vitest";
import { campaignSpan, CAMPAIGN_TIMING, FLOW_MIX, generateCampaign, orderIdFor, type Flow } from "../../cli/simulate/campaign";
import { loadTemplates, shopifyOrderBody, stripeBody } from "../../cli/simulate/payloads";
import { Rng, unit } from "../../cli/simulate/rng";
import { compress, maxAttempts, RETRY_SCHEDULES, retryDelayMs, retryWindowMs } from "../../cli/simulate/schedules";
import { shopify } from "../../worker/sources/shopify";
import { stripe } from "../../worker/sources/stripe";
import { headerGetter } from "../../cli/sign";

const HOUR = 3_600_000;

describe("campaign generator", () => {
  it("is deterministic for a seed and run id, and differs for another seed", () => {
    const a = generateCampaign({ orders: 300, seed: 42, runId: "r1" });
    const b = generateCampaign({ orders: 300, seed: 42, runId: "r1" });
    const c = generateCampaign({ orders: 300, seed: 43, runId: "r1" });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c));
  });

  it("gives Shopify-sized ids above 2^53, unique within a run and distinct across runs", () => {
    const orders = generateCampaign({ orders: 2000, seed: 7, runId: "x" });
    const ids = new Set(orders.map((o) => o.id));
    expect(ids.size).toBe(2000);
    for (const id of ids) {
      expect(id).toMatch(/^7\d{18}$/);
      expect(BigInt(id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
      expect(BigInt(id) < 2n ** 63n).toBe(true);
    }
    expect(orderIdFor(7, "x", 0)).not.toBe(orderIdFor(7, "y", 0));
  });

  it("mixes the payment flows in the documented proportions", () => {
    const orders = generateCampaign({ orders: 5000, seed: 1, runId: "mix" });
    for (const [flow, share] of FLOW_MIX) {
      const n = orders.filter((o) => o.flow === flow).length;
      expect(Math.abs(n / orders.length - share)).toBeLessThan(0.03);
    }
  });

  it("plans each flow's events in time order: created, pre-auth, capture, attribution after capture", () => {
    const orders = generateCampaign({ orders: 2000, seed: 3, runId: "t" });
    const kinds = (flow: Flow) => new Set(orders.filter((o) => o.flow === flow).map((o) => o.events.map((e) => e.kind).filter((k) => k !== "standard.attribution.updated").join(" ")));
    expect(kinds("paid_at_checkout")).toEqual(new Set(["shopify.orders/create"]));
    expect(kinds("stripe_capture")).toEqual(new Set(["shopify.orders/create stripe.payment_intent.amount_capturable_updated stripe.payment_intent.succeeded"]));
    expect(kinds("shopify_capture")).toEqual(new Set(["shopify.orders/create shopify.orders/paid"]));
    expect(kinds("never_captured")).toEqual(new Set(["shopify.orders/create stripe.payment_intent.amount_capturable_updated"]));
    for (const o of orders) {
      const ats = o.events.map((e) => e.at);
      expect([...ats].sort((x, y) => x - y)).toEqual(ats);
      expect(o.events[0]?.at).toBe(o.createdAt);
      if (o.flow === "never_captured") expect(o.events.some((e) => e.kind === "standard.attribution.updated")).toBe(false);
      const capture = o.events.find((e) => e.kind === "stripe.payment_intent.succeeded" || e.kind === "shopify.orders/paid");
      if (capture) {
        expect(capture.at - o.createdAt).toBeGreaterThanOrEqual(CAMPAIGN_TIMING.captureAfterCreate[0]);
        expect(capture.at - o.createdAt).toBeLessThanOrEqual(CAMPAIGN_TIMING.captureAfterCreate[1]);
      }
    }
    const attributed = orders.filter((o) => o.flow !== "never_captured" && o.events.some((e) => e.kind === "standard.attribution.updated")).length;
    expect(attributed / orders.filter((o) => o.flow !== "never_captured").length).toBeGreaterThan(0.25);
  });

  it("arrives as a Poisson process at the requested rate", () => {
    const orders = generateCampaign({ orders: 3000, seed: 9, runId: "p", ordersPerHour: 600 });
    const last = orders.at(-1)?.createdAt ?? 0;
    // 2999 gaps of mean 6 s: 5 h ± a few percent.
    expect(last / HOUR).toBeGreaterThan(4.7);
    expect(last / HOUR).toBeLessThan(5.3);
    expect(campaignSpan(orders)).toBeGreaterThanOrEqual(last);
  });
});

describe("sender schedules and compression", () => {
  it("Shopify: 8 retries doubling over exactly 4 hours", () => {
    expect(RETRY_SCHEDULES.shopify).toHaveLength(8);
    expect(maxAttempts("shopify")).toBe(9);
    expect(Math.abs(retryWindowMs("shopify") - 4 * HOUR)).toBeLessThan(10);
    expect(RETRY_SCHEDULES.shopify[0]).toBe(56_471);
    for (let i = 1; i < 8; i++) expect(Math.abs((RETRY_SCHEDULES.shopify[i] ?? 0) - 2 * (RETRY_SCHEDULES.shopify[i - 1] ?? 0))).toBeLessThanOrEqual(1);
  });

  it("Stripe: exponential from 1 h, last attempt at the 3-day mark; Standard Webhooks: Svix's table", () => {
    expect(retryDelayMs("stripe", 1)).toBe(HOUR);
    expect(retryWindowMs("stripe")).toBe(72 * HOUR);
    expect(RETRY_SCHEDULES.standard.map((ms) => ms / 1000)).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
    expect(retryDelayMs("standard", 8)).toBeNull();
  });

  it("compresses sender time by the time factor", () => {
    expect(compress(4 * HOUR, 60)).toBe(4 * 60_000);
    expect(compress(retryWindowMs("stripe"), 720)).toBe(6 * 60_000);
    expect(() => compress(1000, 0)).toThrow();
    expect(() => retryDelayMs("shopify", 0)).toThrow();
  });
});

describe("seeded randomness", () => {
  it("unit() depends on the seed and key only", () => {
    expect(unit(1, "a")).toBe(unit(1, "a"));
    expect(unit(1, "a")).not.toBe(unit(2, "a"));
    const r1 = new Rng(5, "s");
    const r2 = new Rng(5, "s");
    expect([r1.next(), r1.next(), r1.uuid()]).toEqual([r2.next(), r2.next(), r2.uuid()]);
  });
});

describe("payloads from the senders' real fixtures", () => {
  const templates = loadTemplates();
  const [order] = generateCampaign({ orders: 1, seed: 11, runId: "pl" });
  if (!order) throw new Error("no order");

  it("Shopify orders/create keeps every digit of a >2^53 id and maps through the real adapter", () => {
    const body = shopifyOrderBody(templates.shopifyCreate, order, { created: "2026-11-21T10:00:00.000Z" }, "paid");
    expect(body).toContain(`"id": ${order.id},`);
    expect(body).not.toContain("820982911946154508");
    const parsed = shopify.parse({ raw: new TextEncoder().encode(body), headers: headerGetter({ "x-shopify-topic": "orders/create", "x-shopify-webhook-id": "w1" }), source: "shop" });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.orderId).toBe(order.id);
    expect(parsed.events.map((e) => e.type)).toEqual(["order.created", "payment.captured"]);
    expect(parsed.events[0]?.occurred_at).toBe("2026-11-21T10:00:00.000Z");
  });

  it("Stripe capture carries the order id in metadata and its own event id and time", () => {
    const body = stripeBody(templates.stripeSucceeded, order, { deliveryId: "evt_sim1" }, Date.parse("2026-11-21T11:00:00Z"));
    const parsed = stripe.parse({ raw: new TextEncoder().encode(body), headers: headerGetter({}), source: "stripe" });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.orderId).toBe(order.id);
    expect(parsed.idempotencyKey).toBe("stripe:evt_sim1");
    expect(parsed.events[0]?.type).toBe("payment.captured");
    expect(parsed.events[0]?.occurred_at).toBe("2026-11-21T11:00:00.000Z");
  });
});
