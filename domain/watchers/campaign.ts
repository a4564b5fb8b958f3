import { z } from "zod";
import { hourKey, hourStart, HOUR_MS, lowerBound, MIN_EXPECTED } from "./baseline";
import { likelyCause, type LikelyCause } from "./silence";

/**
 * Campaign pre-flight: before a launch, an owner signs off on the inbound
 * volume each sender should bring per hour. While the campaign runs, that
 * expectation replaces the learned baseline for those senders (a sale is
 * exactly when last month's hour-of-week median is wrong), and volume below
 * it opens `volume_below_expected` with the campaign as evidence.
 */

/** Campaign ids appear in task refs (`campaign:<id>:<source>:…`), so no ':' in them. */
export const CampaignId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "1-64 chars: letters, digits and . _ - (not starting with . _ -)")
  .meta({ example: "bfcm-2026" });

const SourceKey = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a source name: 1-64 chars, lower-case letters, digits, '_' and '-'");
const Instant = z.iso.datetime({ offset: true }).meta({ example: "2026-11-27T00:00:00Z" });

/** Longest campaign accepted: a pre-flight sign-off is for a launch, not a standing expectation (that is what the baseline learns). */
export const MAX_CAMPAIGN_MS = 31 * 24 * HOUR_MS;

export const CampaignInput = z
  .strictObject({
    id: CampaignId,
    name: z.string().trim().min(1).max(200),
    starts_at: Instant,
    ends_at: Instant,
    expected: z
      .record(SourceKey, z.strictObject({ per_hour: z.number().positive().max(1_000_000).describe("Verified deliveries per hour the owner signed off on") }))
      .refine((e) => Object.keys(e).length > 0, "name at least one source")
      .refine((e) => Object.keys(e).length <= 20, "at most 20 sources"),
    signed_off_by: z.string().trim().min(1).max(200).describe("Who signed off on these volumes (a person, not a key)"),
  })
  .meta({ id: "CampaignInput" })
  .superRefine((c, ctx) => {
    const span = Date.parse(c.ends_at) - Date.parse(c.starts_at);
    if (!(span > 0)) ctx.addIssue({ code: "custom", path: ["ends_at"], message: "ends_at must be after starts_at" });
    else if (span > MAX_CAMPAIGN_MS) ctx.addIssue({ code: "custom", path: ["ends_at"], message: "a campaign lasts at most 31 days" });
  });
export type CampaignInput = z.infer<typeof CampaignInput>;

/** A stored campaign, as the watcher and the routes see it. */
export interface Campaign {
  id: string;
  name: string;
  starts_at: string;
  ends_at: string;
  expected: Record<string, { per_hour: number }>;
  signed_off_by: string;
  cancelled_at: string | null;
}

/** The input with instants in one spelling, so "the same body" means the same campaign however the offset was written. */
export function normalized(c: CampaignInput): CampaignInput {
  const expected = Object.fromEntries(Object.entries(c.expected).sort(([a], [b]) => a.localeCompare(b)));
  return { ...c, starts_at: new Date(c.starts_at).toISOString(), ends_at: new Date(c.ends_at).toISOString(), expected };
}

export function sameCampaign(a: CampaignInput, b: CampaignInput): boolean {
  return JSON.stringify(normalized(a)) === JSON.stringify(normalized(b));
}

/**
 * Two live campaigns may not expect volume from the same source at the same
 * time: each is a signed-off total for that sender, and which of two
 * contradicting totals replaces the baseline would be a guess. The first
 * conflict found, or null. Cancelled campaigns do not count.
 */
export function overlap(others: readonly Campaign[], c: CampaignInput): { campaign: string; source: string } | null {
  const [from, to] = [Date.parse(c.starts_at), Date.parse(c.ends_at)];
  for (const o of others) {
    if (o.id === c.id || o.cancelled_at !== null) continue;
    if (!(Date.parse(o.starts_at) < to && from < Date.parse(o.ends_at))) continue;
    const source = Object.keys(c.expected).find((s) => Object.hasOwn(o.expected, s));
    if (source !== undefined) return { campaign: o.id, source };
  }
  return null;
}

/** The live campaign expecting volume from `source` at `now`, if any (overlap() keeps it to one). */
export function activeFor(campaigns: readonly Campaign[], source: string, now: number): Campaign | null {
  return campaigns.find((c) => c.cancelled_at === null && Date.parse(c.starts_at) <= now && now < Date.parse(c.ends_at) && Object.hasOwn(c.expected, source)) ?? null;
}

/** Volume below this share of the signed-off expectation is a shortfall (the learned baseline's rule too: see lowerBound). */
export const CAMPAIGN_FRACTION = 0.5;
/** The judged window: the last hour, widened (up to a day) until at least MIN_EXPECTED deliveries were due. */
export const CAMPAIGN_WINDOW_MAX_MS = 24 * HOUR_MS;

/**
 * The window a campaign's source is judged over at `now`: whole counter hours
 * (the counters are hourly), from the hour `span` ago but never before the
 * campaign's own start hour.
 */
export function campaignWindow(c: Pick<Campaign, "starts_at">, perHour: number, now: number): { from: number; to: number; spanMs: number } {
  const spanMs = Math.min(CAMPAIGN_WINDOW_MAX_MS, Math.max(HOUR_MS, Math.ceil(MIN_EXPECTED / perHour) * HOUR_MS));
  const from = Math.max(hourStart(now - spanMs), hourStart(Date.parse(c.starts_at)));
  return { from, to: now, spanMs };
}

export interface CampaignVerdict {
  below: boolean;
  campaign: { id: string; name: string; signed_off_by: string; starts_at: string; ends_at: string };
  source: string;
  window: { from: string; to: string };
  fraction: number;
  /** Deliveries due in the window at the signed-off rate (only from the campaign's start), and the floor under which it is a shortfall. */
  expected: number;
  lower_bound: number;
  seen: number;
  expected_per_hour: number;
  seen_per_hour: number;
  /** Hour by hour: what was due and what verified. */
  hours: { hour: string; expected: number; seen: number }[];
  rejections: Record<string, number>;
  likely_cause: LikelyCause;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * Is this source short of what its campaign expects? Seen counts whole hours
 * from the window's start (a campaign starting mid-hour also counts that
 * hour's earlier deliveries: this errs towards not alarming); expected counts
 * only the campaign's part. Below CAMPAIGN_FRACTION of expected — and, when so
 * little was due that chance alone could do it, more than 3 σ below — is a
 * shortfall. Under MIN_EXPECTED due, nothing is judged yet.
 */
export function judgeCampaign(
  c: Campaign,
  source: string,
  verified: ReadonlyMap<string, number>,
  rejections: Readonly<Record<string, number>>,
  now: number,
): CampaignVerdict {
  const perHour = c.expected[source]?.per_hour ?? 0;
  const { from, to } = campaignWindow(c, perHour, now);
  const start = Date.parse(c.starts_at);
  const hours: CampaignVerdict["hours"] = [];
  let seen = 0;
  let expected = 0;
  for (let h = from; h < to; h += HOUR_MS) {
    const due = (perHour * (Math.min(to, h + HOUR_MS) - Math.max(start, h))) / HOUR_MS;
    const n = verified.get(hourKey(h)) ?? 0;
    hours.push({ hour: hourKey(h), expected: round2(Math.max(0, due)), seen: n });
    seen += n;
    expected += Math.max(0, due);
  }
  const lower = lowerBound(expected, CAMPAIGN_FRACTION);
  const elapsedH = Math.max(to - Math.max(from, start), 1) / HOUR_MS;
  return {
    below: expected >= MIN_EXPECTED && seen < lower,
    campaign: { id: c.id, name: c.name, signed_off_by: c.signed_off_by, starts_at: c.starts_at, ends_at: c.ends_at },
    source,
    window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
    fraction: CAMPAIGN_FRACTION,
    expected: round2(expected),
    lower_bound: lower,
    seen,
    expected_per_hour: perHour,
    seen_per_hour: round2(seen / elapsedH),
    hours,
    rejections: { ...rejections },
    likely_cause: likelyCause(rejections),
  };
}

/** One task per campaign, source and shortfall: named by when it was first seen, so a second shortfall after a recovery is a new task. */
export function shortfallRef(campaign: string, source: string, now: number): string {
  return `campaign:${campaign}:${source}:${new Date(now).toISOString()}`;
}

export function parseShortfallRef(ref: string): { campaign: string; source: string } | null {
  const m = /^campaign:([^:]+):([^:]+):/.exec(ref);
  return m?.[1] !== undefined && m[2] !== undefined ? { campaign: m[1], source: m[2] } : null;
}

/**
 * Why an open shortfall ends, or null while it lasts: the volume is back (the
 * verdict is no longer below), or the campaign is over — ended, cancelled, or
 * gone — and with it the expectation the shortfall was measured against.
 */
export function shortfallEnd(c: Campaign | null, verdict: Pick<CampaignVerdict, "below"> | null, now: number): "recovered" | "campaign_ended" | "campaign_cancelled" | null {
  if (c === null) return "campaign_ended";
  if (c.cancelled_at !== null) return "campaign_cancelled";
  if (now >= Date.parse(c.ends_at)) return "campaign_ended";
  if (verdict !== null && !verdict.below) return "recovered";
  return null;
}
