import { describe, expect, it } from "vitest";
import { generateMonth } from "../../../bench/what-if/month";
import { OwnershipRules } from "../../../domain/ownership/schema";
import { recordedOrder, REPLAY_AUDIT_TYPES, StoredAuditLine, type AuditLine } from "../../../domain/whatif/recorded";
import { proposedRules, rulesInForce } from "../../../domain/whatif/replay";
import { whatIfOrder } from "../../../domain/whatif/run";

/**
 * A job keeps D1's rows as they come (data as JSON text) and parses an entry's data when first read.
 * What it answers must be exactly what the parsed trail answers, and the entries no step reads
 * (every task.escalated, each event.applied but an order's last) are never parsed.
 */

const month = generateMonth({ orders: 150, seed: 11 });
const wanted = new Set<string>(REPLAY_AUDIT_TYPES);
const latest = month.versions.get(Math.max(...month.versions.keys()));
if (!latest) throw new Error("no rules");
const proposal = proposedRules({
  version: latest.version + 1,
  rules: OwnershipRules.parse({ ...latest.rules, steps: { ...latest.rules.steps, fulfillment: { ...latest.rules.steps.fulfillment, sla: "PT6H" } } }),
});

/** The rows a job's query returns, as the job keeps them; `unread` marks which text must never be parsed. */
function stored(trail: readonly AuditLine[], unread: (e: AuditLine, i: number, rows: readonly AuditLine[]) => boolean): AuditLine[] {
  const rows = trail.filter((e) => wanted.has(e.type));
  return rows.map((e, i) => new StoredAuditLine(e.seq, e.at, e.type, unread(e, i, rows) ? "not JSON: must never be parsed" : JSON.stringify(e.data)));
}

const neverRead = (e: AuditLine, i: number, rows: readonly AuditLine[]): boolean =>
  e.type === "task.escalated" || (e.type === "event.applied" && rows.slice(i + 1).some((x) => x.type === "event.applied"));

describe("a job's trail, parsed when read", () => {
  it("answers as the parsed trail does, under the rules in force and under a proposal", () => {
    for (const o of month.orders) {
      const parsed = recordedOrder(month.tenant, o.order_id, o.trail.filter((e) => wanted.has(e.type)));
      const lazy = recordedOrder(month.tenant, o.order_id, stored(o.trail, () => false));
      expect(lazy.inputs).toEqual(parsed.inputs);
      expect(lazy.last_at).toBe(parsed.last_at);
      for (const [rules, mode] of [[rulesInForce(month.versions), "in_force"], [proposal, "proposed"]] as const) {
        expect(whatIfOrder(lazy, rules, month.end, mode)).toEqual(whatIfOrder(parsed, rules, month.end, mode));
      }
    }
  });

  it("never parses what no step reads: task.escalated entries and every event.applied but the last", () => {
    const unread = month.orders.flatMap((o) => stored(o.trail, neverRead)).filter((e, i, all) => neverRead(e, i, all));
    expect(unread.length).toBeGreaterThan(month.orders.length);
    for (const o of month.orders) {
      const parsed = recordedOrder(month.tenant, o.order_id, o.trail.filter((e) => wanted.has(e.type)));
      const lazy = recordedOrder(month.tenant, o.order_id, stored(o.trail, neverRead));
      expect(lazy.last_at).toBe(parsed.last_at);
      expect(whatIfOrder(lazy, proposal, month.end, "proposed")).toEqual(whatIfOrder(parsed, proposal, month.end, "proposed"));
      expect(whatIfOrder(lazy, rulesInForce(month.versions), month.end, "in_force")).toEqual(whatIfOrder(parsed, rulesInForce(month.versions), month.end, "in_force"));
    }
  });

  it("a row whose text is not JSON still fails, when it is read", () => {
    const line = new StoredAuditLine(1, "2026-10-01T00:00:00.000Z", "receipt.recorded", "{");
    expect(() => recordedOrder("t", "o", [line])).toThrow(SyntaxError);
  });
});
