import { describe, expect, it } from "vitest";
import { lastActivity, mismatches } from "../../../domain/watchers/reconcile";

const T = "2026-11-02T10:00:00.000Z";

describe("receipts that do not add up across senders", () => {
  it("a capture whose order never arrived", () => {
    expect(mismatches("paid", { captured_at: T }).map((m) => m.kind)).toEqual(["capture_without_order"]);
    expect(mismatches("paid", { created_at: T, captured_at: T })).toEqual([]);
  });

  it("a warehouse acceptance never captured, unless the order ended", () => {
    expect(mismatches("accepted", { created_at: T, authorized_at: T, accepted_at: T }).map((m) => m.kind)).toEqual(["accepted_never_captured"]);
    expect(mismatches("cancelled", { created_at: T, accepted_at: T, cancelled_at: T })).toEqual([]);
  });

  it("a shipment for a cancelled or refunded order names the ending event on the other side", () => {
    const [c] = mismatches("cancelled", { created_at: T, captured_at: T, shipped_at: T, cancelled_at: T });
    expect(c).toMatchObject({ kind: "shipped_after_cancel", have: ["shipment.shipped"], missing_or_conflicting: ["order.cancelled"] });
    const [r] = mismatches("refunded", { created_at: T, captured_at: T, shipped_at: T, refunded_at: T });
    expect(r?.missing_or_conflicting).toEqual(["payment.refunded"]);
  });

  it("a healthy lifecycle is not a mismatch", () => {
    expect(mismatches("delivered", { created_at: T, captured_at: T, routed_at: T, accepted_at: T, shipped_at: T, delivered_at: T })).toEqual([]);
  });

  it("judges the gap from the last thing that happened", () => {
    expect(lastActivity({ created_at: T, captured_at: "2026-11-02T11:00:00.000Z" }, T)).toBe(Date.parse("2026-11-02T11:00:00.000Z"));
  });
});
