import { describe, expect, it } from "vitest";
import { detectionOf, isoDuration, silenceResults } from "../../cli/simulate/watch";

/** MTTD for the silence fault: which source_silent task answers which silence, and how late. */

const T0 = Date.parse("2026-12-07T12:00:00.000Z");

describe("detectionOf: reading the engine's outage ref", () => {
  it("a stopped sender names its last verified receipt", () => {
    expect(detectionOf({ task_id: "tk_1", owner: "ops@x.example", opened_at: "2026-12-07T12:00:41.000Z", ref: "silent:shop:2026-12-07T11:59:58.250Z" })).toEqual({
      taskId: "tk_1",
      source: "shop",
      owner: "ops@x.example",
      openedAt: T0 + 41_000,
      lastVerifiedAt: T0 - 1_750,
    });
  });

  it("a sender never heard from, or one under its baseline, has no last receipt; other refs are not detections", () => {
    expect(detectionOf({ task_id: "tk_2", owner: "o", opened_at: "2026-12-07T12:00:00.000Z", ref: "silent:crm:never" })?.lastVerifiedAt).toBeNull();
    expect(detectionOf({ task_id: "tk_3", owner: "o", opened_at: "2026-12-07T12:00:00.000Z", ref: "low:stripe:2026-12-07T12" })?.source).toBe("stripe");
    expect(detectionOf({ task_id: "tk_4", owner: "o", opened_at: "2026-12-07T12:00:00.000Z", ref: "routing:breach" })).toBeNull();
    expect(detectionOf({ task_id: "tk_5", owner: "o", opened_at: "", ref: "silent:shop:never" })).toBeNull();
  });
});

describe("silenceResults", () => {
  const windows = [
    { role: "shop" as const, from: T0, to: T0 + 90_000 },
    { role: "stripe" as const, from: T0, to: T0 + 90_000 },
  ];
  const name = (role: string) => (role === "shop" ? "shopify-eu" : role);
  const timing = { silenceAfterMs: 30_000, sweepEveryMs: 10_000 };

  it("pairs each silence with the first task for its sender opened after it began", () => {
    const before = { taskId: "tk_old", source: "shopify-eu", owner: "a", openedAt: T0 - 5_000, lastVerifiedAt: T0 - 60_000 };
    const first = { taskId: "tk_s", source: "shopify-eu", owner: "ops@x.example", openedAt: T0 + 36_000, lastVerifiedAt: T0 - 2_000 };
    const later = { taskId: "tk_s2", source: "shopify-eu", owner: "b", openedAt: T0 + 80_000, lastVerifiedAt: T0 + 40_000 };
    const [shop, stripe] = silenceResults(windows, name, [later, before, first], timing);
    expect(shop).toMatchObject({ source: "shopify-eu", detected: true, task_id: "tk_s", owner: "ops@x.example", mttd_ms: 36_000, since_last_receipt_ms: 38_000, goal_ms: 40_000, within_goal: true });
    expect(stripe).toMatchObject({ source: "stripe", detected: false, mttd_ms: null, within_goal: false });
  });

  it("a detection past silence_after + one sweep is reported as over the goal", () => {
    const [shop] = silenceResults(windows.slice(0, 1), name, [{ taskId: "tk", source: "shopify-eu", owner: "o", openedAt: T0 + 55_000, lastVerifiedAt: null }], timing);
    expect(shop).toMatchObject({ mttd_ms: 55_000, within_goal: false, since_last_receipt_ms: null, last_verified_receipt_at: null });
  });

  it("the goal is judged from the last verified receipt: a delivery in flight at the fault start still landed", () => {
    const [shop] = silenceResults(windows.slice(0, 1), name, [{ taskId: "tk", source: "shopify-eu", owner: "o", openedAt: T0 + 42_000, lastVerifiedAt: T0 + 3_000 }], timing);
    expect(shop).toMatchObject({ mttd_ms: 42_000, since_last_receipt_ms: 39_000, within_goal: true });
  });
});

describe("isoDuration", () => {
  it("writes what watch.silence_after accepts", () => {
    expect(isoDuration(30_000)).toBe("PT30S");
    expect(isoDuration(1_500)).toBe("PT1.500S");
  });
});
