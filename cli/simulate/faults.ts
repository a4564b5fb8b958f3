import type { InboundKind, PlannedEvent, PlannedOrder } from "./campaign";
import { chance, unit } from "./rng";
import { retryDelayMs, type SenderKind } from "./schedules";

/**
 * The fault model, pure: which deliveries are lost, duplicated or reordered,
 * and which exports a consumer rejects, slows down or misses during an outage.
 * Every decision is `unit(seed, key)` for the item's own key, so it is
 * reproducible and independent of when (or whether) other items are handled.
 *
 *   drop=F      the first delivery of a fraction F of webhooks is lost in transit; the
 *               sender redelivers on its own schedule (schedules.ts)
 *   dup=F       a fraction F of webhooks is delivered twice: half concurrently, half
 *               again after the sender's first retry interval (a timeout it retried)
 *   reorder=F   for a fraction F of orders, some events are held back until after the
 *               order's last event, so e.g. the capture arrives before the order
 *   outage=R:D[@S]  consumer R (wms|carrier) answers 503 for D, starting S after the run
 *               starts, or at its first delivery when @S is left out; repeatable
 *   reject=[R:]F    consumer R (default wms) answers 422 to a fraction F of exports
 *   slow=F[:D]  consumers answer a fraction F of deliveries only after D (default 3s;
 *               past the engine's 10 s delivery timeout, the engine retries)
 *   silence=S:D[@T]  sender S (shop|stripe|crm|wms|carrier) stops for D, starting T after the
 *               run starts (default: a third into the campaign's span), as a deleted Shopify
 *               subscription would: what it would have sent then is never sent, retries
 *               included; repeatable. The engine should open a `source_silent` task
 * *
 * Durations: 500ms, 60s, 2m, 1h. Consumer-side durations are wall-clock, not
 * compressed: they are measured against the engine's real retry policy.
 */

export type ConsumerRole = "wms" | "carrier";
export const CONSUMER_ROLES: readonly ConsumerRole[] = ["wms", "carrier"];

export interface Outage {
  role: ConsumerRole;
  durationMs: number;
  /** From the run's start; null = from the consumer's first delivery, so the outage meets traffic. */
  startMs: number | null;
}

/** Inbound senders that can go quiet: the campaign's and the consumers' own reports. */
export const SILENCE_ROLES = ["shop", "stripe", "crm", "wms", "carrier"] as const;
export type SilenceRole = (typeof SILENCE_ROLES)[number];

export interface Silence {
  role: SilenceRole;
  durationMs: number;
  /** From the run's start; null = a third into the campaign's wall-clock span. */
  startMs: number | null;
}

export interface FaultConfig {
  drop: number;
  dup: number;
  reorder: number;
  reject: Record<ConsumerRole, number>;
  slow: { fraction: number; delayMs: number };
  outages: Outage[];
  silences: Silence[];
}

export const NO_FAULTS: FaultConfig = { drop: 0, dup: 0, reorder: 0, reject: { wms: 0, carrier: 0 }, slow: { fraction: 0, delayMs: 3000 }, outages: [], silences: [] };

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  const n = m?.[1];
  const u = m?.[2];
  if (n === undefined || u === undefined) throw new Error(`${what}: '${text}' is not a duration like 500ms, 60s, 2m or 1h`);
  return Math.round(Number(n) * (DURATION_UNITS[u] ?? 1));
}

function fraction(text: string, what: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) throw new Error(`${what}: '${text}' is not a fraction from 0 to 1`);
  return n;
}

function role(text: string, what: string): ConsumerRole {
  if (text === "wms" || text === "carrier") return text;
  throw new Error(`${what}: unknown consumer '${text}' (wms or carrier)`);
}

/** "drop=0.05,dup=0.2,reorder=0.1,outage=wms:60s,reject=0.02" → FaultConfig. Unknown or malformed parts throw. */
export function parseFaults(spec: string | undefined): FaultConfig {
  const cfg: FaultConfig = { ...NO_FAULTS, reject: { ...NO_FAULTS.reject }, slow: { ...NO_FAULTS.slow }, outages: [], silences: [] };
  if (spec === undefined || spec.trim() === "" || spec.trim() === "none") return cfg;
  for (const part of spec.split(",")) {
    const [key = "", value = ""] = part.split("=", 2).map((s) => s.trim());
    const what = `--faults ${part.trim()}`;
    switch (key) {
      case "drop":
      case "dup":
      case "reorder":
        cfg[key] = fraction(value, what);
        break;
      case "reject": {
        const bits = value.split(":");
        if (bits.length === 1) cfg.reject.wms = fraction(value, what);
        else cfg.reject[role(bits[0] ?? "", what)] = fraction(bits[1] ?? "", what);
        break;
      }
      case "slow": {
        const [f = "", d] = value.split(":");
        cfg.slow = { fraction: fraction(f, what), delayMs: d === undefined ? cfg.slow.delayMs : parseDuration(d, what) };
        break;
      }
      case "outage": {
        const m = /^([a-z]+):([^@]+)(?:@(.+))?$/.exec(value);
        if (!m?.[1] || !m[2]) throw new Error(`${what}: expected outage=<wms|carrier>:<duration>[@<start>]`);
        cfg.outages.push({ role: role(m[1], what), durationMs: parseDuration(m[2], what), startMs: m[3] === undefined ? null : parseDuration(m[3], what) });
        break;
      }
      case "silence": {
        const m = /^([a-z]+):([^@]+)(?:@(.+))?$/.exec(value);
        if (!m?.[1] || !m[2]) throw new Error(`${what}: expected silence=<${SILENCE_ROLES.join("|")}>:<duration>[@<start>]`);
        const r = m[1];
        if (!(SILENCE_ROLES as readonly string[]).includes(r)) throw new Error(`${what}: unknown sender '${r}' (${SILENCE_ROLES.join(", ")})`);
        cfg.silences.push({ role: r as SilenceRole, durationMs: parseDuration(m[2], what), startMs: m[3] === undefined ? null : parseDuration(m[3], what) });
        break;
      }
      default:
        throw new Error(`${what}: unknown fault '${key}' (drop, dup, reorder, outage, reject, slow, silence)`);
    }
  }
  return cfg;
}

export function describeFaults(cfg: FaultConfig): string {
  const parts: string[] = [];
  if (cfg.drop > 0) parts.push(`drop=${cfg.drop}`);
  if (cfg.dup > 0) parts.push(`dup=${cfg.dup}`);
  if (cfg.reorder > 0) parts.push(`reorder=${cfg.reorder}`);
  for (const o of cfg.outages) parts.push(`outage=${o.role}:${o.durationMs / 1000}s${o.startMs === null ? "" : `@${o.startMs / 1000}s`}`);
  for (const r of ["wms", "carrier"] as const) if (cfg.reject[r] > 0) parts.push(`reject=${r}:${cfg.reject[r]}`);
  if (cfg.slow.fraction > 0) parts.push(`slow=${cfg.slow.fraction}:${cfg.slow.delayMs / 1000}s`);
  for (const s of cfg.silences) parts.push(`silence=${s.role}:${s.durationMs / 1000}s${s.startMs === null ? "" : `@${s.startMs / 1000}s`}`);
  return parts.length > 0 ? parts.join(",") : "none";
}

export function senderOf(kind: InboundKind): SenderKind {
  const prefix = kind.slice(0, kind.indexOf("."));
  const kinds: readonly SenderKind[] = ["shopify", "stripe", "woocommerce", "adyen", "hmac"];
  return kinds.find((k) => k === prefix) ?? "standard";
}

export interface DeliveryFaults {
  /** The first attempt never reaches the engine. */
  dropFirst: boolean;
  /** Sender-time offset from the first attempt at which a second copy is sent; null = no duplicate. */
  duplicateAfter: number | null;
}

/** Inbound faults for one webhook, by its unique key (campaign events and consumer reports alike). */
export function deliveryFaults(seed: number, faults: FaultConfig, key: string, sender: SenderKind): DeliveryFaults {
  const dropFirst = chance(seed, `drop:${key}`, faults.drop);
  let duplicateAfter: number | null = null;
  if (chance(seed, `dup:${key}`, faults.dup)) {
    duplicateAfter = unit(seed, `dup-kind:${key}`) < 0.5 ? 0 : (retryDelayMs(sender, 1) ?? 0);
  }
  return { dropFirst, duplicateAfter };
}

export function isReordered(seed: number, faults: FaultConfig, orderId: string): boolean {
  return chance(seed, `reorder:${orderId}`, faults.reorder);
}

export interface DeliveryPlan {
  event: PlannedEvent;
  sender: SenderKind;
  /** Campaign ms of the first attempt: the event's own time, or later when it is held back. */
  sendAt: number;
  dropFirst: boolean;
  /** Campaign ms of the duplicate copy, or null. */
  duplicateAt: number | null;
}

/** How far past the order's last event a held-back event is sent (campaign ms). */
export const REORDER_HOLD_MS: readonly [number, number] = [1000, 60_000];

/**
 * The campaign's deliveries with inbound faults applied, in send order. A
 * held-back event is sent after its order's last event, never before its own
 * time: a sender cannot deliver what has not happened yet.
 */
export function planDeliveries(orders: readonly PlannedOrder[], faults: FaultConfig, seed: number): DeliveryPlan[] {
  const plans: DeliveryPlan[] = [];
  for (const order of orders) {
    const last = order.events.reduce((m, e) => Math.max(m, e.at), 0);
    const reordered = order.events.length > 1 && isReordered(seed, faults, order.id);
    const earlier = order.events.filter((e) => e.at < last);
    const held = new Set(reordered ? earlier.filter((e) => unit(seed, `hold:${e.key}`) < 0.5).map((e) => e.key) : []);
    // Reordering that moves nothing is no reordering: hold back the first event at least.
    const first = earlier[0];
    if (reordered && held.size === 0 && first) held.add(first.key);
    for (const event of order.events) {
      const sender = senderOf(event.kind);
      const [lo, hi] = REORDER_HOLD_MS;
      const sendAt = held.has(event.key) ? last + Math.round(lo + (hi - lo) * unit(seed, `hold-at:${event.key}`)) : event.at;
      const f = deliveryFaults(seed, faults, event.key, sender);
      plans.push({ event, sender, sendAt, dropFirst: f.dropFirst, duplicateAt: f.duplicateAfter === null ? null : sendAt + f.duplicateAfter });
    }
  }
  return plans.sort((a, b) => a.sendAt - b.sendAt || a.event.key.localeCompare(b.event.key));
}

export interface ConsumerFaults {
  reject: boolean;
  /** Wall-clock ms before answering; 0 = at once. */
  slowMs: number;
}

/** What a consumer does with one export, the same for every redelivery of it. */
export function consumerFaults(seed: number, faults: FaultConfig, r: ConsumerRole, exportId: string): ConsumerFaults {
  return {
    reject: chance(seed, `reject:${r}:${exportId}`, faults.reject[r]),
    slowMs: chance(seed, `slow:${r}:${exportId}`, faults.slow.fraction) ? faults.slow.delayMs : 0,
  };
}

/** Milliseconds of outage left for this consumer at `now`, or 0. */
export function outageRemaining(faults: FaultConfig, r: ConsumerRole, runStart: number, firstDeliveryAt: number | null, now: number): number {
  let left = 0;
  for (const o of faults.outages) {
    if (o.role !== r) continue;
    const start = o.startMs === null ? firstDeliveryAt : runStart + o.startMs;
    if (start === null || now < start) continue;
    left = Math.max(left, start + o.durationMs - now);
  }
  return left;
}

/** One silence placed on the wall clock. */
export interface SilenceWindow {
  role: SilenceRole;
  /** Wall-clock ms. */
  from: number;
  to: number;
}

/** Places each silence: its own start, or a third into the campaign's wall-clock span (so the sender was heard first). */
export function silenceWindows(faults: FaultConfig, runStart: number, spanMs: number): SilenceWindow[] {
  return faults.silences.map((s) => {
    const from = runStart + (s.startMs ?? Math.round(spanMs / 3));
    return { role: s.role, from, to: from + s.durationMs };
  });
}

/** Is this sender quiet at `now`? A delivery it would make then is never made. */
export function isSilenced(windows: readonly SilenceWindow[], label: string, now: number): boolean {
  return windows.some((w) => w.role === label && now >= w.from && now < w.to);
}
