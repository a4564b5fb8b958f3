import { afterEach, describe, expect, it } from "vitest";
import { settleAlarms } from "../helpers/http";
import { caseArb } from "./cases";
import { fuzzSender } from "./edge";

// Settling every order a run created takes a while on a loaded machine.
afterEach(settleAlarms, 120_000);

// A fixed seed and a bounded run: every CI run tries the same cases, so a red build reproduces.
const SEED = 0x5e0d06;
const RUNS = 150;

describe("fuzz: EasyPost deliveries through the real Worker", () => {
  it("never answers 5xx; refuses with a documented, recorded 4xx; accepts every valid delivery", async () => {
    const report = await fuzzSender("easypost", caseArb("easypost"), SEED, RUNS);
    expect(report.violations).toEqual([]);
    expect(report.receipts).toBeGreaterThan(0);
    expect(report.rejections).toBeGreaterThan(0);
  }, 240_000);
});
