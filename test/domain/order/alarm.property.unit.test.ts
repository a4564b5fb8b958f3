import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextAlarm, type AlarmInputs } from "../../../domain/order/alarm";
import { DRAIN_BACKSTOP_HORIZON_MS, DRAIN_DELAY_MS } from "../../../domain/order/commit";

const NOW = 1_800_000_000_000;
const around = fc.integer({ min: NOW - 2 * DRAIN_BACKSTOP_HORIZON_MS, max: NOW + 3 * DRAIN_BACKSTOP_HORIZON_MS });
const inputs: fc.Arbitrary<AlarmInputs> = fc.record({
  now: fc.constant(NOW),
  nextTimer: fc.option(fc.oneof(around, fc.constant(0)), { nil: null }),
  drainPending: fc.boolean(),
  clocksUnknown: fc.boolean(),
  current: fc.option(around, { nil: null }),
});

/** The alarm storage holds once the action is carried out. */
function after(i: AlarmInputs): number | null {
  const a = nextAlarm(i);
  return a.type === "keep" ? i.current : a.type === "delete" ? null : a.at;
}

describe("the order object's one alarm", () => {
  it("never later than the earliest clock, and within the horizon while the outbox holds something", () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const alarm = after(i);
        if (i.nextTimer !== null) {
          expect(alarm).not.toBeNull();
          expect(alarm).toBeLessThanOrEqual(Math.max(i.nextTimer, 1));
        }
        // A drain a restart cut short is picked up by an alarm no later than the horizon (the lag D1 may have).
        if (i.drainPending) {
          expect(alarm).not.toBeNull();
          expect(alarm).toBeLessThanOrEqual(NOW + DRAIN_BACKSTOP_HORIZON_MS);
        }
        // Clocks that could not be derived: an alarm comes back within the horizon to read them again.
        if (i.clocksUnknown) {
          expect(alarm).not.toBeNull();
          expect(alarm).toBeLessThanOrEqual(NOW + DRAIN_BACKSTOP_HORIZON_MS);
        }
        if (i.nextTimer === null && !i.drainPending && !i.clocksUnknown) expect(alarm).toBeNull();
        // Nothing pending, every clock known: exactly at the earliest clock, no earlier leftover.
        if (!i.drainPending && !i.clocksUnknown && i.nextTimer !== null) expect(alarm).toBe(Math.max(i.nextTimer, 1));
      }),
      { numRuns: 2000 },
    );
  });

  it("writes only when the alarm must change, and an unchanged object writes nothing the second time", () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const a = nextAlarm(i);
        if (a.type === "set") expect(a.at).not.toBe(i.current);
        if (a.type === "delete") expect(i.current).not.toBeNull();
        // Carried out, the same inputs ask for nothing more.
        expect(nextAlarm({ ...i, current: after(i) })).toEqual({ type: "keep" });
      }),
      { numRuns: 2000 },
    );
  });

  it("unknown clocks: armed at the horizon, or at a stored timer before it; an alarm still ahead and sooner is kept, one that has fired is moved on", () => {
    const base = { now: NOW, drainPending: false, clocksUnknown: true };
    expect(nextAlarm({ ...base, nextTimer: null, current: null })).toEqual({ type: "set", at: NOW + DRAIN_BACKSTOP_HORIZON_MS });
    expect(nextAlarm({ ...base, nextTimer: NOW + 1000, current: null })).toEqual({ type: "set", at: NOW + 1000 });
    expect(nextAlarm({ ...base, nextTimer: NOW + 2 * DRAIN_BACKSTOP_HORIZON_MS, current: null })).toEqual({ type: "set", at: NOW + DRAIN_BACKSTOP_HORIZON_MS });
    // Each request that re-arms does not push the retry further out.
    expect(nextAlarm({ ...base, nextTimer: null, current: NOW + 60_000 })).toEqual({ type: "keep" });
    // The retry itself fired (its time has passed): the next one is a horizon on.
    expect(nextAlarm({ ...base, nextTimer: null, current: NOW })).toEqual({ type: "set", at: NOW + DRAIN_BACKSTOP_HORIZON_MS });
  });

  it("a clock within the horizon stands in for the drain's backstop; a far clock or none gets it", () => {
    const near = NOW + DRAIN_BACKSTOP_HORIZON_MS - 1;
    expect(nextAlarm({ now: NOW, nextTimer: near, drainPending: true, clocksUnknown: false, current: near })).toEqual({ type: "keep" });
    expect(nextAlarm({ now: NOW, nextTimer: near, drainPending: true, clocksUnknown: false, current: null })).toEqual({ type: "set", at: near });
    const far = NOW + DRAIN_BACKSTOP_HORIZON_MS + 1;
    expect(nextAlarm({ now: NOW, nextTimer: far, drainPending: true, clocksUnknown: false, current: far })).toEqual({ type: "set", at: NOW + DRAIN_DELAY_MS });
    expect(nextAlarm({ now: NOW, nextTimer: null, drainPending: true, clocksUnknown: false, current: null })).toEqual({ type: "set", at: NOW + DRAIN_DELAY_MS });
    // Drained: the backstop goes back to the far clock.
    expect(nextAlarm({ now: NOW, nextTimer: far, drainPending: false, clocksUnknown: false, current: NOW + DRAIN_DELAY_MS })).toEqual({ type: "set", at: far });
  });
});
