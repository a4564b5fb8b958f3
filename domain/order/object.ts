import type { RestockAnswer, RestockOffer } from "../inventory/restock";
import { z } from "zod";
import type { CanonicalEvent } from "../events/canonical";
import { ExportWithCancellation } from "../handoff/cancellation";
import { EXPORT_STATUSES, type ExportStatus } from "../handoff/document";
import { OrderView } from "./machine";
import type { RulesInput } from "../handoff/plan";
import type { QueueError, Resolution, Task } from "../tasks/task";
import { Receipt, StoredReceipt } from "./receipt";

export { Receipt, StoredReceipt } from "./receipt";

export interface IngestInput {
  tenant: string;
  orderId: string;
  source: string;
  idempotencyKey: string;
  rawSha256: string;
  /** The unsigned label the sender put on the body (Shopify's topic), when there is one. */
  topic?: string;
  events: CanonicalEvent[];
  /** The tenant's current ownership rules (consumer secrets still sealed), if any. */
  rules: RulesInput | null;
  /** The tenant's default owner (null for a tenant created before it existed): the owner of the order's tasks when no rule names one. */
  defaultOwner?: string | null;
  /**
   * The tenant's contact and rotation ids (empty: it has none, names are free text), for the
   * QA gate's "owner and contact known" checks; absent: keep the one the last event brought.
   */
  directory?: string[];
  /**
   * The tenant's SKUs that track stock, when known: an order becoming routable asks only
   * these SKUs' inventory objects to reserve. Absent or null: every SKU is asked.
   */
  stockSkus?: readonly string[] | null;
  /** The request this came with: its id lands on the receipt's audit entry, its span parents the commit's. */
  trace: { requestId: string; traceparent: string | null };
}

export type IngestResult =
  | { ok: true; receipt: Receipt }
  | { ok: false; code: "order_too_large" | "topic_conflict"; message: string };

export const OutboxStatus = z.object({
  pending: z.number().int(),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
});

export const SlaClock = z.object({
  step: z.string(),
  since: z.string(),
  since_at: z.string(),
  due_at: z.string(),
  owner: z.string(),
  owning_party: z.string(),
});

export const Breach = z.object({
  step: z.string(),
  run: z.number().int().describe("Which run of the step's clock: 0 the first that breached, one more each time the step restarts and breaches again"),
  level: z.number().int().describe("0 owner, 1 backup, 2 on-call"),
  since_at: z.string().nullable().describe("When the run started (the clock's since_at); null for a breach recorded before runs"),
  due_at: z.string(),
  breached_at: z.string(),
  contact: z.string(),
  owning_party: z.string(),
  resolved_at: z.string().nullable(),
});

export const OrderSnapshot = OrderView.extend({
  tenant: z.string(),
  rules_version: z.number().int().nullable(),
  receipts: z.array(StoredReceipt),
  exports: z.array(ExportWithCancellation),
  sla: z.array(SlaClock).describe("Running SLA clocks"),
  breaches: z.array(Breach),
  audit_head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
  outbox: OutboxStatus,
});
export type OrderSnapshot = z.infer<typeof OrderSnapshot>;

export const AuditEntry = z.object({
  seq: z.number().int(),
  at: z.string(),
  type: z.string(),
  data: z.unknown(),
  prev_hash: z.string(),
  hash: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/**
 * The order object's RPC surface as callers see it. Workers' RPC stub types
 * cannot express zod's `unknown` values, so callers go through `orderObject()`
 * and the class `implements` this, keeping both sides compiler-checked.
 */
export interface AckInput {
  exportId: string;
  body: string;
  headers: Record<string, string>;
}

export type AckResult =
  | { ok: true; duplicate: boolean; status: ExportStatus }
  | { ok: false; code: "not_found" | "signature_missing" | "signature_invalid" | "timestamp_stale" | "validation_failed"; message: string };

export const AckResponse = z.object({ export_id: z.string(), status: z.enum(EXPORT_STATUSES), duplicate: z.boolean() });

export interface OrderObject {
  ingest(input: IngestInput): Promise<IngestResult>;
  ack(input: AckInput): Promise<AckResult>;
  getTasks(): Promise<Task[]>;
  claimTask(taskId: string, by: string): Promise<{ ok: true; task: Task } | QueueError>;
  resolveTask(taskId: string, r: Resolution): Promise<{ ok: true; task: Task } | QueueError>;
  getOrder(): Promise<OrderSnapshot | null>;
  getAudit(): Promise<{ entries: AuditEntry[]; pending_seqs: number[] }>;
  flush(): Promise<{ drained: number; error: string | null }>;
  poke(): Promise<{ due: number }>;
  /** Stock arrived for this backordered order: a SKU's object offers the units it set aside (domain/inventory/restock.ts). */
  restocked(offer: RestockOffer): Promise<RestockAnswer>;
}
