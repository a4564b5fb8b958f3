import { z } from "zod";
import { Address, LineItem, Money } from "../events/canonical";

/**
 * The handoff artifact: one decision, sent to the system that must act on it.
 * Append-only: a changed decision is a new version with a new export_id, and
 * the same decision is never issued twice.
 */
export const INTENDED_ACTIONS = ["fulfil_order", "request_shipment", "backorder_order"] as const;
export const IntendedAction = z.enum(INTENDED_ACTIONS);
export type IntendedAction = z.infer<typeof IntendedAction>;

/** Which workflow step hands off which action. */
export const ACTION_STEP = { fulfil_order: "routing", request_shipment: "shipping", backorder_order: "routing" } as const satisfies Record<IntendedAction, string>;

export const HandoffExport = z
  .object({
    export_id: z.string().describe("Stable across retries: it is the Standard Webhooks webhook-id, so consumers dedupe on it"),
    version: z.number().int().min(1).describe("1 for the first decision of this action; a changed decision is a new version"),
    supersedes: z.string().nullable().describe("export_id of the version this one replaces"),
    tenant: z.string(),
    order_id: z.string(),
    step: z.string().describe("The workflow step in the ownership rules"),
    owning_party: z.string(),
    owner: z.string(),
    decision_version: z.number().int().describe("Version of the tenant's ownership rules the decision used"),
    intended_action: IntendedAction,
    order: z.object({
      total: Money.nullable(),
      line_items: z.array(LineItem),
      shipping_address: Address.nullable(),
      location: z.string().nullable(),
    }),
    sla: z.object({
      due_at: z.string().describe("When the consumer's part must be done (acceptance for fulfil_order, shipment for request_shipment)"),
      ship_by: z.string().nullable(),
    }),
    exception_path: z.object({ type: z.string(), contact_id: z.string() }).nullable(),
    watchers: z
      .array(z.string())
      .default([])
      .describe("Contacts told about changes to this decision (steps.<step>.watchers); they do not own it"),
    expires_at: z.string().describe("After this the decision is stale and must not be acted on"),
    valid_until: z
      .string()
      .nullable()
      .default(null)
      .describe(
        "The decision's TTL (issued_at + steps.<step>.valid_for). Not acknowledged by then, it is decided again from the facts and rules of that moment and replaced by a new version; it is never delivered after it",
      ),
    issued_at: z.string(),
    justification: z.string().nullable().describe("Required on a manual override"),
    audit_trail: z
      .array(z.object({ event_id: z.string(), type: z.string(), source: z.string(), occurred_at: z.string() }))
      .describe("The facts the decision was made from"),
  })
  .meta({ title: "Handoff export", description: "What Handoff sends a consumer: one decision about one order, signed as a Standard Webhook" });
export type HandoffExport = z.infer<typeof HandoffExport>;

/**
 * `blocked`: the QA gate refused it; it was never sent.
 * `superseded`: withdrawn before anything was sent. `awaiting_cancellation`: a
 * replacement held back until the consumer confirms the version it replaces is
 * cancelled. `cancelling` → `cancelled`: the consumer was asked to drop it and
 * agreed. `not_cancelled`: it refused, never answered, or had already acted; it
 * stands until a person decides (see cancellation.ts).
 */
export const EXPORT_STATUSES = [
  "pending",
  // Refused by the QA gate (gate.ts): stored for the record, never sent; a fix or an override issues a new version.
  "blocked",
  "delivered",
  "acked",
  "rejected",
  "failed",
  "superseded",
  "awaiting_cancellation",
  "cancelling",
  "cancelled",
  "not_cancelled",
] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/**
 * How an export came to be acknowledged: a signed ack, the consumer's own
 * inbound event (a WMS acceptance, a carrier shipment), or — for a contract
 * with `requires_ack: false` — its 2xx delivery. Every one sets `acked_at` and
 * writes an `export.acked` audit entry: one definition for the order API, the
 * D1 handoffs table, the analytics exports and the notebooks.
 */
export const ACK_VIAS = ["ack", "event", "delivery"] as const;
export const AckVia = z.enum(ACK_VIAS);
export type AckVia = z.infer<typeof AckVia>;

export const DeliveryAttempt = z.object({
  n: z.number().int(),
  at: z.string(),
  status: z.number().int().nullable(),
  latency_ms: z.number().int(),
  error_class: z.string().nullable(),
  outcome: z.string(),
  next_attempt_at: z.string().nullable(),
});
export type DeliveryAttempt = z.infer<typeof DeliveryAttempt>;

export const ExportState = z.object({
  export: HandoffExport,
  status: z.enum(EXPORT_STATUSES),
  consumer_url: z.string().nullable(),
  requires_ack: z.boolean(),
  delivered_at: z.string().nullable(),
  acked_at: z.string().nullable(),
  ack: z.object({ status: z.enum(["accepted", "rejected"]), reason: z.string().nullable(), via: AckVia }).nullable(),
  next_attempt_at: z.string().nullable(),
  attempts: z.array(DeliveryAttempt),
});
export type ExportState = z.infer<typeof ExportState>;

/**
 * `exp_<action>_v<n>_<order id>`: readable, and routable to the order's object
 * from the id alone (the ack endpoint gets nothing else). Order ids may hold
 * `_`, so the order id is everything after the third separator.
 */
export function exportId(action: IntendedAction, version: number, orderId: string): string {
  return `exp_${action}_v${version}_${orderId}`;
}

export function parseExportId(id: string): { action: IntendedAction; version: number; orderId: string } | null {
  const m = /^exp_(fulfil_order|request_shipment|backorder_order)_v([1-9][0-9]{0,5})_(.+)$/.exec(id);
  if (!m?.[1] || !m[2] || !m[3]) return null;
  const action = IntendedAction.safeParse(m[1]);
  return action.success ? { action: action.data, version: Number(m[2]), orderId: m[3] } : null;
}
