import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../domain/order/facts";

/**
 * The planner hands a stored document the decision key it built from the document's parts
 * (domain/handoff/plan.ts exportSchemaIssues), instead of building it again from the parsed body.
 * That is sound because a JSON round trip never changes the canonical text of JSON data, which
 * is all a document holds (facts and rules are parsed from JSON), undefined members included.
 */
describe("a decision key survives the JSON round trip", () => {
  it("any JSON value, with undefined members and array slots sprinkled in, has the canonical text of its round trip", () => {
    const sprinkled = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, fc.jsonValue({ maxDepth: 2 }), tie("object"), tie("array")),
      object: fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(tie("value"), fc.constant(undefined)), { maxKeys: 5 }),
      array: fc.array(fc.oneof(tie("value"), fc.constant(undefined)), { maxLength: 4 }),
    })).value;
    fc.assert(
      fc.property(sprinkled, (x) => {
        expect(canonicalJson(JSON.parse(JSON.stringify(x)) as unknown)).toBe(canonicalJson(x));
      }),
      { numRuns: 3000 },
    );
  });
});
