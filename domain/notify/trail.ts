import { z } from "zod";
import type { ChainLink } from "../audit-chain";
import { NOTICE_PHASES } from "./notice";

/**
 * Notifications on the audit trail. Every attempt (and every notice that
 * reached nobody, every delivery skipped, every fallback task opened) is an
 * entry on a hash chain in D1's audit_log, beside the orders' own chains.
 *
 * The chain id is `~notify:<order id>` for a notice about an order and
 * `~notify` for the rest (a silent sender, a refused inbound body). No order
 * id can start with `~` (domain/events/canonical.ts), so no entry can pass for
 * an order's, and the order's notifications are one primary-key range away
 * from its audit view rather than a scan of the tenant's whole history.
 *
 * The tenant's notifier is the only writer of these chains: it links entries
 * in its own storage (seq, prev_hash, hash) before they go to D1, so a retried
 * drain writes the same rows and the chain never forks.
 */

export const NOTIFY_CHAIN = "~notify";

export function notifyChain(orderId: string | null): string {
  return orderId === null ? NOTIFY_CHAIN : `${NOTIFY_CHAIN}:${orderId}`;
}

/** `audit_log.order_id` values that are notification chains: [NOTIFY_CHAIN, NOTIFY_CHAIN_END), since `;` follows `:`. */
export const NOTIFY_CHAIN_END = `${NOTIFY_CHAIN};`;

export const TRAIL_TYPES = ["notification.attempt", "notification.skipped", "notification.unreachable", "notification.fallback"] as const;
export type TrailType = (typeof TRAIL_TYPES)[number];

/**
 * One entry's data: flat, so the analytics export maps it to columns without
 * a JSON reader. What is not known for a type (an attempt's status for an
 * unreachable notice) is null.
 */
export const TrailData = z.object({
  notice_key: z.string(),
  subject: z.string().describe("The task (or breach) the notice is about"),
  order_id: z.string().nullable(),
  task_id: z.string().nullable(),
  kind: z.string(),
  phase: z.enum(NOTICE_PHASES),
  level: z.number().int(),
  recipient: z.string().nullable().describe("The name the rules used: a contact or a rotation"),
  contact: z.string().nullable().describe("Who was reached: for a rotation, the member on call at the moment of the event"),
  via: z.string().nullable().describe("The rotation that resolved to `contact`, and how"),
  channel: z.enum(["slack", "pagerduty", "email", "webhook"]).nullable(),
  delivery_id: z.string().nullable().describe("Stable per (notice, contact, channel): the webhook's `webhook-id`"),
  dedup_key: z.string().describe("What deduplicates the message downstream: PagerDuty's `dedup_key` (the subject)"),
  attempt: z.number().int().nullable().describe("1-based attempt number of the delivery"),
  status: z.number().int().nullable().describe("HTTP status, when the channel answered one"),
  error_class: z.string().nullable(),
  outcome: z.string().describe("delivered, retry, rejected, exhausted; skipped, unreachable; fallback_opened"),
  latency_ms: z.number().int().nullable(),
  detail: z.string().nullable(),
});
export type TrailData = z.infer<typeof TrailData>;

/** The order-free fields of a notice that every entry about it repeats. */
export type NoticeFields = Pick<TrailData, "notice_key" | "subject" | "order_id" | "task_id" | "kind" | "phase" | "level" | "recipient">;

const NO_SEND: Pick<TrailData, "contact" | "via" | "channel" | "delivery_id" | "attempt" | "status" | "error_class" | "latency_ms"> = {
  contact: null,
  via: null,
  channel: null,
  delivery_id: null,
  attempt: null,
  status: null,
  error_class: null,
  latency_ms: null,
};

/** An entry's data with the fields its type does not know set to null (key order is the schema's, which is what gets hashed). */
export function trailData(n: NoticeFields, fields: Partial<TrailData> & Pick<TrailData, "outcome">): TrailData {
  return TrailData.parse({ ...n, ...NO_SEND, dedup_key: n.subject, detail: null, ...fields });
}

export type Linked = ChainLink & { hash: string };
