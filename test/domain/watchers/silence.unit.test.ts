import { describe, expect, it } from "vitest";
import { expectedIn, HOUR_MS, hourKey, lowerBound, WEEK_MS } from "../../../domain/watchers/baseline";
import { judgeSilence, outageRef, recovered, type SourceHistory } from "../../../domain/watchers/silence";

// Monday 2026-11-02 00:00 UTC: the generated history starts five weeks before the judged week.
const MONDAY = Date.parse("2026-11-02T00:00:00Z");
const START = MONDAY - 5 * WEEK_MS;

/** Deterministic noise (LCG), so a failing case is the same case on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A shop's weekly cycle: busy weekday days, slower weekends, near-silent nights. */
function rate(t: number): number {
  const d = new Date(t);
  const hour = d.getUTCHours();
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6;
  if (hour < 7 || hour >= 22) return hour === 23 || hour === 6 ? 0.3 : 0;
  return weekend ? 8 : 30;
}

/** Hourly verified counts from START until `until`, ±30 % noise; `gaps` are outages (nothing verified). */
function history(until: number, gaps: [number, number][] = [], seed = 7): SourceHistory {
  const r = rng(seed);
  const verified = new Map<string, number>();
  let last: number | null = null;
  for (let t = START; t < until; t += HOUR_MS) {
    if (gaps.some(([a, b]) => t >= a && t < b)) continue;
    const n = Math.round(rate(t) * (0.7 + 0.6 * r()));
    if (n > 0) {
      verified.set(hourKey(t), n);
      last = Math.min(t + HOUR_MS - 1, until);
    }
  }
  return { verified, rejections: {}, firstSeenAt: START, lastVerifiedAt: last };
}

const watch = (silence: string | null) => ({ silenceAfterMs: silence === null ? null : Number(silence) * HOUR_MS, configuredAt: START });

describe("the hour-of-week baseline learns a weekly cycle", () => {
  it("expects a weekday morning to be busy, a weekend one slower and a night empty", () => {
    const h = history(MONDAY + WEEK_MS);
    const tue10 = MONDAY + 24 * HOUR_MS + 10 * HOUR_MS;
    const sat10 = MONDAY + 5 * 24 * HOUR_MS + 10 * HOUR_MS;
    const wed03 = MONDAY + 2 * 24 * HOUR_MS + 3 * HOUR_MS;
    expect(expectedIn(h.verified, h.firstSeenAt, tue10, tue10 + HOUR_MS)?.expected).toBeGreaterThan(20);
    expect(expectedIn(h.verified, h.firstSeenAt, sat10, sat10 + HOUR_MS)?.expected).toBeLessThan(12);
    expect(expectedIn(h.verified, h.firstSeenAt, wed03, wed03 + 3 * HOUR_MS)?.expected).toBe(0);
  });

  it("has no baseline until a week of history exists", () => {
    const young = { ...history(MONDAY), firstSeenAt: MONDAY - 3 * 24 * HOUR_MS };
    expect(expectedIn(young.verified, young.firstSeenAt, MONDAY, MONDAY + HOUR_MS)).toBeNull();
  });

  it("is not blinded by one past outage week (median, not mean)", () => {
    const wed10 = MONDAY + 2 * 24 * HOUR_MS + 10 * HOUR_MS;
    const h = history(wed10, [[wed10 - WEEK_MS - 5 * HOUR_MS, wed10 - WEEK_MS + 5 * HOUR_MS]]);
    expect(expectedIn(h.verified, h.firstSeenAt, wed10, wed10 + HOUR_MS)?.expected).toBeGreaterThan(20);
  });

  it("puts the lower bound under three sigmas and half, and at zero when nothing much was due", () => {
    expect(lowerBound(3)).toBe(0);
    expect(lowerBound(7)).toBe(1);
    expect(lowerBound(30)).toBe(13);
    expect(lowerBound(1000)).toBe(500);
  });
});

describe("judging a sender's silence", () => {
  it("a normal weekday hour is not silence, with or without silence_after", () => {
    const now = MONDAY + 2 * 24 * HOUR_MS + 14 * HOUR_MS + 20 * 60_000;
    const h = history(now);
    expect(judgeSilence(h, watch(null), now)).toMatchObject({ silent: false, baseline: "hour_of_week_median_4w", baseline_weeks: 4 });
    expect(judgeSilence(h, watch("1"), now).silent).toBe(false);
  });

  it("a quiet night is not an outage even past silence_after", () => {
    const now = MONDAY + 3 * 24 * HOUR_MS + 4 * HOUR_MS; // Thursday 04:00, nothing since 22:00
    const v = judgeSilence(history(now), watch("2"), now);
    expect(v.expected).toBeLessThan(1);
    expect(v).toMatchObject({ silent: false, reason: null });
  });

  it("a weekday outage is seen by silence_after, and by the baseline without one", () => {
    const outage = MONDAY + 24 * HOUR_MS + 9 * HOUR_MS; // Tuesday 09:00
    const now = outage + 2 * HOUR_MS + 10 * 60_000;
    const h = history(now, [[outage, now]]);
    expect(judgeSilence(h, watch("2"), now)).toMatchObject({ silent: true, reason: "no_verified_delivery", seen: 0, likely_cause: "sender_stopped" });
    const v = judgeSilence(h, watch(null), now);
    expect(v).toMatchObject({ silent: true, reason: "below_baseline", seen: 0 });
    expect(v.expected).toBeGreaterThan(v.lower_bound ?? Infinity);
  });

  it("a slow Sunday is not below its own baseline", () => {
    const now = MONDAY + 6 * 24 * HOUR_MS + 15 * HOUR_MS;
    expect(judgeSilence(history(now, [], 99), watch(null), now).silent).toBe(false);
  });

  it("a volume drop to a trickle is below the baseline although deliveries still arrive", () => {
    const now = MONDAY + 24 * HOUR_MS + 15 * HOUR_MS + 30 * 60_000;
    const h = history(now);
    h.verified = new Map(h.verified);
    (h.verified as Map<string, number>).set(hourKey(now - HOUR_MS), 2);
    (h.verified as Map<string, number>).set(hourKey(now), 1);
    expect(judgeSilence(h, watch(null), now)).toMatchObject({ silent: true, reason: "below_baseline", seen: 3 });
  });

  it("names a burst of signature_invalid as a likely rotated secret", () => {
    const outage = MONDAY + 24 * HOUR_MS + 9 * HOUR_MS;
    const now = outage + 3 * HOUR_MS;
    const h = { ...history(now, [[outage, now]]), rejections: { signature_invalid: 40, schema_mismatch: 1 } };
    expect(judgeSilence(h, watch("2"), now)).toMatchObject({ silent: true, likely_cause: "rotated_secret", rejections: { signature_invalid: 40 } });
  });

  it("with no history yet, only silence_after speaks", () => {
    const now = MONDAY + 10 * HOUR_MS;
    const fresh: SourceHistory = { verified: new Map([[hourKey(now - 3 * HOUR_MS), 4]]), rejections: {}, firstSeenAt: now - 3 * HOUR_MS, lastVerifiedAt: now - 3 * HOUR_MS + 60_000 };
    expect(judgeSilence(fresh, watch(null), now)).toMatchObject({ silent: false, baseline: "not_learned" });
    expect(judgeSilence(fresh, watch("2"), now)).toMatchObject({ silent: true, reason: "no_verified_delivery", expected: null });
    const never: SourceHistory = { verified: new Map(), rejections: {}, firstSeenAt: null, lastVerifiedAt: null };
    expect(judgeSilence(never, { silenceAfterMs: 2 * HOUR_MS, configuredAt: now - HOUR_MS }, now).silent).toBe(false);
    expect(judgeSilence(never, { silenceAfterMs: 2 * HOUR_MS, configuredAt: now - 3 * HOUR_MS }, now).silent).toBe(true);
  });

  it("names each outage by the last delivery before it, so repeated sweeps find the same one", () => {
    const last = Date.parse("2026-11-03T08:59:00Z");
    const silent = { reason: "no_verified_delivery" as const };
    expect(outageRef("shop", silent, last, last + 5 * HOUR_MS)).toBe(outageRef("shop", silent, last, last + 6 * HOUR_MS));
    expect(outageRef("shop", silent, null, last)).toBe("silent:shop:never");
    expect(recovered("silent:shop:2026-11-03T08:59:00.000Z", { silent: true }, last)).toBe(false);
    expect(recovered("silent:shop:2026-11-03T08:59:00.000Z", { silent: true }, last + 1)).toBe(true);
    expect(recovered("silent:shop:never", { silent: false }, last)).toBe(true);
  });

  it("a sagging sender's outage ends when the volume is back, not at the next trickle", () => {
    const ref = outageRef("shop", { reason: "below_baseline" }, 0, MONDAY);
    expect(recovered(ref, { silent: true }, MONDAY + 1)).toBe(false);
    expect(recovered(ref, { silent: false }, MONDAY + 1)).toBe(true);
  });
});
