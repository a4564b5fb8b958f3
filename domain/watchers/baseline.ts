/**
 * What a sender is expected to send: per hour of the week, the median of the
 * same hour over the last four weeks. Chosen over an EWMA because inbound
 * commerce traffic has a strong daily and weekly cycle: an EWMA trails it (it
 * expects Monday 09:00 to look like Sunday night), so it either alarms every
 * morning or is tuned too loose to see an outage. The hour-of-week slot knows
 * a quiet night is quiet. The median of four ignores one odd week (a past
 * outage, a one-off sale) where a mean would be dragged by it.
 */

export const HOUR_MS = 3_600_000;
export const WEEK_MS = 7 * 24 * HOUR_MS;
export const BASELINE_WEEKS = 4;
/** Below this many expected deliveries in a window, "none arrived" is not evidence of anything (P(0) ≥ 0.1 %). */
export const MIN_EXPECTED = 7;
/** The window a source without `watch.silence_after` is judged over. */
export const DEFAULT_WINDOW_MS = HOUR_MS;
/** Longest window the baseline is summed over: a longer `silence_after` is judged on its last day. */
export const MAX_BASELINE_WINDOW_MS = 24 * HOUR_MS;

/** The counter bucket an instant falls in: the UTC hour, `YYYY-MM-DDTHH`. */
export function hourKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13);
}

export function hourStart(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Each hour bucket the window touches, with the share of it inside the window. */
export function windowHours(from: number, to: number): { start: number; share: number }[] {
  const out: { start: number; share: number }[] = [];
  for (let h = hourStart(from); h < to; h += HOUR_MS) {
    out.push({ start: h, share: (Math.min(to, h + HOUR_MS) - Math.max(from, h)) / HOUR_MS });
  }
  return out;
}

/**
 * Expected verified deliveries in [from, to), or null while the source has
 * less than a week of history (no hour of the week has been seen yet).
 */
export function expectedIn(verified: ReadonlyMap<string, number>, firstSeenAt: number | null, from: number, to: number): { expected: number; weeks: number } | null {
  if (firstSeenAt === null) return null;
  const first = hourStart(firstSeenAt);
  let expected = 0;
  let weeks = BASELINE_WEEKS;
  for (const { start, share } of windowHours(from, to)) {
    const samples: number[] = [];
    for (let k = 1; k <= BASELINE_WEEKS; k++) {
      const past = start - k * WEEK_MS;
      if (past >= first) samples.push(verified.get(hourKey(past)) ?? 0);
    }
    if (samples.length === 0) return null;
    weeks = Math.min(weeks, samples.length);
    expected += share * median(samples);
  }
  return { expected, weeks };
}

/**
 * The fewest deliveries that are still plausible when `expected` were due:
 * below `fraction` (half) of it and more than three standard deviations
 * (Poisson) under it. Zero when so few were expected that none arriving
 * proves nothing.
 */
export function lowerBound(expected: number, fraction = 0.5): number {
  if (expected < MIN_EXPECTED) return 0;
  return Math.max(1, Math.floor(Math.min(expected * fraction, expected - 3 * Math.sqrt(expected))));
}
