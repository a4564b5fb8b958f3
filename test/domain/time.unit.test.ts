import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { instantShapedText } from "../helpers/instants";
import { canonicalInstantMs, iso, parseInstant } from "../../domain/time";

/** The canonical instant reader must never disagree with Date.parse: it only ever answers where both mean the same. */
describe("reading instants", () => {
  it("any instant's toISOString reads back as Date.parse reads it", () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_198_755_200_000, max: 253_402_300_799_999 }), (ms) => {
        const text = new Date(ms).toISOString();
        expect(parseInstant(text)).toBe(Date.parse(text));
        const fast = canonicalInstantMs(text);
        if (!Number.isNaN(fast)) expect(fast).toBe(Date.parse(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it("text shaped like an instant, valid or not, reads as Date.parse reads it", () => {
    fc.assert(
      fc.property(instantShapedText, (t) => {
        expect(Object.is(parseInstant(t), Date.parse(t))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it("other spellings go to Date.parse: offsets, no millis, six-digit years, garbage", () => {
    for (const t of ["2026-10-01T00:00:00Z", "2026-10-01T02:00:00.000+02:00", "+275760-09-13T00:00:00.000Z", "2026-10-01", "2026-02-29T00:00:00.000Z", "2024-02-29T12:00:00.000Z", "2026-1O-01T00:00:00.000Z", "not an instant", "", "0050-01-01T00:00:00.000Z"]) {
      expect(canonicalInstantMs(t) === Date.parse(t) || Number.isNaN(canonicalInstantMs(t)), t).toBe(true);
      expect(Object.is(parseInstant(t), Date.parse(t)), t).toBe(true);
    }
  });
});

/** Writing instants: iso computes what toISOString would write, for every instant it formats itself and every other. */
describe("writing instants", () => {
  it("any instant, integer or not, in range or not, is written as toISOString writes it", () => {
    const ms = fc.oneof(
      fc.integer({ min: 0, max: 253_402_300_799_999 }),
      fc.integer({ min: -62_198_755_200_000, max: 8_640_000_000_000_000 }),
      fc.double({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000, noNaN: true }),
      fc.constantFrom(0, -1, 951_782_400_000, 4_107_542_400_000, 253_402_300_799_999, 253_402_300_800_000, 1.5, -0.5),
    );
    fc.assert(
      fc.property(ms, ms, (a, b) => {
        expect(iso(a)).toBe(new Date(a).toISOString());
        // Twice, and interleaved: the last-instant shortcut must not answer for another instant.
        expect(iso(b)).toBe(new Date(b).toISOString());
        expect(iso(a)).toBe(new Date(a).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it("throws as toISOString does for an instant that is not one", () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 8_640_000_000_000_001]) expect(() => iso(bad)).toThrow(RangeError);
  });
});
