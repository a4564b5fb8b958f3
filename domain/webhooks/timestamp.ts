/** How far a signed timestamp may be from our clock, either way (Stripe's and Standard Webhooks' default). */
export const TOLERANCE_SECONDS = 300;

/** Signed timestamps more than the tolerance away from `now` (either way) are replays or broken clocks. */
export function timestampProblem(timestampSec: number, nowMs: number, tolerance = TOLERANCE_SECONDS): string | null {
  const skew = Math.floor(nowMs / 1000) - timestampSec;
  if (skew > tolerance) return `Signed timestamp is ${skew}s old (tolerance ${tolerance}s)`;
  if (-skew > tolerance) return `Signed timestamp is ${-skew}s in the future (tolerance ${tolerance}s)`;
  return null;
}
