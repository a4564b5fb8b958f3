import { decideOutcome, signedHeaders, type RetryPolicyMs } from "../../domain/handoff/delivery";
import { jitter } from "../../domain/handoff/decide";
import { afterAttempt, emptySlot, offer, stockMessage, stockMessageId, type LevelSummary, type StockChannel } from "../../domain/inventory/channels";
import type { Env } from "../../worker/env";
import { stockChannelsFor } from "../../worker/stock-channels";
import { attempt } from "../order/deliver";
import type { InventoryStore } from "./store";

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The inventory object's side of stock to channels (the decisions are in
 * domain/inventory/channels.ts): offer the current version to every
 * channel's slot, then send each due slot the level as it stands now. Runs
 * from the object's alarm only, never on a sender's or an order's request.
 */
export interface PushContext {
  env: Env;
  store: InventoryStore;
  tenant: string;
  sku: string;
  version: number;
  level: () => LevelSummary;
  clock: () => number;
  policy: RetryPolicyMs;
  tx: (fn: () => void) => void;
  /** Channels whose send is awaiting the network in this instance: a second alarm pass must not send them again. */
  sending: Set<string>;
}

/** Meta key: the version the slots were last offered; a newer one makes the alarm due. */
export const OFFERED_VERSION = "offered_version";

export async function pushLevels(p: PushContext): Promise<void> {
  const channels = await stockChannelsFor(p.env, p.tenant);
  const byName = new Map(channels.map((c) => [c.channel, c]));
  const now = p.clock();
  p.tx(() => {
    const slots = new Map(p.store.slots().map((s) => [s.channel, s]));
    // A removed channel's slot goes with it (a channel added back later starts from the current level).
    for (const s of slots.values()) if (!byName.has(s.channel)) p.store.deleteSlot(s.channel);
    for (const c of channels) {
      const next = offer(slots.get(c.channel) ?? emptySlot(c.channel), p.version, now);
      if (next) p.store.putSlot(next);
    }
    p.store.setMeta(OFFERED_VERSION, String(p.version));
  });
  const due = p.store.slots().filter((s) => s.status === "pending" && s.next_at !== null && s.next_at <= now && !p.sending.has(s.channel));
  await Promise.all(
    due.map(async (s) => {
      const channel = byName.get(s.channel);
      if (!channel) return;
      p.sending.add(s.channel);
      try {
        await sendSlot(p, channel);
      } finally {
        p.sending.delete(s.channel);
      }
    }),
  );
}

async function sendSlot(p: PushContext, channel: StockChannel): Promise<void> {
  // The level at the moment of sending: whatever steps the channel missed are folded into it.
  const level = p.level();
  const sentAt = p.clock();
  const body = JSON.stringify(stockMessage(p.tenant, level, sentAt));
  const headers = await signedHeaders(channel.secret, stockMessageId(p.tenant, p.sku, level.version), Date.now(), body);
  const result = await attempt(channel.url, body, headers, Number(p.env.DELIVERY_TIMEOUT_MS ?? DEFAULT_TIMEOUT_MS), () => Date.now());
  const now = p.clock();
  // Re-read: a change during the send overwrote the pending version, or the channel was removed.
  const current = p.store.slot(channel.channel) ?? null;
  if (current === null) return;
  const n = current.attempts + 1;
  const outcome = decideOutcome(result, n, current.first_attempt_at ?? sentAt, now, p.policy, jitter(`${p.sku}:${channel.channel}`, n));
  p.store.putSlot(afterAttempt(current, level.version, outcome, sentAt, now));
}
