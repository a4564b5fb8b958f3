import { z } from "zod";
import type { Outcome, RetryPolicyMs } from "../handoff/delivery";
import { HttpUrl, WebhookSecret } from "../ownership/schema";
import type { InventoryLevel } from "./object";

/**
 * Stock to channels (issue 17 item 3), pure. Every SKU's inventory object
 * hands its level to each of the tenant's stock channels (marketplaces, the
 * storefront) as a signed Standard Webhooks message, retried with the exports'
 * own decision (domain/handoff/delivery.ts).
 *
 * Coalesced: each channel has ONE slot per SKU. A change while the channel is
 * down overwrites the slot's pending version instead of queueing a step, and
 * what is sent is the level as it stands at the moment of sending; a channel
 * that comes back receives the latest level, not every step.
 *
 * Versioned: the level's `version` (bumped by every change of on hand,
 * reserved or the buffer, never reused) is in the body and in `webhook-id`, so
 * a consumer keeps, per SKU, the highest version it has applied and drops any
 * message with a lower one (a slow retry overtaken by a newer level).
 */

export const ChannelName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "channel names are lower-case letters, digits, _ and -")
  .meta({ example: "amazon" });

export const StockChannelInput = z
  .strictObject({ url: HttpUrl, secret: WebhookSecret })
  .meta({ id: "StockChannelInput", description: "Where a channel receives stock levels, and the Standard Webhooks secret they are signed with" });
export type StockChannelInput = z.infer<typeof StockChannelInput>;

export const StockChannelView = z
  .object({
    channel: z.string(),
    url: z.string(),
    secret_fingerprint: z.string().describe("Keyed fingerprint of the secret; the secret itself is never returned"),
    updated_at: z.string(),
  })
  .meta({ id: "StockChannel" });
export type StockChannelView = z.infer<typeof StockChannelView>;

/** A channel as the inventory object sends to it: the secret unsealed, at the moment of sending. */
export interface StockChannel {
  channel: string;
  url: string;
  secret: string;
}

/**
 * A feed, not an alert: a channel may be down for hours and must still get
 * the latest level when it returns, and coalescing keeps that to one message
 * per retry. After a day the slot gives up until the next change reopens it.
 */
export const STOCK_RETRY: RetryPolicyMs = { initial: 1_000, max_interval: 5 * 60_000, max_attempts: 100, max_age: 24 * 60 * 60_000 };

export const SLOT_STATUSES = ["idle", "pending", "rejected", "exhausted"] as const;
export type SlotStatus = (typeof SLOT_STATUSES)[number];

/** One channel's slot in one SKU's object. */
export interface ChannelSlot {
  channel: string;
  /** The newest version the channel acknowledged (0: none yet). */
  delivered_version: number;
  /** The version waiting to go (or the one that was rejected / gave up); null when the channel is up to date. */
  pending_version: number | null;
  status: SlotStatus;
  /** Attempts since the slot last went from up to date to pending: the retry schedule survives overwrites. */
  attempts: number;
  first_attempt_at: number | null;
  next_at: number | null;
  last_error: string | null;
}

export function emptySlot(channel: string): ChannelSlot {
  return { channel, delivered_version: 0, pending_version: null, status: "idle", attempts: 0, first_attempt_at: null, next_at: null, last_error: null };
}

/**
 * The level reached `version`: the slot to write, or null when nothing changes.
 * A slot already retrying keeps its schedule (a dead consumer is not hammered
 * by every stock change); one that was up to date, or had given up, starts again now.
 */
export function offer(slot: ChannelSlot, version: number, now: number): ChannelSlot | null {
  if (version <= slot.delivered_version) return null;
  if (slot.pending_version !== null && version <= slot.pending_version) return null;
  if (slot.status === "pending") return { ...slot, pending_version: version };
  return { ...slot, pending_version: version, status: "pending", attempts: 0, first_attempt_at: null, next_at: now, last_error: null };
}

/** How one attempt (that carried `sentVersion`) leaves the slot. */
export function afterAttempt(slot: ChannelSlot, sentVersion: number, outcome: Outcome, sentAt: number, now: number): ChannelSlot {
  if (outcome.kind === "delivered") {
    const delivered = Math.max(slot.delivered_version, sentVersion);
    // The level moved on while the message was in flight: the newer one goes at once.
    if (slot.pending_version !== null && slot.pending_version > delivered) {
      return { ...slot, delivered_version: delivered, status: "pending", attempts: 0, first_attempt_at: null, next_at: now, last_error: null };
    }
    return { ...slot, delivered_version: delivered, pending_version: null, status: "idle", attempts: 0, first_attempt_at: null, next_at: null, last_error: null };
  }
  const attempts = slot.attempts + 1;
  const first = slot.first_attempt_at ?? sentAt;
  if (outcome.kind === "retry") return { ...slot, attempts, first_attempt_at: first, next_at: outcome.at, last_error: outcome.reason };
  const error = outcome.kind === "rejected" ? outcome.reason : outcome.detail;
  return { ...slot, status: outcome.kind, attempts, first_attempt_at: first, next_at: null, last_error: error };
}

/** Stable per (tenant, SKU, version): the same level retried keeps its id; a newer level gets a new one. */
export function stockMessageId(tenant: string, sku: string, version: number): string {
  return `stock_${tenant}_${sku}_v${String(version)}`;
}

/** The message body: Standard Webhooks' `{ type, timestamp, data }`. */
export type LevelSummary = Pick<InventoryLevel, "sku" | "version" | "on_hand" | "reserved" | "available" | "oversell_buffer">;

export function stockMessage(tenant: string, level: LevelSummary, at: number): { type: "inventory.level"; timestamp: string; data: Record<string, unknown> } {
  return {
    type: "inventory.level",
    timestamp: new Date(at).toISOString(),
    data: {
      tenant,
      sku: level.sku,
      version: level.version,
      on_hand: level.on_hand,
      reserved: level.reserved,
      available: level.available,
      oversell_buffer: level.oversell_buffer,
    },
  };
}
