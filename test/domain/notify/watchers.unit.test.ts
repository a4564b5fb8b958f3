import { describe, expect, it } from "vitest";
import { applyEvents, decisionExpired } from "../../../domain/handoff/decide";
import { exportId } from "../../../domain/handoff/document";
import type { RulesInput } from "../../../domain/handoff/plan";
import type { MachineEvent } from "../../../domain/events/handoff-events";
import type { Notice } from "../../../domain/notify/notice";
import { watcherEffects, watcherNotices } from "../../../domain/notify/watchers";
import type { OrderCommit } from "../../../domain/order/commit";
import type { MachineState } from "../../../domain/order/machine";
import { OrderReplay } from "../../../domain/whatif/replay";
import { ev, money } from "../../helpers/events";
import { exampleRules } from "../../helpers/ownership";

// Watchers are told of each change to their step's exports, decided from one
// commit's effects, over an in-memory copy of the object's tables.

const O = "o-7001";
const T0 = Date.parse("2026-03-05T10:00:00.000Z");
const ADDRESS = { name: "Ada Lovelace", address1: "1 Loop Rd", city: "Lyon", zip: "69001", country_code: "FR" };
const LINES = [{ sku: "TEE-M", quantity: 1, requires_shipping: true }];
const V1 = exportId("fulfil_order", 1, O);
const V2 = exportId("fulfil_order", 2, O);
const WATCHERS = ["cs-lead@acme.example", "#acme-ops"];

function rules(validFor?: string): RulesInput {
  const r = exampleRules();
  r.steps.routing.watchers = WATCHERS;
  if (validFor) r.steps.routing.valid_for = validFor;
  return { version: 1, rules: r };
}

function order(rulesIn: RulesInput): OrderReplay {
  const r = new OrderReplay({ tenant: "acme", order_id: O }, () => rulesIn);
  r.rules = rulesIn;
  return r;
}

/** Runs one decision and returns the watcher notices its commit would queue. */
function decide(r: OrderReplay, at: number, fn: (c: OrderCommit) => MachineState | null): Notice[] {
  let out: Notice[] = [];
  r.decide(at, (c) => {
    const s = fn(c);
    out = watcherEffects(c).flatMap((e) => (e.type === "notify_watchers" ? e.notices : []));
    return s;
  });
  return out;
}

const feed = (r: OrderReplay, at: number, events: MachineEvent[]): Notice[] => decide(r, at, (c) => applyEvents(c, r.state, events));
const brief = (ns: Notice[]) => ns.map((n) => [n.kind, n.recipient, n.export?.export_id, n.export?.current]);

function paid(r: OrderReplay, address: typeof ADDRESS | null = ADDRESS): Notice[] {
  return feed(r, T0, [
    ev.created(O, T0, { total: money(5000), line_items: LINES, ...(address ? { shipping_address: address } : {}) }),
    ev.captured(O, T0 + 1000, { amount: money(5000), payment_id: "pi_1" }),
  ]);
}

describe("watchers of a step hear of its exports", () => {
  it("an issued export: one informational notice per watcher, naming the export, its version and that it stands", () => {
    const ns = paid(order(rules()));
    expect(brief(ns)).toEqual([
      ["export.issued", WATCHERS[0], V1, V1],
      ["export.issued", WATCHERS[1], V1, V1],
    ]);
    const [n] = ns;
    expect(n).toMatchObject({
      key: `${V1}:issued:to:${WATCHERS[0]}`,
      subject: `${V1}:issued`,
      phase: "info",
      level: 0,
      order_id: O,
      task_id: null,
      step: "routing",
      owner: "routing@agency.example",
      value: money(5000),
      at: T0,
      export: { export_id: V1, version: 1, intended_action: "fulfil_order", status: "pending", supersedes: null, superseded_by: null, current: V1 },
    });
    expect(n?.title).toBe("fulfil_order v1 issued");
  });

  it("a blocked export says so and that nothing stands; its fix is the next version, issued", () => {
    const r = order(rules());
    expect(brief(paid(r, null))).toEqual([
      ["export.blocked", WATCHERS[0], V1, null],
      ["export.blocked", WATCHERS[1], V1, null],
    ]);
    const fixed = feed(r, T0 + 5000, [ev.updated(O, T0 + 5000, { shipping_address: ADDRESS })]);
    expect(brief(fixed)).toEqual([
      ["export.issued", WATCHERS[0], V2, V2],
      ["export.issued", WATCHERS[1], V2, V2],
    ]);
    expect(fixed[0]?.export).toMatchObject({ supersedes: V1, version: 2 });
    // An unrelated fact changes no export: nobody is told anything.
    expect(feed(r, T0 + 6000, [ev.updated(O, T0 + 6000, { tags: ["vip"] })])).toEqual([]);
  });

  it("past valid_until: expired, superseded by v2 (never sent, so withdrawn silently), v2 issued; each names the current version", () => {
    const r = order(rules("PT10M"));
    paid(r);
    const ns = decide(r, T0 + 10 * 60_000, (c) => decisionExpired(c, r.state, V1)).filter((n) => n.recipient === WATCHERS[0]);
    expect(ns.map((n) => [n.kind, n.export?.export_id, n.export?.status, n.export?.superseded_by, n.export?.current])).toEqual([
      ["export.expired", V1, "superseded", V2, V2],
      ["export.superseded", V1, "superseded", V2, V2],
      ["export.issued", V2, "pending", null, V2],
    ]);
    expect(ns[0]?.title).toContain("valid until 2026-03-05T10:10:00.000Z");
    expect(ns[1]?.title).toBe(`fulfil_order v1 superseded by ${V2}`);
  });

  it("an order cancelled before delivery: the export is withdrawn and no version stands", () => {
    const r = order(rules());
    paid(r);
    const ns = feed(r, T0 + 3000, [ev.cancelled(O, T0 + 3000)]);
    expect(brief(ns)).toEqual([
      ["export.withdrawn", WATCHERS[0], V1, null],
      ["export.withdrawn", WATCHERS[1], V1, null],
    ]);
  });

  it("a step without watchers tells nobody, and the same commit always yields the same keys", () => {
    const plain = order({ version: 1, rules: exampleRules() });
    expect(paid(plain)).toEqual([]);
    const r = order(rules());
    let input: Parameters<typeof watcherNotices>[0] | null = null;
    r.decide(T0, (c) => {
      const s = applyEvents(c, r.state, [ev.created(O, T0, { total: money(5000), line_items: LINES, shipping_address: ADDRESS }), ev.captured(O, T0, { amount: money(5000), payment_id: "pi_1" })]);
      input = { tenant: c.tenant, orderId: c.orderId, now: c.now, effects: [...c.effects], exports: c.exports(), cancellations: c.cancellations() };
      return s;
    });
    if (input === null) throw new Error("no commit");
    expect(watcherNotices(input)).toEqual(watcherNotices(input));
    expect(new Set(watcherNotices(input).map((n) => n.key)).size).toBe(WATCHERS.length);
  });
});
