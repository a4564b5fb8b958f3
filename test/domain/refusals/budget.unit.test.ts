import { describe, expect, it } from "vitest";
import { budgetBucket, budgetLimits, decideRefusal, DEFAULT_BUDGET, type BudgetWindow } from "../../../domain/refusals/budget";

describe("refusal budget", () => {
  it("records the first N, counts up to the limit, then limits until the window ends", () => {
    const limits = { record: 2, limit: 4, windowMs: 60_000 };
    let w: BudgetWindow | null = null;
    const actions: string[] = [];
    for (let i = 0; i < 6; i++) {
      const d = decideRefusal(w, 1000 + i, limits);
      actions.push(d.action === "limit" ? `limit:${d.retryAfterSeconds}` : d.action);
      w = d.window;
    }
    expect(actions).toEqual(["record", "record", "count", "count", "limit:60", "limit:60"]);
    expect(w).toEqual({ start: 1000, recorded: 2, counted: 2, limited: 2 });
    // The next window starts afresh.
    expect(decideRefusal(w, 61_000, limits)).toEqual({ action: "record", window: { start: 61_000, recorded: 1, counted: 0, limited: 0 } });
  });

  it("reads limits from the environment, keeping the defaults for anything unparsable", () => {
    expect(budgetLimits({})).toEqual(DEFAULT_BUDGET);
    expect(budgetLimits({ REFUSAL_RECORD_PER_MINUTE: "5", REFUSAL_LIMIT_PER_MINUTE: "nope" })).toEqual({ ...DEFAULT_BUDGET, record: 5 });
    // A limit below the record budget would refuse to record what it promised to.
    expect(budgetLimits({ REFUSAL_RECORD_PER_MINUTE: "50", REFUSAL_LIMIT_PER_MINUTE: "10" }).limit).toBe(50);
  });

  it("names an attacker can vary share one bucket", () => {
    expect(budgetBucket("acme", "unknown_source")).toBe(budgetBucket("acme", "unknown_source"));
    expect(budgetBucket("acme", { source: "shop" })).not.toBe(budgetBucket("acme", { source: "stripe" }));
    expect(budgetBucket("acme", "ack")).not.toBe(budgetBucket("globex", "ack"));
  });
});
