import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jitter } from "../../../domain/handoff/decide";

/** A retry's jitter is part of its recorded schedule: hashed in JavaScript now, it must draw exactly what node:crypto drew. */
describe("retry jitter", () => {
  it("is the first four bytes of sha256(`<export id>#<attempt>`), big-endian, over 2^32", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), fc.integer({ min: 1, max: 50 }), (id, n) => {
        const want = createHash("sha256").update(`${id}#${n}`).digest().readUInt32BE(0) / 0x1_0000_0000;
        expect(jitter(id, n)()).toBe(want);
      }),
      { numRuns: 2000 },
    );
    for (const id of ["exp_fulfil_order_v1_ord_1", "", "exp_ü_v2"]) {
      expect(jitter(id, 3)()).toBe(createHash("sha256").update(`${id}#3`).digest().readUInt32BE(0) / 0x1_0000_0000);
    }
  });
});
