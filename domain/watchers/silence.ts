import { DEFAULT_WINDOW_MS, expectedIn, hourKey, hourStart, HOUR_MS, lowerBound, MAX_BASELINE_WINDOW_MS } from "./baseline";

export interface SourceHistory {
  /** Verified receipts per hour bucket (hourKey), at least over the window and the same hours of the last 4 weeks. */
  verified: ReadonlyMap<string, number>;
  /** Refusals per code inside the judged window. */
  rejections: Readonly<Record<string, number>>;
  /** The first hour this source was counted in; null if it never sent. */
  firstSeenAt: number | null;
  lastVerifiedAt: number | null;
}

export interface SourceWatch {
  /** `watch.silence_after`, if the tenant set one. */
  silenceAfterMs: number | null;
  /** When the source was configured: a source that never sent is judged from then. */
  configuredAt: number;
}

export type LikelyCause = "rotated_secret" | "refused_deliveries" | "sender_stopped";

export interface SilenceVerdict {
  silent: boolean;
  reason: "no_verified_delivery" | "below_baseline" | null;
  window: { from: string; to: string };
  /** Learned expectation for the window, or null while the source has under a week of history. */
  expected: number | null;
  lower_bound: number | null;
  seen: number;
  baseline: "hour_of_week_median_4w" | "not_learned";
  baseline_weeks: number;
  rejections: Record<string, number>;
  likely_cause: LikelyCause;
}

/** A burst of signature failures while nothing verifies is a sender signing with a secret we do not have. */
export function likelyCause(rejections: Readonly<Record<string, number>>): LikelyCause {
  const total = Object.values(rejections).reduce((a, b) => a + b, 0);
  const sig = rejections.signature_invalid ?? 0;
  if (sig >= 3 && sig * 2 >= total) return "rotated_secret";
  return total > 0 ? "refused_deliveries" : "sender_stopped";
}

/**
 * Is this sender silent? Two ways:
 * - no verified delivery for `silence_after` (only if the tenant set one),
 *   while the baseline expected at least one in that time (or has not been
 *   learned yet): a quiet night is not an outage;
 * - fewer verified deliveries in the window than the baseline's lower bound
 *   (any source with a learned baseline; the window is `silence_after`, or an hour).
 */
export function judgeSilence(h: SourceHistory, watch: SourceWatch, now: number): SilenceVerdict {
  const windowMs = Math.min(watch.silenceAfterMs ?? DEFAULT_WINDOW_MS, MAX_BASELINE_WINDOW_MS);
  const from = now - windowMs;
  let seen = 0;
  if (h.lastVerifiedAt !== null && h.lastVerifiedAt >= from) {
    for (let t = hourStart(from); t < now; t += HOUR_MS) seen += h.verified.get(hourKey(t)) ?? 0;
  }
  const base = expectedIn(h.verified, h.firstSeenAt, from, now);
  const expected = base === null ? null : base.expected;
  const lower = expected === null ? null : lowerBound(expected);
  const quietSince = h.lastVerifiedAt ?? watch.configuredAt;
  const noDelivery = watch.silenceAfterMs !== null && now - quietSince >= watch.silenceAfterMs && (expected === null || expected >= 1);
  const below = lower !== null && seen < lower;
  const reason = noDelivery ? "no_verified_delivery" : below ? "below_baseline" : null;
  return {
    silent: reason !== null,
    reason,
    window: { from: new Date(from).toISOString(), to: new Date(now).toISOString() },
    expected: expected === null ? null : Math.round(expected * 100) / 100,
    lower_bound: lower,
    seen,
    baseline: base === null ? "not_learned" : "hour_of_week_median_4w",
    baseline_weeks: base?.weeks ?? 0,
    rejections: { ...h.rejections },
    likely_cause: likelyCause(h.rejections),
  };
}

/**
 * One task per outage. A sender that stopped is named by its last verified
 * delivery before the outage (the same on every sweep until it sends again);
 * a sender whose volume sagged, by the hour it was first seen low (it ends
 * when the volume is back, not at the next trickle).
 */
export function outageRef(source: string, v: Pick<SilenceVerdict, "reason">, lastVerifiedAt: number | null, now: number): string {
  if (v.reason === "below_baseline") return `low:${source}:${hourKey(now)}`;
  return `silent:${source}:${lastVerifiedAt === null ? "never" : new Date(lastVerifiedAt).toISOString()}`;
}

/** Has the outage an open task names ended? A stopped sender recovers at its next verified delivery, a sagging one when its volume is back. */
export function recovered(ref: string, v: Pick<SilenceVerdict, "silent">, lastVerifiedAt: number | null): boolean {
  const [kind, , ...rest] = ref.split(":");
  if (kind === "low") return !v.silent;
  const last = rest.join(":");
  if (lastVerifiedAt === null) return false;
  return last === "never" || lastVerifiedAt > Date.parse(last);
}
