import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chainHash, GENESIS_HASH, verifyChain, type ChainLink } from "../../domain/audit-chain";

function build(entries: { type: string; data: string }[]) {
  const rows: (ChainLink & { hash: string })[] = [];
  let prev = GENESIS_HASH;
  entries.forEach((e, i) => {
    const link = { tenant: "acme", order_id: "o1", seq: i + 1, at: `2026-11-0${(i % 9) + 1}T00:00:00.000Z`, prev_hash: prev, ...e };
    const hash = chainHash(link);
    rows.push({ ...link, hash });
    prev = hash;
  });
  return rows;
}

const entries = fc.array(fc.record({ type: fc.string({ minLength: 1 }), data: fc.json() }), { minLength: 1, maxLength: 20 });

describe("audit chain", () => {
  it("verifies an untouched chain and reports its head", () => {
    fc.assert(
      fc.property(entries, (es) => {
        const rows = build(es);
        const check = verifyChain(rows);
        expect(check.valid).toBe(true);
        expect(check.head).toEqual({ seq: rows.length, hash: rows.at(-1)?.hash });
      }),
    );
  });

  it("detects any rewritten field, with the seq where it broke", () => {
    fc.assert(
      fc.property(entries, fc.nat(), fc.constantFrom("type", "data", "at", "order_id"), (es, pick, field) => {
        const rows = build(es);
        const i = pick % rows.length;
        const row = rows[i];
        if (!row) return;
        rows[i] = { ...row, [field]: `${row[field]}x` };
        const check = verifyChain(rows);
        expect(check.valid).toBe(false);
        expect(check.broken_at).toBe(i + 1);
      }),
    );
  });

  it("detects a deleted or reordered entry", () => {
    const rows = build([{ type: "a", data: "1" }, { type: "b", data: "2" }, { type: "c", data: "3" }]);
    expect(verifyChain([rows[0], rows[2]].filter((r) => r !== undefined)).valid).toBe(false);
    expect(verifyChain([rows[1], rows[0], rows[2]].filter((r) => r !== undefined)).broken_at).toBe(1);
  });

  it("treats an empty trail as valid with no head", () => {
    expect(verifyChain([])).toEqual({ valid: true, broken_at: null, reason: null, head: null });
  });
});
