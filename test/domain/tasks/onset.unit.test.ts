import { describe, expect, it } from "vitest";
import { taskOnset, type OnsetFacts } from "../../../domain/tasks/onset";

const NONE: OnsetFacts = { last_verified_receipt_at: null, source_configured_at: null, stuck_since: null, stuck_sla_ms: null, breach_due_at: null };

describe("taskOnset: where time to detect starts, per detector", () => {
  it("a silent sender: its last verified receipt, else when it was configured", () => {
    expect(taskOnset("source_silent", { ...NONE, last_verified_receipt_at: "2026-12-07T10:00:00.500Z", source_configured_at: "2026-11-01T00:00:00Z" })).toBe("2026-12-07T10:00:00.500Z");
    expect(taskOnset("source_silent", { ...NONE, source_configured_at: "2026-11-01T00:00:00Z" })).toBe("2026-11-01T00:00:00.000Z");
  });

  it("a stuck order: when its step came due; an SLA breach: the step's due time", () => {
    expect(taskOnset("stuck_order", { ...NONE, stuck_since: "2026-12-07T09:00:00Z", stuck_sla_ms: 3_600_000 })).toBe("2026-12-07T10:00:00.000Z");
    expect(taskOnset("stuck_order", { ...NONE, stuck_since: "2026-12-07T09:00:00Z" })).toBeNull();
    expect(taskOnset("sla_breach", { ...NONE, breach_due_at: "2026-12-07T11:00:00Z" })).toBe("2026-12-07T11:00:00.000Z");
    expect(taskOnset("payment_not_captured", { ...NONE, breach_due_at: "2026-12-07T11:00:00Z" })).toBe("2026-12-07T11:00:00.000Z");
  });

  it("says nothing rather than guess: other detectors, and times that do not parse", () => {
    expect(taskOnset("consumer_rejected", { ...NONE, breach_due_at: "2026-12-07T11:00:00Z" })).toBeNull();
    expect(taskOnset("source_silent", { ...NONE, last_verified_receipt_at: "yesterday" })).toBeNull();
  });
});
