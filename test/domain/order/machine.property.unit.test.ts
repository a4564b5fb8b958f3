import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { derive, initialState, ORDER_STATES, OrderView, transition, type MachineState } from "../../../domain/order/machine";
import { CanonicalEvent, EVENT_TYPES, type EventType } from "../../../domain/events/canonical";
import { EXCEPTION_KINDS, type ExceptionKind, type MachineEvent } from "../../../domain/events/handoff-events";
import { event, handoffEvent, money, type EventInput } from "../../helpers/events";

/**
 * Convergence: the same set of events, delivered in any order, any number of
 * times, at any arrival clock, must derive the same view.
 */

const O = "o-prop";
const T0 = Date.parse("2026-03-01T00:00:00.000Z");
const SOURCES = ["shopify", "stripe", "oms", "wms", "carrier", "crm", "manual"] as const;

function fold(events: readonly MachineEvent[], nows: readonly number[] = [], start: MachineState = initialState(O)): MachineState {
  let state = start;
  for (const [i, e] of events.entries()) state = transition(state, e, nows[i] ?? T0).state;
  return state;
}

/** ISO with a given UTC offset, e.g. 10:00Z at +02:00 → "12:00:00.000+02:00": same instant, different spelling. */
function spell(ms: number, offsetMin: number | null): string {
  if (offsetMin === null) return new Date(ms).toISOString();
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 23);
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

// ---- plausible lifecycles -------------------------------------------------

// Small domains on purpose: updates then often repeat a locked value exactly
// (no conflict) and often differ (conflict), and line items often reorder.
const moneyArb = fc.constantFrom(1000, 2500, 5000).map((n) => money(n));
const lineItemsArb = fc.array(fc.record({ sku: fc.constantFrom("A", "B", "C"), quantity: fc.integer({ min: 0, max: 2 }) }), { maxLength: 3 });
const addressArb = fc.record({ name: fc.constantFrom("Ada", "Bob"), city: fc.constantFrom("Berlin", "Paris") }, { requiredKeys: [] });
const attributionArb = fc.dictionary(fc.constantFrom("utm_source", "utm_campaign", "channel"), fc.option(fc.constantFrom("a", "b"), { nil: null }), {
  maxKeys: 3,
});
const orderDataArb = fc.record(
  {
    total: moneyArb,
    line_items: lineItemsArb,
    shipping_address: fc.option(addressArb, { nil: null }),
    customer_email: fc.option(fc.constantFrom("a@x.test", "b@x.test"), { nil: null }),
    tags: fc.array(fc.constantFrom("vip", "gift"), { maxLength: 2 }),
    note: fc.option(fc.constantFrom("door", "porch"), { nil: null }),
    attribution: attributionArb,
  },
  { requiredKeys: [] },
);
/** Post-capture cleanup that leaves locked fields alone (the common, harmless case). */
const detailsOnlyArb = fc.record(
  {
    customer_email: fc.option(fc.constantFrom("a@x.test", "b@x.test"), { nil: null }),
    note: fc.option(fc.constantFrom("door", "porch"), { nil: null }),
    attribution: attributionArb,
  },
  { requiredKeys: [] },
);

/** One planned event, before it gets its time and id. */
type SenderStep = { [T in EventType]: { type: T; data: EventInput<T> } }[EventType];
/** Handoff's own facts; a clearance names the exception by its position among the steps. */
type HandoffStep =
  | { type: "handoff.exception"; data: { kind: ExceptionKind; detail: string } }
  | { type: "handoff.exception_cleared"; clears: number };
type Step = SenderStep | HandoffStep;

const lifecycleArb = fc
  .record({
    created: orderDataArb,
    authorize: fc.boolean(),
    failFirst: fc.boolean(),
    preUpdates: fc.array(orderDataArb, { maxLength: 2 }),
    postUpdates: fc.array(fc.oneof(detailsOnlyArb, orderDataArb), { maxLength: 3 }),
    rejection: fc.constantFrom(null, "out_of_stock", "address_invalid"),
    progress: fc.integer({ min: 0, max: 4 }),
    ending: fc.oneof(
      { arbitrary: fc.constant("none"), weight: 4 },
      {
        arbitrary: fc.constantFrom(
          "cancel",
          "partial_refund",
          "full_refund",
          "refund_by_amount",
          "running_partial",
          "running_full",
          "both_senders",
        ),
        weight: 3,
      },
    ),
    attributions: fc.array(fc.tuple(fc.nat(), attributionArb), { maxLength: 3 }),
    exceptions: fc.array(fc.tuple(fc.nat(), fc.constantFrom(...EXCEPTION_KINDS), fc.boolean()), { maxLength: 2 }),
  })
  .map((p): Step[] => {
    const steps: Step[] = [{ type: "order.created", data: p.created }];
    if (p.failFirst) steps.push({ type: "payment.failed", data: { reason: "card_declined" } });
    if (p.authorize) steps.push({ type: "payment.authorized", data: { amount: money(5000), expires_at: "2026-03-08T00:00:00Z" } });
    for (const u of p.preUpdates) steps.push({ type: "order.updated", data: u });
    steps.push({ type: "payment.captured", data: { amount: money(5000) } });
    for (const u of p.postUpdates) steps.push({ type: "order.updated", data: u });
    if (p.progress >= 1) {
      steps.push({ type: "fulfillment.requested", data: { location: "loc-1" } });
      if (p.rejection) steps.push({ type: "fulfillment.rejected", data: { code: p.rejection, reason: "nope" } });
    }
    if (p.progress >= 2) steps.push({ type: "fulfillment.accepted", data: { location: "loc-2" } });
    if (p.progress >= 3) steps.push({ type: "shipment.shipped", data: { tracking_number: "T1" } });
    if (p.progress >= 4) steps.push({ type: "shipment.delivered", data: {} });
    if (p.ending === "cancel") steps.push({ type: "order.cancelled", data: { reason: "customer" } });
    if (p.ending === "partial_refund") steps.push({ type: "payment.refunded", data: { amount: money(1000), full: false } });
    if (p.ending === "full_refund") steps.push({ type: "payment.refunded", data: { amount: money(5000), full: true } });
    if (p.ending === "refund_by_amount") {
      steps.push({ type: "payment.refunded", data: { amount: money(2000), full: false } });
      steps.push({ type: "payment.refunded", data: { amount: money(3000), full: false } });
    }
    // Stripe reports each refund as the charge's running total; a stale (smaller) report may land anywhere.
    const running = (total: number, full = false): Step => ({
      type: "payment.refunded",
      data: { amount: money(total), payment_id: "pi_1", cumulative: true, full },
    });
    if (p.ending === "running_partial") steps.push(running(1500), running(3000), running(4000), running(1500));
    if (p.ending === "running_full") steps.push(running(2000), running(5000, true), running(3500));
    if (p.ending === "both_senders") {
      // Shopify reports the same money per refund (and re-sends one); Stripe reports it as running totals.
      const perRefund = (amount: number, refund_id: string): Step => ({ type: "payment.refunded", data: { amount: money(amount), refund_id, full: false } });
      steps.push(perRefund(2000, "r1"), running(2000), perRefund(2000, "r1"), perRefund(3000, "r2"), running(5000));
    }
    for (const [at, attribution] of p.attributions) steps.splice(at % (steps.length + 1), 0, { type: "attribution.updated", data: { attribution } });
    for (const [at, kind, clear] of p.exceptions) {
      const pos = at % (steps.length + 1);
      steps.splice(pos, 0, { type: "handoff.exception", data: { kind, detail: `${kind} at ${pos}` } });
      // Positions are final only once everything is spliced in, so clearances go last and point backwards.
      if (clear) steps.push({ type: "handoff.exception_cleared", clears: -1 });
    }
    // Resolve each clearance to the exception it pairs with (the n-th clearance clears the n-th exception).
    const exceptionAt = steps.flatMap((s, i) => (s.type === "handoff.exception" ? [i] : []));
    let n = 0;
    return steps.map((s) => (s.type === "handoff.exception_cleared" ? { ...s, clears: exceptionAt[n++] ?? -1 } : s));
  })
  .chain((steps) =>
    fc
      .tuple(
        // Gaps of 0 make ties, so the id tie-break is exercised too.
        fc.array(fc.constantFrom(0, 0, 1, 1000, 60_000, 3_600_000), { minLength: steps.length, maxLength: steps.length }),
        fc.array(fc.tuple(fc.constantFrom(...SOURCES), fc.constantFrom("a", "m", "z"), fc.option(fc.integer({ min: -720, max: 840 }))), {
          minLength: steps.length,
          maxLength: steps.length,
        }),
      )
      .map(([gaps, meta]) => {
        let at = T0;
        const ids = steps.map((step, i) => `${meta[i]?.[1] ?? "a"}-${i}-${step.type}`);
        return steps.map((step, i): MachineEvent => {
          at += gaps[i] ?? 0;
          const [source, , offset] = meta[i] ?? ["manual", "a", null];
          const id = ids[i] ?? `a-${i}`;
          const when = spell(at, offset);
          if (step.type === "handoff.exception") {
            return handoffEvent("handoff.exception", O, when, { ...step.data, export_id: "x1", step: "deliver" }, { id });
          }
          if (step.type === "handoff.exception_cleared") {
            const target = ids[step.clears] ?? "nothing";
            return handoffEvent("handoff.exception_cleared", O, when, { event_id: target, by: "ops", justification: "checked" }, { id });
          }
          return event(step.type, O, when, step.data, { source, id });
        });
      }),
  );

/** The lifecycle (in order), plus the same events shuffled with repeats of the same objects, plus arrival clocks. */
const deliveryArb = lifecycleArb.chain((events) =>
  fc
    .array(fc.nat({ max: events.length - 1 }), { maxLength: 10 })
    .chain((repeats) => {
      const all = [...events, ...repeats.flatMap((i) => events.slice(i, i + 1))];
      return fc.tuple(
        fc.constant(events),
        fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }),
        fc.array(fc.integer({ min: 0, max: 2 ** 45 }), { minLength: all.length, maxLength: all.length }),
      );
    }),
);

// ---- any schema-valid event ------------------------------------------------

const text = fc.string({ maxLength: 12 });
const anyMoney = fc.record({ amount_minor: fc.maxSafeNat(), currency: fc.constantFrom("USD", "EUR", "JPY") });
const anyInstant = fc
  .tuple(
    fc.integer({ min: Date.parse("0001-01-02T00:00:00Z"), max: Date.parse("9999-12-30T00:00:00Z") }),
    fc.option(fc.integer({ min: -1439, max: 1439 })),
    fc.constantFrom("", "123", "9"),
  )
  .map(([ms, offset, extraDigits]) => spell(ms, offset).replace(/(\.\d{3})/, `$1${extraDigits}`));
const anyPayment = { amount: anyMoney, payment_id: text, gateway: text };
const anyData: { [T in EventType]: fc.Arbitrary<EventInput<T>> } = {
  "order.created": fc.record(
    {
      total: anyMoney,
      line_items: fc.array(
        fc.record({ sku: text, quantity: fc.integer({ min: 0, max: 1_000_000 }), unit_price_minor: fc.maxSafeNat() }, { requiredKeys: ["sku", "quantity"] }),
        { maxLength: 4 },
      ),
      shipping_address: fc.option(fc.record({ name: text, address1: text, zip: text, country_code: text }, { requiredKeys: [] }), { nil: null }),
      customer_email: fc.option(text, { nil: null }),
      source_name: fc.option(text, { nil: null }),
      tags: fc.array(text, { maxLength: 3 }),
      note: fc.option(fc.string({ maxLength: 50 }), { nil: null }),
      attribution: fc.dictionary(fc.string({ maxLength: 10 }), fc.option(text, { nil: null }), { maxKeys: 4 }),
    },
    { requiredKeys: [] },
  ),
  "order.updated": fc.constant({}),
  "order.cancelled": fc.record({ reason: fc.option(text, { nil: null }) }, { requiredKeys: [] }),
  "payment.authorized": fc.record({ ...anyPayment, expires_at: anyInstant }, { requiredKeys: [] }),
  "payment.captured": fc.record(anyPayment, { requiredKeys: [] }),
  "payment.failed": fc.record({ ...anyPayment, reason: fc.option(text, { nil: null }) }, { requiredKeys: [] }),
  "payment.refunded": fc.record(
    { ...anyPayment, full: fc.boolean(), refund_id: fc.constantFrom("r1", "r2"), cumulative: fc.boolean() },
    { requiredKeys: ["full"] },
  ),
  "fulfillment.requested": fc.record({ fulfillment_id: text, location: text }, { requiredKeys: [] }),
  "fulfillment.accepted": fc.record({ fulfillment_id: text, location: text, export_id: text }, { requiredKeys: [] }),
  "fulfillment.rejected": fc.record(
    {
      fulfillment_id: text,
      location: text,
      export_id: text,
      code: fc.constantFrom("out_of_stock", "address_invalid", "unserviceable", "other"),
      reason: fc.option(text, { nil: null }),
    },
    { requiredKeys: [] },
  ),
  "shipment.shipped": fc.record({ carrier: text, tracking_number: text, tracking_url: text }, { requiredKeys: [] }),
  "shipment.delivered": fc.record({ carrier: text, tracking_number: text }, { requiredKeys: [] }),
  "attribution.updated": fc.record({ attribution: fc.dictionary(fc.string({ maxLength: 10 }), fc.option(text, { nil: null }), { maxKeys: 4 }) }),
};
anyData["order.updated"] = anyData["order.created"];

const anyEvent = fc
  .tuple(fc.constantFrom(...EVENT_TYPES), anyInstant, fc.constantFrom(...SOURCES), fc.constantFrom(O, O, O, "o-elsewhere"), text)
  .chain(([type, at, source, orderId, id]) => anyData[type].map((data) => ({ id: `x${id}`, type, order_id: orderId, occurred_at: at, source, data })))
  .map((raw) => CanonicalEvent.parse(raw));

/** Distinct ids per position: two different bodies under one id are a sender bug, not convergence. */
const anyEvents = fc.array(anyEvent, { maxLength: 25 }).map((es) => es.map((e, i) => ({ ...e, id: `${e.id}#${i}` })));

// ---- properties --------------------------------------------------------------

describe("order machine properties", () => {
  it("converges: any permutation with repeats and any arrival clock derives the in-order view", () => {
    fc.assert(
      fc.property(deliveryArb, ([inOrder, delivered, nows]) => {
        const expected = fold(inOrder);
        const got = fold(delivered, nows);
        expect(got.view).toEqual(expected.view);
        expect(got.facts).toEqual(expected.facts);
        expect(got.view).toEqual(derive(O, delivered));
        expect(OrderView.parse(got.view)).toEqual(got.view);
      }),
      { numRuns: 400 },
    );
    // 400 runs on a shared machine: the default 5 s would be a timing assertion.
  }, 60_000);

  it("counts every refund once, whichever senders report it and however: no lifecycle refunds more than its 5000 capture", () => {
    fc.assert(
      fc.property(deliveryArb, ([inOrder, delivered, nows]) => {
        const { view } = fold(delivered, nows);
        expect(view.payment.refunded_minor).toBeLessThanOrEqual(5000);
        const flaggedFull = inOrder.some((e) => e.type === "payment.refunded" && e.data.full);
        expect(view.milestones.refunded_at !== undefined).toBe(flaggedFull || view.payment.refunded_minor >= 5000);
        expect(view.state === "refunded").toBe(view.milestones.refunded_at !== undefined);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a fact set: unique ids, sorted by instant then id, one fact per distinct event", () => {
    fc.assert(
      fc.property(deliveryArb, ([inOrder, delivered, nows]) => {
        const { facts, view } = fold(delivered, nows);
        const ids = facts.map((f) => f.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.length).toBe(new Set(inOrder.map((e) => e.id)).size);
        expect(view.facts_count).toBe(ids.length);
        for (let i = 1; i < facts.length; i++) {
          const a = facts[i - 1];
          const b = facts[i];
          if (!a || !b) continue;
          const [ta, tb] = [Date.parse(a.occurred_at), Date.parse(b.occurred_at)];
          expect(ta < tb || (ta === tb && a.id < b.id)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("re-applying every fact changes nothing and is audited only as duplicates", () => {
    fc.assert(
      fc.property(deliveryArb, fc.integer({ min: 0, max: 2 ** 45 }), ([, delivered, nows], now) => {
        const state = fold(delivered, nows);
        for (const f of state.facts) {
          const step = transition(state, f, now);
          expect(step.state).toBe(state);
          expect(step.effects.map((e) => e.entry.type)).toEqual(["event.duplicate"]);
        }
        expect(fold(state.facts, [], state)).toBe(state);
      }),
      { numRuns: 200 },
    );
  });

  it("never throws on any schema-valid events, always yields a valid view, and still converges", () => {
    fc.assert(
      fc.property(
        anyEvents.chain((es) => {
          const twice = [...es, ...es];
          return fc.tuple(fc.constant(es), fc.shuffledSubarray(twice, { minLength: twice.length, maxLength: twice.length }));
        }),
        fc.array(fc.integer()),
        ([events, shuffled], nows) => {
          const inOrder = fold(events);
          const got = fold(shuffled, nows);
          expect(got.view).toEqual(inOrder.view);
          expect(OrderView.parse(got.view)).toEqual(got.view);
          expect(ORDER_STATES).toContain(got.view.state);
          expect(got.view.locked).toBe(got.view.milestones.captured_at !== undefined);
          expect(got.facts.every((f) => f.order_id === O)).toBe(true);
          expect(got.view.facts_count).toBe(events.filter((e) => e.order_id === O).length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
