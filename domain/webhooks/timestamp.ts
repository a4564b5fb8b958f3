/** How far a signed timestamp may be from our clock, either way (Stripe's and Standard Webhooks' default). */
export const TOLERANCE_SECONDS = 300;

/** Signed timestamps more than the tolerance away from `now` (either way) are replays or broken clocks. */
export function timestampProblem(timestampSec: number, nowMs: number): string | null {
  const skew = Math.floor(nowMs / 1000) - timestampSec;
  if (skew > TOLERANCE_SECONDS) return `Signed timestamp is ${skew}s old (tolerance ${TOLERANCE_SECONDS}s)`;
  if (-skew > TOLERANCE_SECONDS) return `Signed timestamp is ${-skew}s in the future (tolerance ${TOLERANCE_SECONDS}s)`;
  return null;
}
