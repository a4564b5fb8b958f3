import { describe, expect, it } from "vitest";
import { extendChain, verifyChain } from "../../../domain/audit-chain";
import { NOTIFY_CHAIN, NOTIFY_CHAIN_END, notifyChain, trailData, TrailData } from "../../../domain/notify/trail";
import { notificationRow } from "../../../worker/analytics-exports/format";

const notice = { notice_key: "tk_1:L2:alert", subject: "tk_1", order_id: "1001", task_id: "tk_1", kind: "sla.escalated", phase: "alert", level: 2, recipient: "oncall" } as const;

describe("notification trail entries", () => {
  it("an attempt carries who (the on-call member and the rotation), the channel, the outcome, the status, the attempt and the dedup key", () => {
    const d = trailData(notice, { contact: "ben", via: "oncall (shift 3, member #1)", channel: "pagerduty", delivery_id: "ntf_x", attempt: 2, status: 503, error_class: "http_5xx", latency_ms: 40, outcome: "retry", detail: "HTTP 503" });
    expect(d).toEqual({ ...notice, contact: "ben", via: "oncall (shift 3, member #1)", channel: "pagerduty", delivery_id: "ntf_x", dedup_key: "tk_1", attempt: 2, status: 503, error_class: "http_5xx", outcome: "retry", latency_ms: 40, detail: "HTTP 503" });
    // The text that is hashed has the schema's key order whatever order the fields were given in.
    expect(Object.keys(d)).toEqual(Object.keys(TrailData.shape));
  });

  it("an entry that is not an attempt has nulls where an attempt has values", () => {
    expect(trailData(notice, { outcome: "unreachable", detail: "'oncall' is neither a contact nor a rotation" })).toMatchObject({ contact: null, channel: null, attempt: null, status: null, latency_ms: null, dedup_key: "tk_1" });
  });

  it("chains are named so that no order's can be mistaken for one, and a key range holds exactly them", () => {
    expect(notifyChain("1001")).toBe("~notify:1001");
    expect(notifyChain(null)).toBe(NOTIFY_CHAIN);
    for (const id of [notifyChain(null), notifyChain("a"), notifyChain("~z:#.")]) expect(id >= NOTIFY_CHAIN && id < NOTIFY_CHAIN_END).toBe(true);
    for (const id of ["~retention", "~notifyx", "1001", "~notifz"]) expect(id >= NOTIFY_CHAIN && id < NOTIFY_CHAIN_END).toBe(false);
  });
});

describe("extendChain", () => {
  const entries = [1, 2, 3].map((n) => ({ at: `2026-12-07T10:00:0${n}.000Z`, type: "notification.attempt" as const, data: JSON.stringify(trailData(notice, { attempt: n, outcome: "retry" })) }));

  it("links entries that verify as a chain, and continues from a head without forking", () => {
    const first = extendChain("acme", "~notify:1001", null, entries.slice(0, 2));
    const last = first.at(-1);
    const rest = extendChain("acme", "~notify:1001", last ? { seq: last.seq, hash: last.hash } : null, entries.slice(2));
    const all = [...first, ...rest];
    expect(all.map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(verifyChain(all)).toMatchObject({ valid: true, head: { seq: 3 } });
    // The same entries linked in one go are the same links: a drain split anywhere writes the same rows.
    expect(extendChain("acme", "~notify:1001", null, entries)).toEqual(all);
  });

  it("a rewritten entry breaks the chain at that entry", () => {
    const links = extendChain("acme", "~notify:1001", null, entries);
    const forged = links.map((l) => (l.seq === 2 ? { ...l, data: l.data.replace('"retry"', '"delivered"') } : l));
    expect(verifyChain(forged)).toMatchObject({ valid: false, broken_at: 2 });
  });

  it("the notifications export flattens an entry into its columns", () => {
    const [l] = extendChain("acme", "~notify:1001", null, entries);
    if (!l) throw new Error("no link");
    expect(notificationRow("acme", { order_id: l.order_id, seq: l.seq, at: l.at, type: l.type, data: l.data, prev_hash: l.prev_hash, hash: l.hash })).toMatchObject({
      chain_id: "~notify:1001",
      order_id: "1001",
      subject: "tk_1",
      level: 2,
      recipient: "oncall",
      attempt: 1,
      outcome: "retry",
      dedup_key: "tk_1",
      hash: l.hash,
    });
  });
});
