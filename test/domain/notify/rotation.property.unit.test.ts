import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveOnCall, type RotationSchedule } from "../../../domain/notify/rotation";

const T0 = Date.parse("2026-12-07T09:00:00.000Z");
const DAY = 86_400_000;

const member = fc.constantFrom("ana", "ben", "chi", "dev", "eve");
const schedule = fc.record({
  members: fc.array(member, { minLength: 1, maxLength: 5 }),
  shift_ms: fc.integer({ min: 60_000, max: 14 * DAY }),
  starts_at_ms: fc.integer({ min: T0 - 365 * DAY, max: T0 + 365 * DAY }),
  overrides: fc.constant([] as RotationSchedule["overrides"]),
});
const moment = fc.integer({ min: T0 - 2 * 365 * DAY, max: T0 + 2 * 365 * DAY });

describe("resolveOnCall (who is on call at a moment)", () => {
  it("k shifts after the start, member k mod n is on call, for the whole shift", () => {
    fc.assert(
      fc.property(schedule, fc.integer({ min: -1000, max: 1000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (s, k, frac) => {
        const at = s.starts_at_ms + k * s.shift_ms + Math.floor(frac * s.shift_ms);
        const n = s.members.length;
        const r = resolveOnCall(s, at);
        expect(r).toEqual({ contact_id: s.members[((k % n) + n) % n], via: "shift", shift: k, member_index: ((k % n) + n) % n });
      }),
    );
  });

  it("the schedule repeats every n shifts and always names a member", () => {
    fc.assert(
      fc.property(schedule, moment, (s, at) => {
        const a = resolveOnCall(s, at);
        const b = resolveOnCall(s, at + s.members.length * s.shift_ms);
        expect(a.contact_id).toBe(b.contact_id);
        expect(s.members).toContain(a.contact_id);
      }),
    );
  });

  it("an override names its contact exactly inside [from, to), and the shift outside it", () => {
    fc.assert(
      fc.property(schedule, moment, fc.integer({ min: 1, max: 10 * DAY }), fc.integer({ min: -20 * DAY, max: 20 * DAY }), (s, from, len, probe) => {
        const withOverride: RotationSchedule = { ...s, overrides: [{ contact_id: "stand-in", from_ms: from, to_ms: from + len }] };
        const at = from + probe;
        const r = resolveOnCall(withOverride, at);
        if (at >= from && at < from + len) expect(r).toEqual({ contact_id: "stand-in", via: "override", override_index: 0 });
        else expect(r).toEqual(resolveOnCall(s, at));
      }),
    );
  });

  it("overlapping overrides: the one that started last wins (a night's swap inside a week's)", () => {
    const s: RotationSchedule = {
      members: ["ana", "ben"],
      shift_ms: 7 * DAY,
      starts_at_ms: T0,
      overrides: [
        { contact_id: "week-cover", from_ms: T0, to_ms: T0 + 7 * DAY },
        { contact_id: "night-cover", from_ms: T0 + 2 * DAY, to_ms: T0 + 2 * DAY + 8 * 3_600_000 },
      ],
    };
    expect(resolveOnCall(s, T0 + DAY).contact_id).toBe("week-cover");
    expect(resolveOnCall(s, T0 + 2 * DAY + 3_600_000).contact_id).toBe("night-cover");
    expect(resolveOnCall(s, T0 + 3 * DAY).contact_id).toBe("week-cover");
    expect(resolveOnCall(s, T0 + 7 * DAY).contact_id).toBe("ben");
    // Before the start the turns run backwards: the turn before the first is the last member's.
    expect(resolveOnCall(s, T0 - 1).contact_id).toBe("ben");
  });

  it("nobody to resolve to: empty", () => {
    expect(resolveOnCall({ members: [], shift_ms: DAY, starts_at_ms: T0, overrides: [] }, T0)).toEqual({ contact_id: null, via: "empty" });
  });
});
