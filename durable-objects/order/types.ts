import { z } from "zod";
import { CanonicalEvent, EventType } from "../../worker/canonical";
import { OrderView } from "./machine";

/** The acknowledgement a sender gets: proof its delivery is durably recorded. */
export const Receipt = z.object({
  id: z.string(),
  order_id: z.string(),
  events: z.array(EventType),
  duplicate: z.boolean(),
  received_at: z.string(),
});
export type Receipt = z.infer<typeof Receipt>;

export const StoredReceipt = Receipt.omit({ duplicate: true }).extend({
  source: z.string(),
  idempotency_key: z.string(),
  raw_sha256: z.string(),
});
export type StoredReceipt = z.infer<typeof StoredReceipt>;

export interface IngestInput {
  tenant: string;
  orderId: string;
  source: string;
  idempotencyKey: string;
  rawSha256: string;
  events: CanonicalEvent[];
}

export type IngestResult =
  | { ok: true; receipt: Receipt }
  | { ok: false; code: "order_too_large"; message: string };

export const OutboxStatus = z.object({
  pending: z.number().int(),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  next_attempt_at: z.string().nullable(),
});

export const OrderSnapshot = OrderView.extend({
  tenant: z.string(),
  receipts: z.array(StoredReceipt),
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
export interface OrderObject {
  ingest(input: IngestInput): Promise<IngestResult>;
  getOrder(): Promise<OrderSnapshot | null>;
  getAudit(): Promise<{ entries: AuditEntry[]; pending_seqs: number[] }>;
  flush(): Promise<{ drained: number; error: string | null }>;
}
