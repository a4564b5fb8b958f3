import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePath, readPath } from "../../../domain/webhooks/path";

const read = (value: unknown, path: string) => {
  const p = parsePath(path);
  if (!p.ok) throw new Error(p.message);
  return readPath(value, p.steps);
};

describe("the JSONPath subset of the hmac preset", () => {
  const body = { meta: { event_name: "order_created", "custom data": { "order.id": 7 } }, items: [{ sku: "A" }, { sku: "B" }] };

  it("reads members, quoted members, indexes and negative indexes", () => {
    expect(read(body, "$")).toBe(body);
    expect(read(body, "$.meta.event_name")).toBe("order_created");
    expect(read(body, "$.meta['custom data'][\"order.id\"]")).toBe(7);
    expect(read(body, "$.items[1].sku")).toBe("B");
    expect(read(body, "$.items[-1].sku")).toBe("B");
    expect(read(body, "$.items[5].sku")).toBeUndefined();
    expect(read(body, "$.meta.nothing.deeper")).toBeUndefined();
  });

  it("never walks into the prototype", () => {
    expect(read({}, "$.constructor")).toBeUndefined();
    expect(read({}, "$.__proto__")).toBeUndefined();
    expect(read(JSON.parse('{"__proto__": {"x": 1}}') as unknown, "$.__proto__.x")).toBe(1);
  });

  it("refuses anything outside the subset, saying where", () => {
    for (const bad of ["meta.x", "$..x", "$.items[*]", "$.items[?(@.sku)]", "$.items[0:2]", "$.a b", "$['unterminated]"]) {
      const p = parsePath(bad);
      expect(p.ok, bad).toBe(false);
    }
    expect(parsePath("$.a b")).toMatchObject({ ok: false, message: expect.stringContaining("offset 3") });
  });

  it("property: a path built from any member names reads back the value placed there", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 6 }), fc.integer(), (names, leaf) => {
        let value: unknown = leaf;
        for (const n of [...names].reverse()) value = Object.defineProperty({}, n, { value, enumerable: true });
        const path = `$${names.map((n) => `['${n.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}']`).join("")}`;
        expect(read(value, path)).toBe(leaf);
      }),
    );
  });
});
