import { describe, expect, it } from "vitest";
import {
  actedOnCancelled,
  cancellationId,
  cancellationMessage,
  cancelledExportId,
  ExportCancellation,
  retraction,
  type ExportRef,
} from "../../../domain/handoff/cancellation";
import { EXPORT_STATUSES, exportId, HandoffExport, parseExportId, type ExportStatus } from "../../../domain/handoff/document";
import { planExports } from "../../../domain/handoff/plan";
import { derive } from "../../../domain/order/view";
import { event, money } from "../../helpers/events";
import { exampleRules } from "../../helpers/ownership";

const O = "o-cxl";
const V1 = exportId("request_shipment", 1, O);
const V2 = exportId("request_shipment", 2, O);
const t = (hhmm: string): string => `2026-03-01T${hhmm}:00Z`;

describe("which exports are withdrawn silently and which must be cancelled with the consumer", () => {
  it("only what never left is withdrawn; anything the consumer may hold is cancelled", () => {
    const table = Object.fromEntries(EXPORT_STATUSES.map((s) => [s, [retraction(s, false), retraction(s, true)]]));
    expect(table).toEqual({
      pending: ["withdraw", "cancel"],
      blocked: ["none", "none"],
      delivered: ["cancel", "cancel"],
      acked: ["cancel", "cancel"],
      rejected: ["none", "none"],
      failed: ["none", "none"],
      superseded: ["none", "none"],
      awaiting_cancellation: ["withdraw", "withdraw"],
      cancelling: ["none", "none"],
      cancelled: ["none", "none"],
      not_cancelled: ["none", "none"],
    } satisfies Record<ExportStatus, [string, string]>);
  });
});

describe("the cancellation message", () => {
  const ex = HandoffExport.parse({
    export_id: V1,
    version: 1,
    supersedes: null,
    tenant: "t1",
    order_id: O,
    step: "shipping",
    owning_party: "3pl",
    owner: "ship@x",
    decision_version: 1,
    intended_action: "request_shipment",
    order: { total: money(100), line_items: [], shipping_address: null, location: "DC-1" },
    sla: { due_at: t("12:00"), ship_by: t("12:00") },
    exception_path: null,
    expires_at: t("13:00"),
    issued_at: t("11:00"),
    justification: null,
    audit_trail: [],
  });

  it("has its own stable id that still routes to the order, and names what it cancels and what replaces it", () => {
    const msg = cancellationMessage(ex, V2, "superseded by a new decision version", Date.parse(t("11:30")));
    expect(ExportCancellation.parse(msg)).toEqual({
      type: "export.cancelled",
      cancellation_id: `cxl_${V1}`,
      export_id: V1,
      order_id: O,
      tenant: "t1",
      cancelled: { intended_action: "request_shipment", version: 1 },
      superseded_by: V2,
      reason: "superseded by a new decision version",
      issued_at: "2026-03-01T11:30:00.000Z",
    });
    expect(cancelledExportId(cancellationId(V1))).toBe(V1);
    expect(parseExportId(cancelledExportId(msg.cancellation_id) ?? "")?.orderId).toBe(O);
    expect(cancelledExportId(V1)).toBeNull();
  });

  it("cannot be mistaken for an export by a consumer that does not know it", () => {
    const msg = cancellationMessage(ex, null, "order cancelled", 0);
    expect(HandoffExport.safeParse(msg).success).toBe(false);
    expect("intended_action" in msg).toBe(false);
  });
});

describe("a consumer acting on a version it was asked to drop", () => {
  const ship = (tracking: string, exportIdNamed?: string) =>
    event("shipment.shipped", O, t("12:00"), exportIdNamed === undefined ? { tracking_number: tracking } : { tracking_number: tracking, export_id: exportIdNamed }, { id: `ship-${tracking}` });
  const refs = (v1: ExportStatus, v2: ExportStatus): ExportRef[] => [
    { export_id: V1, action: "request_shipment", status: v1 },
    { export_id: V2, action: "request_shipment", status: v2 },
  ];

  it("a shipment naming the cancelled version is found, while cancelling or after", () => {
    expect(actedOnCancelled([ship("T1", V1)], refs("cancelling", "awaiting_cancellation"))).toEqual([{ export_id: V1, event_id: "ship-T1" }]);
    expect(actedOnCancelled([ship("T1", V1)], refs("cancelled", "delivered"))).toEqual([{ export_id: V1, event_id: "ship-T1" }]);
    expect(actedOnCancelled([ship("T2", V2)], refs("cancelled", "delivered"))).toEqual([]);
  });

  it("a shipment naming no export counts against the cancelled version only when nothing else could have been shipped", () => {
    expect(actedOnCancelled([ship("T1")], refs("cancelling", "awaiting_cancellation"))).toEqual([{ export_id: V1, event_id: "ship-T1" }]);
    expect(actedOnCancelled([ship("T1")], refs("cancelled", "delivered"))).toEqual([]);
  });

  it("an acceptance acts on a routing export, never on a shipping one", () => {
    const acc = event("fulfillment.accepted", O, t("11:00"), { export_id: V1, location: "DC-1" });
    expect(actedOnCancelled([acc], refs("cancelling", "awaiting_cancellation"))).toEqual([]);
  });
});

describe("the planner with exports being cancelled", () => {
  const created = event("order.created", O, t("10:00"), { total: money(100), line_items: [{ sku: "A", quantity: 1 }] });
  const captured = event("payment.captured", O, t("10:01"), { amount: money(100) });
  const accepted = event("fulfillment.accepted", O, t("10:05"), { location: "DC-2" });
  const facts = [created, captured, accepted];
  const view = derive(O, facts);
  const rules = { version: 1, rules: exampleRules() };
  const now = Date.parse(t("10:06"));
  const first = planExports("t1", view, facts, rules, [], now);
  const v1 = first.issue.find((e) => e.intended_action === "request_shipment");
  if (!v1) throw new Error("no shipping decision");
  // The same decision for another location: what a changed decision looks like.
  const elsewhere: HandoffExport = { ...v1, order: { ...v1.order, location: "DC-1" } };
  const shippingPlan = (status: ExportStatus) => planExports("t1", view, facts, rules, [{ export: elsewhere, status }], now);

  it("a delivered version that no longer matches is superseded by v2 (the object then cancels it)", () => {
    const plan = shippingPlan("delivered");
    expect(plan.supersede).toEqual([V1.replace(O, view.order_id)]);
    expect(plan.issue.map((e) => [e.export_id, e.supersedes])).toEqual([[exportId("request_shipment", 2, O), exportId("request_shipment", 1, O)]]);
  });

  it("a version the consumer refused to drop stands: nothing new is issued until a person decides", () => {
    expect(shippingPlan("not_cancelled").issue).toEqual([]);
  });

  it("a cancelled version is no longer a decision: the next one is issued with nothing to supersede", () => {
    const plan = shippingPlan("cancelled");
    expect(plan.supersede).toEqual([]);
    expect(plan.issue.map((e) => e.version)).toEqual([2]);
  });
});
