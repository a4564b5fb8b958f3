import { describe, expect, it } from "vitest";
import {
  derive,
  initialState,
  OrderView,
  TERMINAL_STATES,
  transition,
  type AuditEffect as Effect,
  type MachineState,
} from "../../../domain/order/machine";
import type { MachineEvent } from "../../../domain/events/handoff-events";
import { ev, handoff, money } from "../../helpers/events";

const O = "o-1001";
const NOW = Date.parse("2026-03-05T00:00:00.000Z");
const t = (hhmm: string, day = "01") => `2026-03-${day}T${hhmm}:00.000Z`;

function fold(events: readonly MachineEvent[], now = NOW, start: MachineState = initialState(O)) {
  let state = start;
  const steps: Effect[][] = [];
  for (const [i, e] of events.entries()) {
    const step = transition(state, e, now + i);
    state = step.state;
    steps.push(step.effects);
  }
  return { state, steps, effects: steps.flat() };
}

const entryTypes = (effects: readonly Effect[]) => effects.map((e) => e.entry.type);
const entries = (effects: readonly Effect[], type: string) => effects.filter((e) => e.entry.type === type).map((e) => e.entry.data);

const address = { name: "Ada Lovelace", address1: "1 Analytical Way", city: "Berlin", zip: "10115", country_code: "DE" };
const items = [
  { sku: "TEE-M", quantity: 2, unit_price_minor: 2000 },
  { sku: "CAP", quantity: 1, unit_price_minor: 1000 },
];
const created = ev.created(O, t("10:00"), {
  total: money(5000),
  line_items: items,
  shipping_address: address,
  customer_email: "ada@example.com",
  source_name: "web",
  tags: ["vip"],
  note: null,
  attribution: { utm_source: "newsletter", utm_campaign: "spring" },
});
const authorized = ev.authorized(O, t("10:01"), { amount: money(5000), payment_id: "pi_1", expires_at: "2026-03-08T10:01:00+00:00" });
const captured = ev.captured(O, t("10:05"), { amount: money(5000), payment_id: "pi_1" });
const requested = ev.requested(O, t("10:10"), { fulfillment_id: "f1", location: "berlin-1" });
const accepted = ev.accepted(O, t("10:20"), { fulfillment_id: "f1", export_id: "x1" });
const shipped = ev.shipped(O, t("09:00", "02"), { carrier: "dhl", tracking_number: "TRK1" });
const delivered = ev.delivered(O, t("12:00", "04"), { carrier: "dhl", tracking_number: "TRK1" });
const lifecycle = [created, authorized, captured, requested, accepted, shipped, delivered];

describe("order machine: happy lifecycle", () => {
  it("walks every state and ends in an exact delivered view", () => {
    const { state, steps } = fold(lifecycle);
    expect(steps.map((s) => entries(s, "event.applied")[0]?.state_to)).toEqual([
      "awaiting_payment",
      "authorized",
      "paid",
      "routed",
      "accepted",
      "shipped",
      "delivered",
    ]);
    expect(state.view).toEqual({
      order_id: O,
      state: "delivered",
      locked: true,
      locked_at: "2026-03-01T10:05:00.000Z",
      milestones: {
        created_at: "2026-03-01T10:00:00.000Z",
        authorized_at: "2026-03-01T10:01:00.000Z",
        captured_at: "2026-03-01T10:05:00.000Z",
        routed_at: "2026-03-01T10:10:00.000Z",
        accepted_at: "2026-03-01T10:20:00.000Z",
        shipped_at: "2026-03-02T09:00:00.000Z",
        delivered_at: "2026-03-04T12:00:00.000Z",
      },
      fields: { total: money(5000), line_items: items, shipping_address: address },
      details: { customer_email: "ada@example.com", source_name: "web", tags: ["vip"], note: null },
      attribution: { utm_campaign: "spring", utm_source: "newsletter" },
      value: money(5000),
      payment: {
        authorized: money(5000),
        captured: money(5000),
        refunded_minor: 0,
        authorization_expires_at: "2026-03-08T10:01:00.000Z",
        last_failure: null,
      },
      fulfillment: { status: "accepted", code: null, reason: null, location: "berlin-1" },
      conflicts: [],
      holds: [],
      facts_count: 7,
    } satisfies OrderView);
    expect(OrderView.parse(state.view)).toEqual(state.view);
    expect(TERMINAL_STATES).toContain(state.view.state);
    expect(state.facts.map((f) => f.id)).toEqual(lifecycle.map((e) => e.id));
    expect(derive(O, [...lifecycle].reverse())).toEqual(state.view);
  });

  it("emits applied for every event and locked exactly once, at capture", () => {
    const { steps, effects } = fold(lifecycle);
    expect(entryTypes(steps[2] ?? [])).toEqual(["event.applied", "order.locked"]);
    expect(entries(effects, "order.locked")).toEqual([{ locked_at: "2026-03-01T10:05:00.000Z" }]);
    expect(entries(steps[0] ?? [], "event.applied")).toEqual([
      {
        event_id: created.id,
        event_type: "order.created",
        source: "shopify",
        occurred_at: created.occurred_at,
        state_from: "received",
        state_to: "awaiting_payment",
        lag_ms: NOW - Date.parse(created.occurred_at),
      },
    ]);
    expect(entryTypes(effects).filter((x) => x !== "event.applied" && x !== "order.locked")).toEqual([]);
  });

  it("stays received while only facts other than order and payment have arrived", () => {
    const { state } = fold([ev.attribution(O, t("09:00"), { utm_source: "ad" }), ev.failed(O, t("09:30"))]);
    expect(state.view.state).toBe("received");
    expect(state.view.payment.last_failure).toBe("unspecified");
  });

  it("starts empty", () => {
    const s = initialState(O);
    expect(s.facts).toEqual([]);
    expect(s.view.state).toBe("received");
    expect(s.view.facts_count).toBe(0);
    expect(s.view.locked).toBe(false);
  });
});

describe("order machine: out of order", () => {
  it("payment before the order: received → paid and locked at once; the late order fills the fields", () => {
    const first = fold([captured]);
    expect(entries(first.effects, "event.applied")[0]).toMatchObject({ state_from: "received", state_to: "paid" });
    expect(first.state.view.locked).toBe(true);
    expect(first.state.view.fields).toEqual({});
    expect(entryTypes(first.effects)).toEqual(["event.applied", "order.locked"]);

    const { state, effects } = fold([created], NOW, first.state);
    expect(state.view.state).toBe("paid");
    expect(state.view.fields).toEqual({ total: money(5000), line_items: items, shipping_address: address });
    expect(state.view.conflicts).toEqual([]);
    expect(entryTypes(effects)).toEqual(["event.applied"]);
    expect(state.view).toEqual(fold([created, captured]).state.view);
  });

  it("an order.created that occurred after capture is still the baseline, not a conflict", () => {
    const lateCreated = ev.created(O, t("10:30"), { total: money(5000), line_items: items });
    const { state } = fold([captured, lateCreated]);
    expect(state.view.state).toBe("paid");
    expect(state.view.fields).toEqual({ total: money(5000), line_items: items });
    expect(state.view.holds).toEqual([]);
  });

  it("shipped before accepted ends shipped with both milestones", () => {
    const { state, steps } = fold([created, captured, requested, shipped, accepted]);
    expect(entries(steps[3] ?? [], "event.applied")[0]).toMatchObject({ state_from: "routed", state_to: "shipped" });
    expect(entries(steps[4] ?? [], "event.applied")[0]).toMatchObject({ state_from: "shipped", state_to: "shipped" });
    expect(state.view.state).toBe("shipped");
    expect(state.view.milestones.accepted_at).toBe("2026-03-01T10:20:00.000Z");
    expect(state.view.milestones.shipped_at).toBe("2026-03-02T09:00:00.000Z");
    expect(state.view.fulfillment.status).toBe("accepted");
  });

  it("orders by instant, not by string: offsets are honoured and milestones normalised to UTC", () => {
    const early = ev.captured(O, "2026-03-01T11:00:00+02:00", { amount: money(5000) }, { id: "cap-a" });
    const late = ev.captured(O, "2026-03-01T10:00:00Z", { amount: money(4000) }, { id: "cap-b" });
    const { state } = fold([late, early]);
    expect(state.facts.map((f) => f.id)).toEqual(["cap-a", "cap-b"]);
    expect(state.view.milestones.captured_at).toBe("2026-03-01T09:00:00.000Z");
    expect(state.view.payment.captured).toEqual(money(4000));
  });
});

describe("order machine: duplicates", () => {
  it("a repeated event changes nothing and is audited as a duplicate", () => {
    const once = fold([created, captured]).state;
    const again = transition(once, captured, NOW + 999);
    expect(again.state).toBe(once);
    expect(again.effects).toEqual([
      {
        type: "audit",
        entry: {
          type: "event.duplicate",
          data: { event_id: captured.id, event_type: "payment.captured", source: "stripe", occurred_at: captured.occurred_at, payload_matches: true },
        },
      },
    ]);
  });

  it("same id, different body: first arrival stays the fact, the mismatch is recorded", () => {
    const once = fold([created, captured]).state;
    const forged = ev.captured(O, t("10:05"), { amount: money(1) }, { id: captured.id });
    const again = transition(once, forged, NOW);
    expect(again.state).toBe(once);
    expect(again.state.view.payment.captured).toEqual(money(5000));
    expect(entries(again.effects, "event.duplicate")[0]).toMatchObject({ payload_matches: false });
  });

  it("refuses an event for another order", () => {
    const once = fold([created]).state;
    const stray = ev.captured("o-other", t("10:05"), { amount: money(5000) });
    const step = transition(once, stray, NOW);
    expect(step.state).toBe(once);
    expect(entries(step.effects, "event.rejected")).toEqual([
      expect.objectContaining({ reason: "order_id_mismatch", order_id: "o-other", event_id: stray.id }),
    ]);
  });
});

describe("order machine: locked fields", () => {
  const newAddress = { ...address, address1: "2 Difference Engine Rd" };

  it("a post-capture change to a locked field is a conflict and a hold, not a rewrite; details and attribution still apply", () => {
    const update = ev.updated(O, t("11:00"), {
      total: money(5000),
      line_items: [...items].reverse(), // a reorder alone is not a change
      shipping_address: newAddress,
      note: "leave at the door",
      tags: ["vip", "gift"],
      attribution: { utm_campaign: "spring-cleanup", channel: "email" },
    });
    const { state, steps } = fold([created, captured, requested, update]);
    const last = steps[3] ?? [];
    expect(entryTypes(last)).toEqual(["event.applied", "field.conflict", "hold.opened"]);
    expect(entries(last, "field.conflict")).toEqual([
      { field: "shipping_address", locked_value: address, attempted_value: newAddress, event_id: update.id },
    ]);
    expect(entries(last, "event.applied")[0]).toMatchObject({ state_from: "routed", state_to: "on_hold" });

    const v = state.view;
    expect(v.state).toBe("on_hold");
    expect(v.fields).toEqual({ total: money(5000), line_items: items, shipping_address: address });
    expect(v.conflicts).toEqual([
      { field: "shipping_address", locked_value: address, attempted_value: newAddress, event_id: update.id, occurred_at: "2026-03-01T11:00:00.000Z" },
    ]);
    expect(v.holds).toEqual([{ reason: "locked_field_conflict", event_id: update.id, detail: expect.stringContaining("shipping_address") }]);
    expect(v.details).toEqual({ customer_email: "ada@example.com", source_name: "web", tags: ["vip", "gift"], note: "leave at the door" });
    expect(v.attribution).toEqual({ utm_source: "newsletter", utm_campaign: "spring-cleanup", channel: "email" });
  });

  it("an update that occurred before capture but arrives after it is applied", () => {
    const early = ev.updated(O, t("10:03"), { shipping_address: newAddress, total: money(5500) });
    const { state, effects } = fold([created, captured, early]);
    expect(state.view.fields.shipping_address).toEqual(newAddress);
    expect(state.view.value).toEqual(money(5500));
    expect(state.view.conflicts).toEqual([]);
    expect(entryTypes(effects)).not.toContain("field.conflict");
    // The applied total is more than was captured: that holds the order rather than letting it route.
    expect(state.view.state).toBe("on_hold");
    expect(state.view.holds).toEqual([{ reason: "payment_mismatch", event_id: captured.id, detail: "captured 50.00 USD, less than the order total 55.00 USD" }]);
  });

  it("a late pre-capture update can make a post-capture one agree: the conflict and hold are withdrawn", () => {
    const post = ev.updated(O, t("11:00"), { shipping_address: newAddress });
    const pre = ev.updated(O, t("10:03"), { shipping_address: newAddress });
    const { state, steps } = fold([created, captured, post, pre]);
    expect(entryTypes(steps[2] ?? [])).toContain("hold.opened");
    expect(entries(steps[3] ?? [], "hold.released")).toEqual([expect.objectContaining({ event_id: post.id, by_event_id: pre.id })]);
    expect(state.view.conflicts).toEqual([]);
    expect(state.view.holds).toEqual([]);
    expect(state.view.state).toBe("paid");
    expect(state.view).toEqual(fold([pre, post, captured, created]).state.view);
  });

  it("a post-capture value for a field nobody had stated fills the gap", () => {
    const bare = ev.created(O, t("10:00"), { total: money(5000) });
    const update = ev.updated(O, t("11:00"), { shipping_address: address });
    const { state } = fold([bare, captured, update]);
    expect(state.view.fields.shipping_address).toEqual(address);
    expect(state.view.holds).toEqual([]);
  });
});

describe("order machine: fulfillment decisions", () => {
  it("routed after the engine's own no-stock decision (a restock), the order is no longer backordered; a sender's rejection is not undone", () => {
    const noStock = ev.rejected(O, t("10:05"), { code: "out_of_stock", reason: "no stock to reserve" }, { source: "handoff" });
    const { state: waiting } = fold([created, captured, noStock]);
    expect(waiting.view.state).toBe("backordered");
    const { state: restocked } = fold([requested], NOW, waiting);
    expect(restocked.view.state).toBe("routed");
    expect(restocked.view.milestones.backordered_at).toBe("2026-03-01T10:05:00.000Z");
    // The warehouse's own out-of-stock answer stays, even if its clock put it before our request.
    const wms = ev.rejected(O, t("10:05"), { code: "out_of_stock", reason: "TEE-M out" });
    expect(fold([created, captured, wms, requested]).state.view.state).toBe("backordered");
  });

  it("backorder, then accepted", () => {
    const backorder = ev.rejected(O, t("10:15"), { code: "out_of_stock", reason: "TEE-M out" });
    const { state: mid } = fold([created, captured, requested, backorder]);
    expect(mid.view.state).toBe("backordered");
    expect(mid.view.milestones.backordered_at).toBe("2026-03-01T10:15:00.000Z");
    expect(mid.view.fulfillment).toEqual({ status: "rejected", code: "out_of_stock", reason: "TEE-M out", location: "berlin-1" });
    expect(mid.view.holds).toEqual([]);

    const { state } = fold([accepted], NOW, mid);
    expect(state.view.state).toBe("accepted");
    expect(state.view.fulfillment).toEqual({ status: "accepted", code: null, reason: null, location: "berlin-1" });
    expect(state.view.milestones.backordered_at).toBe("2026-03-01T10:15:00.000Z");
  });

  it("any other rejection is a hold until a later acceptance supersedes it", () => {
    const rejected = ev.rejected(O, t("10:15"), { code: "address_invalid", reason: "no such street" });
    const { state: mid, effects } = fold([created, captured, requested, rejected]);
    expect(mid.view.state).toBe("on_hold");
    expect(mid.view.milestones.rejected_at).toBe("2026-03-01T10:15:00.000Z");
    expect(mid.view.holds).toEqual([
      { reason: "fulfillment_rejected", event_id: rejected.id, detail: "fulfillment rejected (address_invalid): no such street" },
    ]);
    expect(entries(effects, "hold.opened")).toHaveLength(1);

    const { state, effects: after } = fold([accepted], NOW, mid);
    expect(state.view.state).toBe("accepted");
    expect(entries(after, "hold.released")).toEqual([expect.objectContaining({ reason: "fulfillment_rejected", event_id: rejected.id })]);
  });

  it("a rejection that occurred before the acceptance but arrives after it opens no hold", () => {
    const rejected = ev.rejected(O, t("10:15"), { code: "unserviceable" });
    const { state, effects } = fold([created, captured, requested, accepted, rejected]);
    expect(state.view.state).toBe("accepted");
    expect(entryTypes(effects)).not.toContain("hold.opened");
  });
});

describe("order machine: endings", () => {
  it("a partial refund is recorded; refunds that reach the captured amount end the order", () => {
    const partial = ev.refunded(O, t("10:00", "05"), { amount: money(1000), full: false });
    const rest = ev.refunded(O, t("11:00", "05"), { amount: money(4000), full: false });
    const { state: mid } = fold([...lifecycle, partial]);
    expect(mid.view.state).toBe("delivered");
    expect(mid.view.payment.refunded_minor).toBe(1000);
    expect(mid.view.milestones.refunded_at).toBeUndefined();

    const { state } = fold([rest], NOW, mid);
    expect(state.view.state).toBe("refunded");
    expect(state.view.payment.refunded_minor).toBe(5000);
    expect(state.view.milestones.refunded_at).toBe("2026-03-05T11:00:00.000Z");
  });

  it("a refund flagged full ends the order whatever its amount", () => {
    const full = ev.refunded(O, t("10:00", "05"), { full: true });
    const { state } = fold([created, captured, full]);
    expect(state.view.state).toBe("refunded");
    expect(state.view.payment.refunded_minor).toBe(0);
    expect(state.view.milestones.refunded_at).toBe("2026-03-05T10:00:00.000Z");
  });

  it("cancellation outranks progress and holds; a later full refund outranks cancellation", () => {
    const conflict = ev.updated(O, t("11:00"), { total: money(1) });
    const cancel = ev.cancelled(O, t("12:00"), { reason: "customer" });
    const { state } = fold([created, captured, requested, conflict, cancel]);
    expect(state.view.state).toBe("cancelled");
    expect(state.view.holds).toHaveLength(1);
    expect(state.view.milestones.cancelled_at).toBe("2026-03-01T12:00:00.000Z");
    expect(TERMINAL_STATES).toContain("cancelled");

    const refund = ev.refunded(O, t("13:00"), { amount: money(5000), full: true });
    expect(fold([refund], NOW, state).state.view.state).toBe("refunded");
  });

  it("a failed payment keeps the order awaiting payment and records why", () => {
    const failed = ev.failed(O, t("10:02"), { reason: "card_declined" });
    const { state } = fold([created, failed]);
    expect(state.view.state).toBe("awaiting_payment");
    expect(state.view.payment.last_failure).toBe("card_declined");
    expect(state.view.milestones.payment_failed_at).toBe("2026-03-01T10:02:00.000Z");
  });
});

describe("order machine: attribution and details", () => {
  it("merges attribution per key, last writer by occurred_at wins regardless of arrival", () => {
    const a1 = ev.attribution(O, t("12:00"), { utm_source: "partner", coupon: "X" });
    const a2 = ev.attribution(O, t("11:00"), { utm_source: "ignored-older", coupon: null });
    const { state } = fold([created, captured, a1, a2]);
    expect(state.view.attribution).toEqual({ utm_source: "partner", utm_campaign: "spring", coupon: "X" });
    expect(state.view.milestones.attribution_updated_at).toBe("2026-03-01T11:00:00.000Z");
    expect(state.view.fields).toEqual(fold([created, captured]).state.view.fields);
  });
});

describe("order machine: the arrival clock", () => {
  it("`now` never reaches the view", () => {
    const a = fold(lifecycle, 0);
    const b = fold(lifecycle, 9_999_999_999_999);
    expect(a.state).toEqual(b.state);
    expect(entries(a.effects, "event.applied").map((d) => d.lag_ms)).not.toEqual(entries(b.effects, "event.applied").map((d) => d.lag_ms));
  });
});

/** Every ordering of a small list (n! of them; keep n small). */
function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

describe("order machine: partial and cumulative refunds", () => {
  const capture = ev.captured(O, t("10:05"), { amount: money(10000), payment_id: "pi_1" });
  /** Stripe's charge.refunded: amount_refunded is the charge's running total. */
  const stripeRefund = (at: string, total: number, id: string, full = false) =>
    ev.refunded(O, at, { amount: money(total), payment_id: "pi_1", cumulative: true, refund_id: id, full }, { id: `stripe:${id}` });
  /** Shopify's refunds/create: the amount is this refund alone. */
  const shopifyRefund = (at: string, amount: number, refundId: string, factId = `shop:${refundId}`) =>
    ev.refunded(O, at, { amount: money(amount), refund_id: refundId, full: false }, { id: factId, source: "shopify" });

  const r1 = stripeRefund(t("10:00", "02"), 3000, "re_1");
  const r2 = stripeRefund(t("10:00", "03"), 6000, "re_2");
  const r3 = stripeRefund(t("10:00", "04"), 8000, "re_3");

  it("running totals of 3000, 6000, 8000 on a 10000 capture are 8000 refunded, and the order is not refunded", () => {
    const { state } = fold([created, capture, r1, r2, r3]);
    expect(state.view.payment.refunded_minor).toBe(8000);
    expect(state.view.milestones.refunded_at).toBeUndefined();
    expect(state.view.state).toBe("paid");
    for (const order of permutations([capture, r1, r2, r3])) expect(fold([created, ...order]).state.view).toEqual(state.view);
  });

  it("a running total that reaches the capture ends the order at that report, even unflagged", () => {
    const last = stripeRefund(t("10:00", "05"), 10000, "re_4");
    const { state } = fold([created, capture, r1, r2, r3, last]);
    expect(state.view.payment.refunded_minor).toBe(10000);
    expect(state.view.state).toBe("refunded");
    expect(state.view.milestones.refunded_at).toBe("2026-03-05T10:00:00.000Z");
    expect(fold([last, r3, created, r1, capture, r2]).state.view).toEqual(state.view);
  });

  it("Shopify and Stripe reporting the same refunds do not double them", () => {
    const shop1 = shopifyRefund(t("10:00", "02"), 3000, "9001");
    const shop2 = shopifyRefund(t("10:00", "03"), 3000, "9002");
    const { state: mid } = fold([created, capture, shop1, r1, shop2, r2]);
    expect(mid.view.payment.refunded_minor).toBe(6000);
    expect(mid.view.state).toBe("paid");

    // Shopify reports the last refund before Stripe does: either one is enough to end the order, and only once.
    const shop3 = shopifyRefund(t("10:00", "04"), 4000, "9003");
    const stripe3 = stripeRefund(t("11:00", "04"), 10000, "re_3");
    const { state } = fold([shop3, stripe3], NOW, mid);
    expect(state.view.payment.refunded_minor).toBe(10000);
    expect(state.view.state).toBe("refunded");
    expect(state.view.milestones.refunded_at).toBe("2026-03-04T10:00:00.000Z");
    expect(derive(O, [stripe3, shop2, r1, capture, shop3, created, shop1, r2])).toEqual(state.view);
  });

  it("the same Shopify refund delivered twice (two facts, one refund id) counts once; distinct refunds add up", () => {
    const once = shopifyRefund(t("10:00", "02"), 3000, "9001", "shop:a#0");
    const resent = shopifyRefund(t("10:00", "02"), 3000, "9001", "shop:b#0");
    const other = shopifyRefund(t("10:00", "03"), 2000, "9002");
    const { state } = fold([created, capture, once, resent, other]);
    expect(state.view.payment.refunded_minor).toBe(5000);
    expect(state.view.facts_count).toBe(5);
  });

  it("per-refund reports without an id all count: nothing says two of them are the same refund", () => {
    const a = ev.refunded(O, t("10:00", "02"), { amount: money(1000), full: false }, { id: "m-1" });
    const b = ev.refunded(O, t("10:00", "02"), { amount: money(1000), full: false }, { id: "m-2" });
    expect(fold([created, capture, a, b]).state.view.payment.refunded_minor).toBe(2000);
  });

  it("running totals are kept per payment and add across payments", () => {
    const split = ev.captured(O, t("10:06"), { amount: money(4000), payment_id: "pi_2" });
    const onSecond = ev.refunded(O, t("10:00", "03"), { amount: money(2500), payment_id: "pi_2", cumulative: true, full: false }, { id: "stripe:re_9" });
    const { state } = fold([created, capture, split, r1, r2, onSecond]);
    // The view's captured amount is the latest capture's (4000): 6000 + 2500 covers it.
    expect(state.view.payment.refunded_minor).toBe(8500);
    expect(fold([created, capture, r1, r2]).state.view.payment.refunded_minor).toBe(6000);
  });

  it("a running total that shrinks (a stale report) never lowers the tally", () => {
    const stale = stripeRefund(t("12:00", "04"), 3000, "re_stale");
    const { state } = fold([created, capture, r1, r2, r3, stale]);
    expect(state.view.payment.refunded_minor).toBe(8000);
  });
});

describe("order machine: locked fields changed by a late arrival", () => {
  const newAddress = { ...address, address1: "2 Difference Engine Rd" };

  it("an update that claims a pre-capture time but arrives after the lock changes the fields and says so", () => {
    const backdated = ev.updated(O, t("10:03"), { shipping_address: newAddress, total: money(5500), line_items: [...items].reverse() });
    const { state, steps } = fold([created, captured, requested, backdated]);
    const last = steps[3] ?? [];
    // The late total is more than was captured, so the capture no longer covers it.
    expect(entryTypes(last)).toEqual(["event.applied", "field.changed_late", "hold.opened"]);
    expect(entries(last, "hold.opened")).toEqual([expect.objectContaining({ reason: "payment_mismatch", event_id: captured.id })]);
    expect(entries(last, "field.changed_late")).toEqual([
      {
        event_id: backdated.id,
        occurred_at: backdated.occurred_at,
        locked_at: "2026-03-01T10:05:00.000Z",
        // A reorder of line items is no change, so only two fields are reported.
        fields: ["total", "shipping_address"],
        changes: [
          { field: "total", from: money(5000), to: money(5500) },
          { field: "shipping_address", from: address, to: newAddress },
        ],
        arrived_after_lock: true,
      },
    ]);
    // The view is exactly what in-order delivery gives: the audit entry is the only trace of lateness.
    expect(state.view).toEqual(fold([created, backdated, captured, requested]).state.view);
  });

  it("says nothing when the same update arrives before the lock", () => {
    const backdated = ev.updated(O, t("10:03"), { shipping_address: newAddress });
    const { effects } = fold([created, backdated, captured]);
    expect(entryTypes(effects)).not.toContain("field.changed_late");
  });

  it("says nothing when a post-capture change is refused as a conflict (the fields did not move)", () => {
    const late = ev.updated(O, t("11:00"), { shipping_address: newAddress });
    const { effects } = fold([created, captured, late]);
    expect(entryTypes(effects)).toContain("field.conflict");
    expect(entryTypes(effects)).not.toContain("field.changed_late");
  });

  it("says nothing when a late order fills fields a payment-first lock had no value for", () => {
    const { effects } = fold([captured, created]);
    expect(entryTypes(effects)).not.toContain("field.changed_late");
  });

  it("a late, earlier capture that moves the lock and turns an applied update into a conflict is reported too", () => {
    const update = ev.updated(O, t("10:30"), { shipping_address: newAddress });
    const lateCapture = ev.captured(O, t("11:00"), { amount: money(5000) }, { id: "cap-late" });
    const earlyCapture = ev.captured(O, t("10:15"), { amount: money(5000) }, { id: "cap-early" });
    const { state, steps } = fold([created, update, lateCapture, earlyCapture]);
    const last = steps[3] ?? [];
    expect(entries(last, "field.changed_late")).toEqual([
      {
        event_id: "cap-early",
        occurred_at: earlyCapture.occurred_at,
        locked_at: "2026-03-01T10:15:00.000Z",
        fields: ["shipping_address"],
        changes: [{ field: "shipping_address", from: newAddress, to: address }],
        arrived_after_lock: true,
      },
    ]);
    expect(entryTypes(last)).toEqual(expect.arrayContaining(["field.conflict", "hold.opened"]));
    expect(state.view.fields.shipping_address).toEqual(address);
  });
});

describe("order machine: Handoff's own facts", () => {
  const routed = [created, captured, requested];

  it("a consumer rejection puts a routed order on hold", () => {
    const rejection = handoff.exception(O, t("10:12"), { kind: "consumer_rejected", detail: "consumer answered 422: unknown sku CAP" });
    const { state, steps } = fold([...routed, rejection]);
    const last = steps[3] ?? [];
    expect(state.view.state).toBe("on_hold");
    expect(state.view.holds).toEqual([{ reason: "consumer_rejected", event_id: rejection.id, detail: "consumer answered 422: unknown sku CAP" }]);
    expect(entryTypes(last)).toEqual(["event.applied", "hold.opened"]);
    expect(entries(last, "event.applied")[0]).toMatchObject({ state_from: "routed", state_to: "on_hold", source: "handoff" });
    expect(OrderView.parse(state.view)).toEqual(state.view);
  });

  it("a paid order is held the same way", () => {
    const rejection = handoff.exception(O, t("10:06"), { kind: "consumer_rejected", detail: "nope" });
    expect(fold([created, captured, rejection]).state.view.state).toBe("on_hold");
  });

  it("clearing the exception by its event id releases the hold and the order resumes where it was", () => {
    const rejection = handoff.exception(O, t("10:12"), { kind: "consumer_rejected", detail: "unknown sku" });
    const clearance = handoff.cleared(O, t("12:00"), rejection.id);
    const { state: held } = fold([...routed, rejection]);
    const { state, effects } = fold([clearance], NOW, held);
    expect(state.view.state).toBe("routed");
    expect(state.view.holds).toEqual([]);
    expect(entries(effects, "hold.released")).toEqual([
      { reason: "consumer_rejected", event_id: rejection.id, detail: "unknown sku", by_event_id: clearance.id },
    ]);
    expect(entries(effects, "event.applied")[0]).toMatchObject({ state_from: "on_hold", state_to: "routed" });
    // A clearance that arrives first is already in the set when the exception lands: no hold ever opens.
    const early = fold([...routed, clearance, rejection]);
    expect(early.state.view).toEqual(state.view);
    expect(entryTypes(early.effects)).not.toContain("hold.opened");
  });

  it("a clearance names one hold: another exception stays open", () => {
    const a = handoff.exception(O, t("10:12"), { kind: "consumer_rejected", detail: "a" }, { id: "hx-a" });
    const b = handoff.exception(O, t("10:13"), { kind: "delivery_failed", detail: "b" }, { id: "hx-b" });
    const { state } = fold([...routed, a, b, handoff.cleared(O, t("12:00"), "hx-a")]);
    expect(state.view.state).toBe("on_hold");
    expect(state.view.holds).toEqual([{ reason: "delivery_failed", event_id: "hx-b", detail: "b" }]);
  });

  it("clearing a locked-field conflict by its event id releases the hold; the conflict stays on record", () => {
    const newAddress = { ...address, address1: "2 Difference Engine Rd" };
    const update = ev.updated(O, t("11:00"), { shipping_address: newAddress });
    const { state: held } = fold([...routed, update]);
    expect(held.view.state).toBe("on_hold");
    const clearance = handoff.cleared(O, t("12:00"), update.id, { justification: "customer confirmed the old address" });
    const { state, effects } = fold([clearance], NOW, held);
    expect(state.view.state).toBe("routed");
    expect(state.view.holds).toEqual([]);
    expect(state.view.conflicts).toEqual(held.view.conflicts);
    expect(state.view.conflicts).toHaveLength(1);
    expect(state.view.fields.shipping_address).toEqual(address);
    expect(entries(effects, "hold.released")).toEqual([expect.objectContaining({ reason: "locked_field_conflict", event_id: update.id, by_event_id: clearance.id })]);
  });
});
