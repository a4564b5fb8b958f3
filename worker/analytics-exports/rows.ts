import { z } from "zod";

/**
 * Rows of the analytics exports (`/v1/tenants/:tenant/exports/{events,orders,tasks,admin}.{ndjson,csv}`).
 * Stable, documented columns: notebooks read them with DuckDB's `read_csv`, and
 * DuckDB-wasm here has no JSON extension, so everything a query needs is a
 * flat column — nothing is left for SQL to dig out of a JSON string.
 * Timestamps are UTC ISO-8601; money is integer minor units. Column order is
 * the order of the keys below (CSV header and NDJSON keys alike).
 */

const ts = z.string().nullable().describe("UTC ISO-8601 timestamp, or null");

export const EventRow = z
  .object({
    tenant_id: z.string(),
    order_id: z.string(),
    seq: z.number().int().describe("Position in the order's audit chain (1-based)"),
    at: z.string().describe("When Handoff recorded it"),
    type: z.string().describe("Audit entry type: receipt.recorded, event.applied, event.duplicate, export.attempt, sla.breached, task.opened, …"),
    event_type: z.string().nullable().describe("Canonical event type, for event.applied / event.duplicate"),
    event_id: z.string().nullable(),
    source: z.string().nullable().describe("Sender name (receipts, events)"),
    occurred_at: ts.describe("When the sender says it happened"),
    state_from: z.string().nullable(),
    state_to: z.string().nullable(),
    receipt_id: z.string().nullable(),
    export_id: z.string().nullable(),
    step: z.string().nullable().describe("Workflow step (exports, breaches, tasks)"),
    level: z.number().int().nullable().describe("Escalation level: 0 owner, 1 backup, 2 on-call"),
    contact: z.string().nullable(),
    owner: z.string().nullable(),
    owning_party: z.string().nullable(),
    status: z.number().int().nullable().describe("HTTP status of a delivery attempt"),
    error_class: z.string().nullable(),
    outcome: z.string().nullable().describe("Delivery attempt outcome: delivered, retry, rejected, exhausted"),
    kind: z.string().nullable().describe("Exception / hold / task kind"),
    ack_via: z
      .string()
      .nullable()
      .describe("On export.acked: how the export was acknowledged — ack (signed), event (the consumer's own event), delivery (2xx to a consumer that owes no ack)"),
    lag_ms: z.number().int().nullable().describe("Arrival minus occurrence, for applied events"),
    data: z.string().describe("The full audit entry data as JSON text"),
  })
  .meta({ title: "Handoff events export row" });
export type EventRow = z.infer<typeof EventRow>;

export const OrderRow = z
  .object({
    tenant_id: z.string(),
    order_id: z.string(),
    source: z.string().nullable().describe("The sender that first told us about the order"),
    state: z.string(),
    value_minor: z.number().int().nullable(),
    currency: z.string().nullable(),
    utm_source: z.string().nullable(),
    utm_medium: z.string().nullable(),
    utm_campaign: z.string().nullable(),
    channel: z.string().nullable(),
    created_at: ts,
    authorized_at: ts,
    captured_at: ts,
    payment_failed_at: ts,
    routed_at: ts,
    accepted_at: ts,
    backordered_at: ts,
    rejected_at: ts,
    shipped_at: ts,
    delivered_at: ts,
    cancelled_at: ts,
    refunded_at: ts,
    holds: z.number().int().describe("Open holds now"),
    conflicts: z.number().int().describe("Locked-field conflicts recorded"),
    breaches: z.number().int().describe("SLA breaches recorded at level 0 (one per step that breached)"),
    open_breaches: z.number().int(),
    tasks: z.number().int().describe("Manual tasks ever opened for the order"),
    open_tasks: z.number().int(),
    next_due_at: ts.describe("Earliest running SLA deadline"),
    updated_at: z.string(),
  })
  .meta({ title: "Handoff orders export row" });
export type OrderRow = z.infer<typeof OrderRow>;

export const TaskRow = z
  .object({
    tenant_id: z.string(),
    task_id: z.string(),
    order_id: z.string().nullable(),
    rejection_id: z.string().nullable(),
    type: z.string().describe("consumer_rejected, delivery_failed, ack_missing, sla_breach, payment_not_captured, locked_field_conflict, fulfillment_rejected, schema_rejection, inventory_drift, …; the watchers' stuck_order, source_silent, reconciliation_mismatch"),
    status: z.string().describe("open, claimed, resolved, cancelled"),
    owner: z.string(),
    owning_party: z.string(),
    level: z.number().int(),
    value_minor: z.number().int().nullable(),
    currency: z.string().nullable(),
    opened_at: z.string(),
    sla_due: z.string(),
    claimed_at: ts,
    claimed_by: z.string().nullable(),
    resolved_at: ts,
    resolved_by: z.string().nullable(),
    action: z.string().nullable().describe("replay, override, close"),
    first_response_ms: z.number().int().nullable().describe("opened → claimed"),
    resolve_ms: z.number().int().nullable().describe("opened → resolved"),
    onset_at: ts.describe(
      "When the trouble began, from the task's evidence: source_silent the sender's last verified receipt, stuck_order and sla_breach / payment_not_captured the step's due time; null where the evidence does not say (domain/tasks/onset.ts)",
    ),
    detect_ms: z.number().int().nullable().describe("onset → opened: time to detect"),
  })
  .meta({ title: "Handoff tasks export row" });
export type TaskRow = z.infer<typeof TaskRow>;

export const AdminRow = z
  .object({
    tenant_id: z.string(),
    seq: z.number().int().describe("Position in the tenant's admin audit chain (1-based)"),
    at: z.string(),
    type: z.string().describe("tenant.created, key.issued, key.revoked, source.put, rules.put, …"),
    actor: z.string().describe("The acting key's name, `admin` for the bootstrap token"),
    via: z.string().nullable().describe("The acting key's prefix, or `admin`"),
    hash: z.string().describe("SHA-256 chain link (GET …/admin-audit verifies the chain)"),
    data: z.string().describe("The full entry data as JSON text"),
  })
  .meta({ title: "Handoff admin export row" });
export type AdminRow = z.infer<typeof AdminRow>;

export const InventoryRow = z
  .object({
    tenant_id: z.string(),
    sku: z.string(),
    location: z.string(),
    snapshot_id: z.string().describe("The WMS snapshot event (`<idempotency key>#<index>`)"),
    at: z.string().describe("The snapshot's as-of time"),
    expected: z.number().int().describe("What the engine had computed for that moment: the previous snapshot plus the deltas since"),
    reported: z.number().int().describe("What the WMS counted"),
    drift: z.number().int().describe("reported − expected: positive when the WMS counts more than the engine thought"),
    abs_drift: z.number().int().describe("|drift|, for ranking discrepancies"),
    recorded_at: z.string().describe("When the SKU's inventory object computed it"),
  })
  .meta({ title: "Handoff inventory export row" });
export type InventoryRow = z.infer<typeof InventoryRow>;

export const NotificationRow = z
  .object({
    tenant_id: z.string(),
    chain_id: z.string().describe("`~notify:<order id>`, or `~notify` for notices about no order: the hash chain the entry is on"),
    seq: z.number().int().describe("Position in that chain (1-based)"),
    at: z.string().describe("When the attempt was made (or the notice found unreachable, the delivery skipped, the fallback task opened)"),
    type: z.string().describe("notification.attempt, notification.skipped, notification.unreachable, notification.fallback"),
    order_id: z.string().nullable(),
    subject: z.string().describe("The task (or breach) the notice is about"),
    task_id: z.string().nullable(),
    notice_key: z.string().describe("`<subject>:L<level>:alert` or `<subject>:resolve`"),
    kind: z.string().describe("task.opened, task.escalated, task.resolved, sla.breached, sla.escalated, sla.recovered"),
    phase: z.string().describe("alert or resolve"),
    level: z.number().int().describe("Escalation level: 0 owner, 1 backup, 2 on-call"),
    recipient: z.string().nullable().describe("The name the rules used: a contact or a rotation"),
    contact: z.string().nullable().describe("Who was reached: for a rotation, the member on call at the moment of the event"),
    via: z.string().nullable().describe("The rotation that named `contact`, and how (shift or override)"),
    channel: z.string().nullable().describe("slack, pagerduty, email, webhook"),
    delivery_id: z.string().nullable().describe("Stable per notice, contact and channel: the webhook's webhook-id"),
    dedup_key: z.string().describe("PagerDuty's dedup_key: one incident per subject, whatever the retries"),
    attempt: z.number().int().nullable().describe("1-based attempt number"),
    status: z.number().int().nullable().describe("HTTP status the channel answered"),
    error_class: z.string().nullable(),
    outcome: z.string().describe("delivered, retry, rejected, exhausted; skipped; unreachable; fallback_opened"),
    latency_ms: z.number().int().nullable(),
    detail: z.string().nullable(),
    prev_hash: z.string(),
    hash: z.string().describe("SHA-256 chain link over (prev_hash, tenant, chain_id, seq, at, type, data)"),
    data: z.string().describe("The exact JSON text that was hashed"),
  })
  .meta({ title: "Handoff notifications export row" });
export type NotificationRow = z.infer<typeof NotificationRow>;

export const EXPORT_ROWS = { events: EventRow, orders: OrderRow, tasks: TaskRow, admin: AdminRow, inventory: InventoryRow, notifications: NotificationRow } as const;
export type ExportName = keyof typeof EXPORT_ROWS;
