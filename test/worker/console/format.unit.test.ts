import { describe, expect, it } from "vitest";
import { durationWords, field, milestonesInOrder } from "../../../worker/console/format";

describe("console display helpers (issue 11)", () => {
  it("milestones read earliest first, whatever order they were stored in", () => {
    // A capture that happened before the order event arrived: stored by kind, shown by time.
    const stored = { created_at: "2026-11-20T15:00:05Z", captured_at: "2026-11-20T15:00:01Z", routed_at: "2026-11-20T15:00:09Z", shipped_at: null };
    expect(milestonesInOrder(stored)).toEqual([
      ["captured", "2026-11-20T15:00:01Z"],
      ["created", "2026-11-20T15:00:05Z"],
      ["routed", "2026-11-20T15:00:09Z"],
    ]);
    // An offset is a time too, and an unreadable value goes last rather than scrambling the sort.
    expect(milestonesInOrder({ a_at: "garbage", b_at: "2026-11-20T10:00:00-05:00", c_at: "2026-11-20T14:00:00Z" }).map(([k]) => k)).toEqual(["c", "b", "a"]);
  });

  it("durations in labels are spelled out: CSS upper-cases headings, and '15M' is not fifteen minutes", () => {
    expect(durationWords(15 * 60_000)).toBe("15 minutes");
    expect(durationWords(60_000)).toBe("1 minute");
    expect(durationWords(2 * 3_600_000)).toBe("2 hours");
    expect(durationWords(90 * 60_000)).toBe("90 minutes");
    expect(durationWords(86_400_000)).toBe("1 day");
  });

  it("a *_ms field reads as a duration under its name without the unit suffix", () => {
    expect(field("lag_ms", 1_433_288_833)).toEqual(["lag", "16d 14h"]);
    expect(field("latency_ms", 850)).toEqual(["latency", "850ms"]);
    expect(field("latency_ms", 4_200)).toEqual(["latency", "4s"]);
    expect(field("lag_ms", -3_000)).toEqual(["lag", "−3s"]);
    expect(field("lag_ms", "12")).toEqual(["lag ms", "12"]);
    expect(field("state_to", "paid")).toEqual(["state to", "paid"]);
  });
});
