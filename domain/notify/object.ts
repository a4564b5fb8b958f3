import { createHash } from "node:crypto";
import { z } from "zod";
import type { RetryPolicyMs } from "../handoff/delivery";
import { DeliveryAttempt } from "../handoff/document";
import { NOTICE_PHASES, type Notice } from "./notice";

/**
 * The per-tenant notifier's contract and its pure decisions. One object per
 * tenant holds one outbox for everything people are told — task events from
 * order objects and from the Worker, breaches and escalations — so one alarm
 * paces every channel and one table deduplicates it.
 */

/**
 * Notifications retry like handoff exports (full jitter, Retry-After) but give
 * up sooner: a page that lands a day late has failed at its job, and the
 * fallback task should reach a person while the order can still be saved.
 */
export const NOTIFY_RETRY: RetryPolicyMs = { initial: 1_000, max_interval: 5 * 60_000, max_attempts: 10, max_age: 60 * 60_000 };

export const DELIVERY_STATUSES = ["pending", "delivered", "rejected", "exhausted", "skipped"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Stable per (notice, contact, channel): the webhook's `webhook-id`, the row's key, the attempts' parent. */
export function deliveryId(noticeKey: string, contactId: string, channelIndex: number): string {
  return `ntf_${createHash("sha256").update(`${noticeKey}\n${contactId}\n${channelIndex}`).digest("hex").slice(0, 24)}`;
}

/** The subject's notifications as the API and the console show them: who, when, how, and every attempt. */
/** A delivery attempt of the exports' shape; a notification keeps the channel's answer instead of a next-attempt time. */
export const NotificationAttempt = DeliveryAttempt.omit({ next_attempt_at: true }).extend({ detail: z.string().nullable() });

export const NotificationDelivery = z
  .object({
    id: z.string(),
    notice_key: z.string(),
    subject: z.string(),
    order_id: z.string().nullable(),
    kind: z.string(),
    phase: z.enum(NOTICE_PHASES),
    level: z.number().int(),
    recipient: z.string().nullable().describe("The name the rules used: a contact or a rotation"),
    contact_id: z.string().describe("Who was reached: for a rotation, the person on call at the moment of the event"),
    via: z.string().nullable().describe("The rotation that resolved to contact_id, and how (shift or override)"),
    channel_type: z.enum(["slack", "pagerduty", "email", "webhook"]),
    status: z.enum(DELIVERY_STATUSES),
    created_at: z.string(),
    delivered_at: z.string().nullable(),
    next_attempt_at: z.string().nullable(),
    last_error: z.string().nullable(),
    attempts: z.array(NotificationAttempt),
  })
  .meta({ id: "NotificationDelivery" });
export type NotificationDelivery = z.infer<typeof NotificationDelivery>;

/** A notice that reached nobody (an unknown name, a contact without channels): shown, never silently dropped. */
export const UnreachableNotice = z.object({
  key: z.string(),
  subject: z.string(),
  order_id: z.string().nullable(),
  kind: z.string(),
  recipient: z.string().nullable(),
  detail: z.string(),
  at: z.string(),
});
export type UnreachableNotice = z.infer<typeof UnreachableNotice>;

export interface NotificationFilter {
  subject?: string;
  order_id?: string;
  limit?: number;
}

export interface NotifierObject {
  /** Idempotent by notice key: the same notice enqueued again adds nothing. Never sends; the alarm does. */
  enqueue(tenant: string, notices: Notice[]): Promise<{ added: number }>;
  history(filter: NotificationFilter): Promise<{ deliveries: NotificationDelivery[]; unreachable: UnreachableNotice[] }>;
}

/**
 * A contact's alert has failed for good when none of its channels delivered
 * and none is still trying: then a person must be told another way.
 */
export function everyChannelFailed(statuses: readonly DeliveryStatus[]): boolean {
  return statuses.length > 0 && statuses.every((s) => s === "rejected" || s === "exhausted" || s === "skipped");
}
