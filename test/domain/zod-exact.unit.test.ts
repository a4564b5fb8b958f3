import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { HandoffExport, INTENDED_ACTIONS } from "../../domain/handoff/document";
import { exportSchemaIssues } from "../../domain/handoff/plan";
import { exactCheck } from "../../domain/zod-exact";

// The fast check must never say yes where zod would refuse or change the value: its "no" only sends the value to zod.

const isExact = exactCheck(HandoffExport);

const text = fc.string({ maxLength: 12 });
const nat = fc.integer({ min: 0, max: 1_000_000 });
const money = fc.record({ amount_minor: nat, currency: fc.constantFrom("EUR", "USD", "GBP") });
const line = fc.record(
  { sku: text, quantity: nat, unit_price_minor: nat, requires_shipping: fc.boolean() },
  { requiredKeys: ["sku", "quantity"] },
);
const address = fc.record(
  { name: text, address1: text, address2: text, city: text, province: text, zip: text, country_code: fc.constantFrom("FR", "DE", "US") },
  { requiredKeys: [] },
);
/** Documents as the planner builds them: every key, in the schema's order. */
const validDoc = fc.record({
  export_id: text,
  version: fc.integer({ min: 1, max: 99 }),
  supersedes: fc.option(text, { nil: null }),
  tenant: text,
  order_id: text,
  step: fc.constantFrom("routing", "shipping", "backorder"),
  owning_party: text,
  owner: text,
  decision_version: fc.integer({ min: 0, max: 99 }),
  intended_action: fc.constantFrom(...INTENDED_ACTIONS),
  order: fc.record({
    total: fc.option(money, { nil: null }),
    line_items: fc.array(line, { maxLength: 3 }),
    shipping_address: fc.option(address, { nil: null }),
    location: fc.option(text, { nil: null }),
  }),
  sla: fc.record({ due_at: text, ship_by: fc.option(text, { nil: null }) }),
  exception_path: fc.option(fc.record({ type: text, contact_id: text }), { nil: null }),
  watchers: fc.array(text, { maxLength: 2 }),
  expires_at: text,
  valid_until: fc.option(text, { nil: null }),
  issued_at: text,
  justification: fc.option(text, { nil: null }),
  audit_trail: fc.array(fc.record({ event_id: text, type: text, source: text, occurred_at: text }), { maxLength: 3 }),
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every object and array in a JSON value, with a way to reach it. */
function containers(v: Json, out: (Json[] | { [k: string]: Json })[] = []): (Json[] | { [k: string]: Json })[] {
  if (v !== null && typeof v === "object") {
    out.push(v);
    for (const x of Array.isArray(v) ? v : Object.values(v)) containers(x, out);
  }
  return out;
}

const oddValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-1, 0, 1, 1_000_001, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 1.5),
  fc.string(),
  fc.constantFrom("eur", "EURO", "E1R", "x".repeat(513), ""),
  // Fresh containers each time: a shared one could be edited into itself.
  fc.array(fc.integer(), { maxLength: 1 }),
  fc.dictionary(fc.string({ maxLength: 2 }), fc.integer(), { maxKeys: 1 }),
);

/** One edit somewhere in the document: a value replaced, a key dropped or added, two keys swapped. */
const mutation = fc.record({ pick: fc.nat(), kind: fc.constantFrom("replace", "drop", "add", "swap"), key: fc.nat(), value: oddValue, name: fc.constantFrom("extra", "sku", "type", "__proto__") });

function mutate(doc: Json, m: { pick: number; kind: string; key: number; value: Json; name: string }): void {
  const all = containers(doc);
  const target = all[m.pick % all.length];
  if (!target) return;
  if (Array.isArray(target)) {
    if (m.kind === "drop") target.splice(m.key % (target.length + 1), 1);
    else target[target.length === 0 ? 0 : m.key % target.length] = m.value;
    return;
  }
  const keys = Object.keys(target);
  const key = keys[m.key % Math.max(1, keys.length)];
  if (m.kind === "add" || key === undefined) {
    Object.defineProperty(target, m.name, { value: m.value, enumerable: true, configurable: true, writable: true });
  } else if (m.kind === "replace") {
    target[key] = m.value;
  } else if (m.kind === "drop") {
    delete target[key];
  } else {
    // Rewrite the object with `key` moved last: same entries, another order.
    const value = target[key];
    delete target[key];
    target[key] = value === undefined ? null : value;
  }
}

/** What the gate asked before: zod on the JSON round trip, every time. */
function zodIssues(body: string): readonly { path: readonly PropertyKey[]; message: string }[] {
  const r = HandoffExport.safeParse(JSON.parse(body));
  return r.success ? [] : r.error.issues;
}

describe("exactCheck (HandoffExport)", () => {
  it("says yes only where zod accepts the value and returns it unchanged, key order included", () => {
    const seen = { fast: 0, zodValid: 0, invalid: 0 };
    fc.assert(
      fc.property(validDoc, fc.array(mutation, { maxLength: 3 }), (doc, edits) => {
        const value = JSON.parse(JSON.stringify(doc)) as Json;
        for (const m of edits) mutate(value, m);
        const body = JSON.stringify(value);
        const v: unknown = JSON.parse(body);
        const parsed = HandoffExport.safeParse(v);
        if (isExact(v)) seen.fast++;
        else seen[parsed.success ? "zodValid" : "invalid"]++;
        if (isExact(v)) {
          expect(parsed.success).toBe(true);
          expect(JSON.stringify(parsed.data)).toBe(body);
          expect(parsed.data).toStrictEqual(v);
        }
        // The gate's verdict and issues are zod's, whichever way they were reached.
        expect(exportSchemaIssues(body)).toEqual(zodIssues(body));
      }),
      { numRuns: 2000 },
    );
    // The edits reach all three outcomes: taken at once, left to zod and accepted, refused.
    expect(Math.min(seen.fast, seen.zodValid, seen.invalid)).toBeGreaterThan(50);
  });

  it("takes every document built like the planner's without asking zod", () => {
    fc.assert(fc.property(validDoc, (doc) => isExact(JSON.parse(JSON.stringify(doc)))));
  });

  it("says no to a value zod would change: a default to fill in, a key to strip, keys out of order", () => {
    const doc = fc.sample(validDoc, { numRuns: 1, seed: 16 })[0];
    if (!doc) throw new Error("no sample");
    const { watchers: _w, ...noWatchers } = doc;
    expect(HandoffExport.safeParse(noWatchers).success).toBe(true);
    expect(isExact(noWatchers)).toBe(false);
    expect(isExact({ ...doc, extra: 1 })).toBe(false);
    const { export_id, ...rest } = doc;
    expect(isExact({ ...rest, export_id })).toBe(false);
    expect(isExact(doc)).toBe(true);
  });
});

describe("exactCheck (constructs)", () => {
  it("refuses to be built over a check, coercion, transform or type it does not understand", () => {
    for (const s of [
      z.string().email(),
      z.string().trim(),
      z.number().multipleOf(2),
      z.coerce.number(),
      z.string().transform((x) => x.length),
      z.object({ a: z.string() }).refine(() => true),
      z.record(z.string(), z.string()),
      z.union([z.string(), z.number()]),
      z.array(z.string()).min(1),
    ]) {
      expect(() => exactCheck(s)).toThrow(/not understood/);
    }
  });

  it("agrees with zod on bounds, optional keys and nulls", () => {
    const S = z.object({ n: z.number().int().min(0).max(10), g: z.number().gt(1).lt(2).optional(), s: z.string().min(2).max(3).regex(/^[a-z]+$/g).nullable() });
    const check = exactCheck(S);
    fc.assert(
      fc.property(
        fc.record({ n: oddValue, g: oddValue, s: fc.oneof(oddValue, fc.stringMatching(/^[a-z]{1,4}$/)) }, { requiredKeys: [] }),
        (v) => {
          if (check(v)) expect(S.safeParse(v)).toEqual({ success: true, data: v });
        },
      ),
      { numRuns: 2000 },
    );
    expect(check({ n: 3, s: "abc" })).toBe(true);
    expect(check({ n: 3, g: 1.5, s: null })).toBe(true);
    expect(check({ n: 3, g: 2, s: null })).toBe(false);
    expect(check({ s: "abc", n: 3 })).toBe(false);
  });
});
