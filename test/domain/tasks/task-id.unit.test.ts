import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TASK_TYPES, taskId } from "../../../domain/tasks/task";

/** The id as it was always computed: the memo in front of it may change when it is computed, never what it is. */
const hashed = (tenant: string, order: string, type: string, ref: string): string => `tk_${createHash("sha256").update(`${tenant}\n${order}\n${type}\n${ref}`).digest("hex").slice(0, 20)}`;

describe("taskId", () => {
  it("is the sha256 id of its parts, asked once, again, and after the memo has been cleared", () => {
    const parts = fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), fc.constantFrom(...TASK_TYPES), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(parts, { minLength: 1, maxLength: 40 }), (calls) => {
        for (const [t, o, ty, r] of [...calls, ...calls]) expect(taskId(t, o, ty, r)).toBe(hashed(t, o, ty, r));
      }),
      { numRuns: 200 },
    );
  });
});
