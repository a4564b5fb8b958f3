import { describe, expect, it } from "vitest";
import { HOUR_MS, hourKey } from "../../../domain/watchers/baseline";
import {
  activeFor,
  CampaignInput,
  campaignWindow,
  judgeCampaign,
  overlap,
  parseShortfallRef,
  sameCampaign,
  shortfallEnd,
  shortfallRef,
  type Campaign,
} from "../../../domain/watchers/campaign";

const START = Date.parse("2026-11-27T00:00:00Z");
const END = START + 4 * 24 * HOUR_MS;

function campaign(over: Partial<Campaign> = {}): Campaign {
  return { id: "bfcm", name: "Black Friday", starts_at: new Date(START).toISOString(), ends_at: new Date(END).toISOString(), expected: { shop: { per_hour: 120 } }, signed_off_by: "Dana (ops lead)", cancelled_at: null, ...over };
}

/** Deterministic noise (LCG), so a failing case is the same case on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Hourly verified counts at `rate(t)` per hour, ±20 % noise, from `from` until `until`. */
function hours(from: number, until: number, rate: (t: number) => number, seed = 11): Map<string, number> {
  const r = rng(seed);
  const out = new Map<string, number>();
  for (let t = from; t < until; t += HOUR_MS) out.set(hourKey(t), Math.round(rate(t) * (0.8 + 0.4 * r())));
  return out;
}

/** Counts as a counter holds them mid-hour: the current hour only up to `now`. */
function upTo(m: Map<string, number>, now: number, rate: number): Map<string, number> {
  const cur = Math.floor(now / HOUR_MS) * HOUR_MS;
  const out = new Map(m);
  out.set(hourKey(cur), Math.round((rate * (now - cur)) / HOUR_MS));
  return out;
}

describe("campaign input", () => {
  const body = { id: "bfcm-2026", name: "BFCM", starts_at: "2026-11-27T00:00:00Z", ends_at: "2026-12-01T00:00:00Z", expected: { shop: { per_hour: 120 } }, signed_off_by: "Dana" };

  it("accepts a signed-off campaign and compares bodies by meaning, not spelling", () => {
    const a = CampaignInput.parse(body);
    const b = CampaignInput.parse({ ...body, starts_at: "2026-11-27T01:00:00+01:00" });
    expect(sameCampaign(a, b)).toBe(true);
    expect(sameCampaign(a, { ...a, expected: { shop: { per_hour: 121 } } })).toBe(false);
  });

  it.each([
    ["ends before it starts", { ends_at: "2026-11-26T00:00:00Z" }, "ends_at"],
    ["per_hour of zero", { expected: { shop: { per_hour: 0 } } }, "expected"],
    ["negative per_hour", { expected: { shop: { per_hour: -5 } } }, "expected"],
    ["no source", { expected: {} }, "expected"],
    ["a source name no source can have", { expected: { "Shop!": { per_hour: 5 } } }, "expected"],
    ["over 31 days", { ends_at: "2027-01-15T00:00:00Z" }, "ends_at"],
    ["an id with a colon", { id: "a:b" }, "id"],
    ["no sign-off", { signed_off_by: " " }, "signed_off_by"],
  ])("refuses %s", (_what, change, path) => {
    const r = CampaignInput.safeParse({ ...body, ...change });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path[0])).toContain(path);
  });
});

describe("overlap and activity", () => {
  it("refuses a second live campaign for the same source at the same time, not for another source or another time", () => {
    const first = campaign();
    const input = { id: "flash", name: "Flash sale", starts_at: new Date(START + 24 * HOUR_MS).toISOString(), ends_at: new Date(START + 30 * HOUR_MS).toISOString(), expected: { shop: { per_hour: 300 } }, signed_off_by: "Lee" };
    expect(overlap([first], input)).toEqual({ campaign: "bfcm", source: "shop" });
    expect(overlap([first], { ...input, expected: { stripe: { per_hour: 50 } } })).toBeNull();
    expect(overlap([first], { ...input, starts_at: new Date(END).toISOString(), ends_at: new Date(END + HOUR_MS).toISOString() })).toBeNull();
    expect(overlap([{ ...first, cancelled_at: new Date(START).toISOString() }], input)).toBeNull();
  });

  it("is active from starts_at until ends_at, for its sources, unless cancelled", () => {
    const c = campaign();
    expect(activeFor([c], "shop", START - 1)).toBeNull();
    expect(activeFor([c], "shop", START)).toBe(c);
    expect(activeFor([c], "stripe", START)).toBeNull();
    expect(activeFor([c], "shop", END)).toBeNull();
    expect(activeFor([{ ...c, cancelled_at: "x" }], "shop", START + HOUR_MS)).toBeNull();
  });

  it("widens the window until enough deliveries are due, never before the campaign's start hour", () => {
    expect(campaignWindow(campaign(), 120, START + 5 * HOUR_MS + 600_000).from).toBe(START + 4 * HOUR_MS);
    expect(campaignWindow(campaign(), 2, START + 10 * HOUR_MS).spanMs).toBe(4 * HOUR_MS);
    expect(campaignWindow(campaign(), 0.01, START + 40 * HOUR_MS).spanMs).toBe(24 * HOUR_MS);
    expect(campaignWindow(campaign(), 120, START + 20 * 60_000).from).toBe(START);
  });
});

describe("judging a campaign's source on generated hours", () => {
  const c = campaign();

  it("never flags a source delivering what was signed off, at any sweep of the campaign (±20 % noise)", () => {
    const m = hours(START - 48 * HOUR_MS, END, () => 120);
    for (let now = START + 10 * 60_000; now < END; now += 5 * 60_000) {
      const v = judgeCampaign(c, "shop", upTo(m, now, 120), {}, now);
      expect(v.below, `flagged at ${new Date(now).toISOString()}: ${v.seen} of ${v.expected}`).toBe(false);
    }
  });

  it("flags a sender that stops, within an hour, with the expected and seen counts per hour", () => {
    const stop = START + 30 * HOUR_MS + 17 * 60_000;
    const m = hours(START - 48 * HOUR_MS, stop, () => 120);
    m.set(hourKey(stop), Math.round((120 * (stop - Math.floor(stop / HOUR_MS) * HOUR_MS)) / HOUR_MS));
    let detected: number | null = null;
    for (let now = stop; now < stop + 3 * HOUR_MS && detected === null; now += 5 * 60_000) {
      if (judgeCampaign(c, "shop", m, { signature_invalid: 9 }, now).below) detected = now;
    }
    expect(detected).not.toBeNull();
    expect((detected ?? 0) - stop).toBeLessThanOrEqual(HOUR_MS);
    const v = judgeCampaign(c, "shop", m, { signature_invalid: 9 }, detected ?? 0);
    expect(v).toMatchObject({ below: true, fraction: 0.5, expected_per_hour: 120, likely_cause: "rotated_secret", campaign: { id: "bfcm", signed_off_by: "Dana (ops lead)" } });
    expect(v.seen).toBeLessThan(v.expected / 2);
    expect(v.hours.reduce((a, h) => a + h.seen, 0)).toBe(v.seen);
  });

  it("flags a sender at a third of the signed-off volume, but not one at 80 %", () => {
    const now = START + 50 * HOUR_MS + 30 * 60_000;
    expect(judgeCampaign(c, "shop", upTo(hours(START, now, () => 40), now, 40), {}, now).below).toBe(true);
    expect(judgeCampaign(c, "shop", upTo(hours(START, now, () => 96), now, 96), {}, now).below).toBe(false);
  });

  it("judges nothing while too little was due for silence to mean anything", () => {
    const small = campaign({ expected: { shop: { per_hour: 3 } } });
    // 1 h 10 min in, 3.5 due: none arriving proves nothing yet.
    expect(judgeCampaign(small, "shop", new Map(), {}, START + 70 * 60_000).below).toBe(false);
    // 3 h in, 9 due, none seen: a shortfall.
    expect(judgeCampaign(small, "shop", new Map(), {}, START + 3 * HOUR_MS).below).toBe(true);
  });

  it("does not count the hours before the campaign as due", () => {
    const late = campaign({ starts_at: new Date(START + 30 * 60_000).toISOString() });
    const v = judgeCampaign(late, "shop", new Map([[hourKey(START), 60]]), {}, START + 45 * 60_000);
    expect(v.expected).toBe(30);
    expect(v.below).toBe(false);
  });
});

describe("one task per shortfall, closed by recovery or by the campaign's end", () => {
  it("names the campaign and source in the ref", () => {
    expect(parseShortfallRef(shortfallRef("bfcm", "shop", START))).toEqual({ campaign: "bfcm", source: "shop" });
    expect(parseShortfallRef("low:shop:2026-11-27T00")).toBeNull();
  });

  it("ends when the volume is back, the campaign ended, or it was cancelled", () => {
    const c = campaign();
    const mid = START + HOUR_MS;
    expect(shortfallEnd(c, { below: true }, mid)).toBeNull();
    expect(shortfallEnd(c, { below: false }, mid)).toBe("recovered");
    expect(shortfallEnd(c, { below: true }, END)).toBe("campaign_ended");
    expect(shortfallEnd({ ...c, cancelled_at: "x" }, { below: true }, mid)).toBe("campaign_cancelled");
    expect(shortfallEnd(null, null, mid)).toBe("campaign_ended");
  });
});
