import { describe, expect, it } from "vitest";
import { verifyChain } from "../../../domain/audit-chain";
import { linksAfter, WATCHER_CHAIN, type WatcherDecision } from "../../../domain/watchers/decisions";

const decisions: WatcherDecision[] = [
  { type: "watcher.task_opened", at: "2026-11-27T10:00:00.000Z", data: { task_id: "t1", kind: "source_silent", owner: "ops@x" } },
  { type: "watcher.task_closed", at: "2026-11-27T11:00:00.000Z", data: { task_id: "t1", kind: "source_silent", closed_as: "resolved" } },
];

describe("the ~watchers chain", () => {
  it("appends in order after the head, and the result verifies from genesis", () => {
    const first = linksAfter("acme", null, decisions.slice(0, 1));
    const head = first.at(-1);
    const rest = linksAfter("acme", head ? { seq: head.seq, hash: head.hash } : null, decisions.slice(1));
    const all = [...first, ...rest];
    expect(all.map((l) => [l.order_id, l.seq])).toEqual([[WATCHER_CHAIN, 1], [WATCHER_CHAIN, 2]]);
    expect(verifyChain(all).valid).toBe(true);
  });

  it("breaks when a decision is rewritten after the fact", () => {
    const links = linksAfter("acme", null, decisions);
    const forged = links.map((l, i) => (i === 0 ? { ...l, data: l.data.replace("ops@x", "someone-else") } : l));
    expect(verifyChain(forged)).toMatchObject({ valid: false, broken_at: 1 });
  });
});
