import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { instantShapedText } from "../../helpers/instants";
import { epochMs, utcIso } from "../../../domain/order/facts";
import { iso } from "../../../domain/time";

/** utcIso hands canonical text back as it is: it must answer exactly what formatting the parsed instant would. */
describe("one spelling per instant", () => {
  const reference = (t: string): string => iso(epochMs(t));

  it("text shaped like an instant, valid or not, is spelled as its instant formatted", () => {
    fc.assert(
      fc.property(instantShapedText, (t) => {
        expect(utcIso(t)).toBe(reference(t));
      }),
      { numRuns: 20_000 },
    );
  });

  it("any instant's toISOString, and other spellings, come out as the formatted instant", () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_198_755_200_000, max: 253_402_300_799_999 }), (ms) => {
        const t = new Date(ms).toISOString();
        expect(utcIso(t)).toBe(t);
        expect(utcIso(t)).toBe(reference(t));
      }),
      { numRuns: 20_000 },
    );
    for (const t of ["2026-10-01T00:00:00Z", "2026-10-01T02:00:00.000+02:00", "2026-10-01", "2026-02-29T00:00:00.000Z", "2026-1O-01T00:00:00.000Z", "not an instant", "", "0050-01-01T00:00:00.000Z", "2026-10-01T00:00:00.000z"]) {
      expect(utcIso(t), t).toBe(reference(t));
    }
  });
});
