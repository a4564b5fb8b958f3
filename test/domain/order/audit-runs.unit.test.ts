import { describe, expect, it } from "vitest";
import { auditRuns, type ChainEntry } from "../../../domain/order/audit-runs";

const entry = (seq: number, at: string, type = "t"): ChainEntry => ({ seq, at, type, data: `{"n":${seq}}`, prev_hash: `h${seq - 1}`, hash: `h${seq}` });
const T1 = "2026-12-07T10:00:00.000Z";
const T2 = "2026-12-07T10:00:00.001Z";

describe("auditRuns", () => {
  it("writes one row per commit whose entries share one at, keyed by its first seq", () => {
    const runs = auditRuns([[entry(1, T1, "receipt.recorded"), entry(2, T1, "state.changed")], [entry(3, T2)]]);
    expect(runs).toEqual([
      {
        seq: 1,
        at: T1,
        entries: [
          [1, "receipt.recorded", '{"n":1}', "h0", "h1"],
          [2, "state.changed", '{"n":2}', "h1", "h2"],
        ],
      },
      { seq: 3, at: T2, entries: [[3, "t", '{"n":3}', "h2", "h3"]] },
    ]);
  });

  it("never joins two commits, even at the same millisecond: a retried drain must key its rows as the first attempt did", () => {
    const runs = auditRuns([[entry(1, T1)], [entry(2, T1), entry(3, T1)]]);
    expect(runs.map((r) => [r.seq, r.entries.length])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    // The same first commit drained alone gives the same row.
    expect(auditRuns([[entry(1, T1)]])).toEqual(runs.slice(0, 1));
  });

  it("splits a commit whose entries carry different at: every entry of a row shares the row's at (what the exports and retention index)", () => {
    const runs = auditRuns([[entry(4, T1), entry(5, T2), entry(6, T2)]]);
    expect(runs.map((r) => [r.seq, r.at, r.entries.map((e) => e[0])])).toEqual([
      [4, T1, [4]],
      [5, T2, [5, 6]],
    ]);
  });

  it("nothing pending, no rows", () => {
    expect(auditRuns([])).toEqual([]);
    expect(auditRuns([[]])).toEqual([]);
  });
});
