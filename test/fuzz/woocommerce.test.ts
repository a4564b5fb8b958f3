import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { settleAlarms } from "../helpers/http";
import { caseArb } from "./cases";
import { fuzzSender } from "./edge";

// Settling every order a run created takes a while on a loaded machine.
afterEach(settleAlarms, 120_000);

// A fixed seed and a bounded run: every CI run tries the same cases, so a red build reproduces.
const SEED = 0x5e0d04;
const RUNS = 150;

describe("fuzz: WooCommerce deliveries through the real Worker", () => {
  it("the run covers product topics: stock snapshots, products answered ignored, and mutated products", () => {
    // The same cases the property below draws first (same seed): products are among them, not only orders.
    const cases = fc.sample(caseArb("woocommerce"), { seed: SEED, numRuns: RUNS });
    const product = cases.filter((c) => /^product\./.test(c.headers["x-wc-webhook-topic"] ?? ""));
    expect(product.filter((c) => c.expect.kind === "accepted").length).toBeGreaterThan(3);
    expect(product.filter((c) => c.expect.kind === "ignored").length).toBeGreaterThan(1);
    expect(product.filter((c) => c.expect.kind === "either" && c.expect.ignorable === true).length).toBeGreaterThan(3);
  });

  it("never answers 5xx; refuses with a documented, recorded 4xx; accepts every valid delivery (a product without managed stock: 200 ignored)", async () => {
    const report = await fuzzSender("woocommerce", caseArb("woocommerce"), SEED, RUNS);
    expect(report.violations).toEqual([]);
    expect(report.receipts).toBeGreaterThan(0);
    expect(report.rejections).toBeGreaterThan(0);
  }, 240_000);
});
