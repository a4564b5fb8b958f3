import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coversTotal, shipmentIdentity } from "../../../domain/order/disputes";
import { derive } from "../../../domain/order/view";
import type { MachineEvent } from "../../../domain/events/handoff-events";
import { event, money } from "../../helpers/events";

const O = "o-disputes";
const t = (hhmm: string): string => `2026-03-01T${hhmm}:00Z`;
const created = event("order.created", O, t("10:00"), { total: money(19900), line_items: [{ sku: "MUG", quantity: 1 }] });
const capture = (at: string, amount: number, currency = "USD", id?: string) =>
  event("payment.captured", O, t(at), { amount: money(amount, currency), payment_id: "pi_1" }, id === undefined ? {} : { id });
const accepted = (at: string, location: string | undefined, source = "wms") =>
  event("fulfillment.accepted", O, t(at), location === undefined ? {} : { location }, { source, id: `${source}:acc:${location ?? "none"}:${at}` });
const shipped = (at: string, data: { tracking_number?: string; fulfillment_id?: string }, source = "carrier") =>
  event("shipment.shipped", O, t(at), data, { source, id: `${source}:ship:${at}:${data.tracking_number ?? data.fulfillment_id ?? "none"}` });

function holds(facts: MachineEvent[]) {
  return derive(O, facts).holds.map((h) => ({ reason: h.reason, event_id: h.event_id }));
}

describe("payment_mismatch: a capture must cover the order's total", () => {
  it("a capture of 0 against a 199.00 order holds it instead of routing (Stripe's charge.captured with amount_captured 0)", () => {
    const zero = capture("10:05", 0);
    const view = derive(O, [created, zero]);
    expect(view.state).toBe("on_hold");
    expect(view.holds).toEqual([{ reason: "payment_mismatch", event_id: zero.id, detail: "captured 0.00 USD, less than the order total 199.00 USD" }]);
  });

  it("a capture in another currency holds it, whatever the amount", () => {
    const eur = capture("10:05", 50_000, "EUR");
    expect(derive(O, [created, eur]).holds).toEqual([
      { reason: "payment_mismatch", event_id: eur.id, detail: "captured 500.00 EUR, in another currency than the order total 199.00 USD" },
    ]);
  });

  it("a later capture that covers it releases the hold, in either arrival order", () => {
    const partial = capture("10:05", 10_000, "USD", "cap-partial");
    const full = capture("10:20", 19_900, "USD", "cap-full");
    expect(derive(O, [created, partial, full]).state).toBe("paid");
    expect(derive(O, [full, partial, created]).state).toBe("paid");
  });

  it("captures are not summed: two reports of one payment must not pass a partial capture", () => {
    const a = capture("10:05", 10_000, "USD", "pi-succeeded");
    const b = capture("10:06", 10_000, "USD", "ch-captured");
    expect(holds([created, a, b])).toEqual([{ reason: "payment_mismatch", event_id: a.id }]);
  });

  it("cannot judge without a total or without an amount", () => {
    expect(derive(O, [capture("10:05", 0)]).holds).toEqual([]);
    const bare = event("payment.captured", O, t("10:05"), {});
    expect(derive(O, [created, bare]).holds).toEqual([]);
    expect(coversTotal(undefined, money(1))).toBeNull();
  });

  it("zero-decimal currencies are shown in their own units", () => {
    const yen = event("order.created", O, t("10:00"), { total: money(5000, "JPY") });
    const short = capture("10:05", 4000, "JPY");
    expect(derive(O, [yen, short]).holds[0]?.detail).toBe("captured 4000 JPY, less than the order total 5000 JPY");
  });
});

describe("duplicate_fulfillment: two shipments for one order", () => {
  it("two tracking numbers from any senders open one hold, on the fact that brought the second parcel", () => {
    const first = shipped("12:00", { tracking_number: "1Z-A" });
    const second = shipped("12:30", { tracking_number: "DP-B" }, "shopify");
    expect(holds([created, capture("10:05", 19_900), first, second])).toEqual([{ reason: "duplicate_fulfillment", event_id: second.id }]);
    expect(derive(O, [second, first]).holds[0]?.detail).toBe("2 different shipments for one order (tracking:1Z-A, tracking:DP-B)");
  });

  it("the same parcel reported twice (same tracking number, or no identity at all) is one shipment", () => {
    expect(holds([shipped("12:00", { tracking_number: "1Z-A" }), shipped("12:05", { tracking_number: "1Z-A" }, "shopify")])).toEqual([]);
    expect(holds([shipped("12:00", { tracking_number: "1Z-A" }), shipped("12:05", {}, "shopify")])).toEqual([]);
    expect(shipmentIdentity(shipped("12:00", { fulfillment_id: "F1" }))).toBe("fulfillment:F1");
  });

  it("stays open after delivery: a delivered order with two parcels still needs a person", () => {
    const view = derive(O, [
      created,
      capture("10:05", 19_900),
      shipped("12:00", { tracking_number: "1Z-A" }),
      shipped("12:30", { tracking_number: "DP-B" }),
      event("shipment.delivered", O, t("15:00"), {}),
    ]);
    expect(view.state).toBe("delivered");
    expect(view.holds.map((h) => h.reason)).toEqual(["duplicate_fulfillment"]);
  });
});

describe("conflicting_fulfillment: two locations accepted the order", () => {
  it("acceptances from DC-EAST-1 and DEMO-DC-1 are a conflict, not a re-decision", () => {
    const a = accepted("11:00", "DC-EAST-1");
    const b = accepted("11:01", "DEMO-DC-1");
    const view = derive(O, [created, capture("10:05", 19_900), a, b]);
    expect(view.state).toBe("on_hold");
    expect(view.holds).toEqual([
      { reason: "conflicting_fulfillment", event_id: b.id, detail: "accepted by 2 locations (DC-EAST-1, DEMO-DC-1): which one ships it is for a person to decide" },
    ]);
  });

  it("the same location twice, or an acceptance without one, is no conflict", () => {
    expect(holds([accepted("11:00", "DC-1"), accepted("11:05", "DC-1", "shopify"), accepted("11:06", undefined)])).toEqual([]);
  });

  it("every arrival order of the same facts derives the same holds (property)", () => {
    const facts = [
      created,
      capture("10:05", 10_000, "USD", "cap-short"),
      capture("10:06", 19_900, "USD", "cap-full"),
      accepted("11:00", "DC-EAST-1"),
      accepted("11:00", "DEMO-DC-1", "oms"),
      shipped("12:00", { tracking_number: "T1" }),
      shipped("12:00", { tracking_number: "T2" }, "shopify"),
      shipped("12:01", { tracking_number: "T1" }, "shopify"),
    ];
    const expected = holds(facts);
    expect(expected.map((h) => h.reason)).toEqual(["duplicate_fulfillment", "conflicting_fulfillment"]);
    fc.assert(
      fc.property(fc.shuffledSubarray(facts, { minLength: 1 }), (subset) => {
        const shuffled = [...subset].reverse();
        expect(holds(shuffled)).toEqual(holds(subset));
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.shuffledSubarray(facts, { minLength: facts.length, maxLength: facts.length }), (order) => {
        expect(holds(order)).toEqual(expected);
      }),
    );
  });
});
