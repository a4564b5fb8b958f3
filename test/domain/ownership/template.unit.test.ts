import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type OwnershipRules, STEPS } from "../../../domain/ownership/schema";
import { changedSections, effectiveRules, mergePatch, rulesDiff } from "../../../domain/ownership/template";
import { exampleRules } from "../../helpers/ownership";

describe("mergePatch is RFC 7396", () => {
  // RFC 7396 Appendix A, every example as the RFC lists it.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [["a", "b"], ["c", "d"], ["c", "d"]],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)("%j patched with %j is %j", (target, patch, result) => {
    const before = structuredClone(target);
    expect(mergePatch(target, patch)).toEqual(result);
    expect(target).toEqual(before);
  });

  it("applying the same patch twice changes nothing more (idempotent)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (target, patch) => {
        const once = mergePatch(target, patch);
        expect(mergePatch(once, patch)).toEqual(once);
      }),
    );
  });
});

const nameArb = fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}@[a-z]{1,10}\.example$/);
const slaArb = fc.constantFrom("PT30S", "PT15M", "PT4H", "P1D", "P2D", "P1W");
const partyArb = fc.constantFrom("merchant", "3pl:acme", "agency:fulfillment-team", "carrier:fastship");
const FIELDS = ["owner", "backup", "on_call", "sla", "owning_party"] as const;
type Field = (typeof FIELDS)[number];

/** Valid rules: the example with every step's people, SLA and party drawn anew. */
const rulesArb: fc.Arbitrary<OwnershipRules> = fc
  .tuple(...STEPS.map(() => fc.record({ owner: nameArb, backup: nameArb, on_call: nameArb, sla: slaArb, owning_party: partyArb })), fc.constantFrom("captured", "authorized") as fc.Arbitrary<"captured" | "authorized">)
  .map(([...parts]) => {
    const rules = exampleRules();
    const fulfilOn = parts.pop();
    STEPS.forEach((step, i) => Object.assign(rules.steps[step], parts[i]));
    if (typeof fulfilOn === "string") rules.policy.fulfil_on = fulfilOn;
    return rules;
  });

const valueArb = (field: Field): fc.Arbitrary<string> => (field === "sla" ? slaArb : field === "owning_party" ? partyArb : nameArb);
/** A set of per-field overrides: (step, field) -> new value. */
const overrideArb = fc.uniqueArray(
  fc.tuple(fc.constantFrom(...STEPS), fc.constantFrom(...FIELDS)).chain(([step, field]) => valueArb(field).map((v) => ({ step, field, v }))),
  { selector: (o) => `${o.step}.${o.field}`, maxLength: 12 },
);

function patchOf(overrides: { step: string; field: string; v: string }[]): Record<string, unknown> {
  const steps: Record<string, Record<string, string>> = {};
  for (const o of overrides) (steps[o.step] ??= {})[o.field] = o.v;
  return overrides.length === 0 ? {} : { steps };
}

describe("effective rules = template ⊕ overrides", () => {
  it("with no overrides, the effective rules are the template", () => {
    fc.assert(
      fc.property(rulesArb, (template) => {
        const eff = effectiveRules(template, {});
        expect(eff).toEqual({ ok: true, rules: template });
      }),
    );
  });

  it("an override wins over the template, and nothing it does not name changes", () => {
    fc.assert(
      fc.property(rulesArb, overrideArb, (template, overrides) => {
        const eff = effectiveRules(template, patchOf(overrides));
        if (!eff.ok) throw new Error(JSON.stringify(eff.issues));
        for (const o of overrides) expect(eff.rules.steps[o.step][o.field]).toBe(o.v);
        const named = new Set(overrides.map((o) => `steps.${o.step}.${o.field}`));
        for (const change of rulesDiff(template, eff.rules)) expect(named.has(change.path)).toBe(true);
      }),
    );
  });

  it("null removes an optional field; removing a required one makes the rules invalid, naming the field", () => {
    const template = exampleRules();
    const dropped = effectiveRules(template, { steps: { shipping: { consumer: null } } });
    expect(dropped.ok && dropped.rules.steps.shipping.consumer).toBe(undefined);
    const broken = effectiveRules(template, { steps: { payment: { owner: null, sla: "four hours" } } });
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.issues.map((i) => i.path).sort()).toEqual(["steps.payment.owner", "steps.payment.sla"]);
    const unknown = effectiveRules(template, { steps: { payment: { owenr: "typo@x.example" } } });
    expect(unknown.ok).toBe(false);
  });
});

describe("rulesDiff", () => {
  it("lists changed, added and removed fields, and the steps they belong to", () => {
    const before = exampleRules();
    const after = exampleRules();
    after.steps.payment.owner = "cfo@acme.example";
    after.steps.shipping.sla = "P2D";
    delete after.steps.routing.consumer;
    after.policy.retry.max_attempts = 3;
    const changes = rulesDiff(before, after);
    expect(changes).toEqual([
      { path: "policy.retry.max_attempts", from: before.policy.retry.max_attempts, to: 3 },
      { path: "steps.payment.owner", from: "finance@acme.example", to: "cfo@acme.example" },
      { path: "steps.routing.consumer.requires_ack", from: true, to: null },
      { path: "steps.routing.consumer.secret", from: before.steps.routing.consumer?.secret ?? "", to: null },
      { path: "steps.routing.consumer.url", from: before.steps.routing.consumer?.url ?? "", to: null },
      { path: "steps.shipping.sla", from: "P1D", to: "P2D" },
    ]);
    expect(changedSections(changes)).toEqual(["policy", "payment", "routing", "shipping"]);
    expect(rulesDiff(before, exampleRules())).toEqual([]);
  });
});
