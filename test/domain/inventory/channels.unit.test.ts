import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { afterAttempt, emptySlot, offer, stockMessageId, StockChannelInput, type ChannelSlot } from "../../../domain/inventory/channels";

const NOW = Date.parse("2026-12-07T10:00:00.000Z");
const retry = (at: number) => ({ kind: "retry" as const, at, reason: "HTTP 503; backoff" });

describe("stock channels: one slot per channel, coalesced and versioned", () => {
  it("a level a channel has not seen makes its slot pending now; an older or equal one changes nothing", () => {
    const s = offer(emptySlot("amazon"), 3, NOW);
    expect(s).toMatchObject({ status: "pending", pending_version: 3, next_at: NOW, attempts: 0 });
    expect(s && offer(s, 3, NOW + 1)).toBeNull();
    expect(s && offer(s, 2, NOW + 1)).toBeNull();
    const delivered: ChannelSlot = { ...emptySlot("amazon"), delivered_version: 5 };
    expect(offer(delivered, 5, NOW)).toBeNull();
    expect(offer(delivered, 4, NOW)).toBeNull();
  });

  it("a change while the channel is failing overwrites the pending version and keeps the retry schedule", () => {
    const first = offer(emptySlot("shop"), 1, NOW);
    if (!first) throw new Error("expected a pending slot");
    const failing = afterAttempt(first, 1, retry(NOW + 60_000), NOW, NOW + 10);
    expect(failing).toMatchObject({ status: "pending", attempts: 1, first_attempt_at: NOW, next_at: NOW + 60_000, pending_version: 1 });
    const overwritten = offer(failing, 7, NOW + 20);
    expect(overwritten).toMatchObject({ status: "pending", pending_version: 7, attempts: 1, next_at: NOW + 60_000, first_attempt_at: NOW });
  });

  it("delivery of the version in flight leaves a newer one pending at once, else the slot is up to date", () => {
    const inFlight: ChannelSlot = { ...emptySlot("shop"), status: "pending", pending_version: 9, attempts: 2, first_attempt_at: NOW, next_at: NOW };
    expect(afterAttempt(inFlight, 8, { kind: "delivered" }, NOW, NOW + 5)).toMatchObject({ delivered_version: 8, status: "pending", pending_version: 9, attempts: 0, next_at: NOW + 5 });
    expect(afterAttempt(inFlight, 9, { kind: "delivered" }, NOW, NOW + 5)).toMatchObject({ delivered_version: 9, status: "idle", pending_version: null, next_at: null });
  });

  it("a rejection or exhaustion stops the slot until the next change reopens it with a fresh schedule", () => {
    const pending: ChannelSlot = { ...emptySlot("shop"), status: "pending", pending_version: 4, attempts: 3, first_attempt_at: NOW, next_at: NOW };
    const rejected = afterAttempt(pending, 4, { kind: "rejected", reason: "HTTP 410" }, NOW, NOW);
    expect(rejected).toMatchObject({ status: "rejected", next_at: null, last_error: "HTTP 410", attempts: 4 });
    expect(offer(rejected, 4, NOW + 1)).toBeNull();
    expect(offer(rejected, 5, NOW + 1)).toMatchObject({ status: "pending", pending_version: 5, attempts: 0, first_attempt_at: null, next_at: NOW + 1 });
  });

  it("whatever the order of offers and outcomes, a channel never goes back to an older version and ends on the newest once delivered", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.record({ offer: fc.integer({ min: 1, max: 50 }) }), fc.record({ deliver: fc.boolean() })), { maxLength: 60 }), (steps) => {
        let slot = emptySlot("c");
        let newest = 0;
        for (const step of steps) {
          if ("offer" in step) {
            newest = Math.max(newest, step.offer);
            slot = offer(slot, step.offer, NOW) ?? slot;
          } else if (slot.status === "pending" && slot.pending_version !== null) {
            const before = slot.delivered_version;
            // What goes out is the newest level at the moment of sending.
            slot = afterAttempt(slot, newest, step.deliver ? { kind: "delivered" } : retry(NOW + 1000), NOW, NOW);
            expect(slot.delivered_version).toBeGreaterThanOrEqual(before);
          }
        }
        if (slot.status === "pending") slot = afterAttempt(slot, newest, { kind: "delivered" }, NOW, NOW);
        expect(slot.delivered_version).toBe(newest);
      }),
    );
  });

  it("the message id names tenant, SKU and version: stable across retries of one level, new for the next", () => {
    expect(stockMessageId("acme", "MUG-01", 12)).toBe("stock_acme_MUG-01_v12");
    expect(stockMessageId("acme", "MUG-01", 13)).not.toBe(stockMessageId("acme", "MUG-01", 12));
  });

  it("a channel needs an http(s) URL and a Standard Webhooks secret", () => {
    expect(StockChannelInput.safeParse({ url: "https://shop.example/stock", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }).success).toBe(true);
    expect(StockChannelInput.safeParse({ url: "ftp://shop.example", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }).success).toBe(false);
    expect(StockChannelInput.safeParse({ url: "https://shop.example", secret: "plain" }).success).toBe(false);
  });
});
