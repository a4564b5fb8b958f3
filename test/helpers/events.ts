import type { z } from "zod";
import { CanonicalEvent, EventData, type Attribution, type EventOf, type EventType, type Money } from "../../domain/events/canonical";
import { HandoffEvent } from "../../domain/events/handoff-events";

/**
 * Canonical event builders for tests. Every builder runs the real schema, so
 * a test can never feed the machine an event the edge would have refused,
 * and schema defaults (e.g. rejection `code`) are applied as in production.
 */

export type EventInput<T extends EventType> = z.input<(typeof EventData)[T]>;
/** ISO string (kept verbatim, offsets included), epoch ms, or Date. */
export type At = string | number | Date;
export interface EventOpts {
  /** Defaults to `<source>:<type>:<order>@<occurred_at>`: stable, so rebuilding an event yields a duplicate. */
  id?: string;
  source?: string;
}

/** Who usually says what; only a default, override with `opts.source`. */
export const DEFAULT_SOURCE: Record<EventType, string> = {
  "order.created": "shopify",
  "order.updated": "shopify",
  "order.cancelled": "shopify",
  "payment.authorized": "stripe",
  "payment.captured": "stripe",
  "payment.failed": "stripe",
  "payment.refunded": "stripe",
  "fulfillment.requested": "oms",
  "fulfillment.accepted": "wms",
  "fulfillment.rejected": "wms",
  "shipment.shipped": "carrier",
  "shipment.delivered": "carrier",
  "attribution.updated": "crm",
};

export function iso(at: At): string {
  return typeof at === "string" ? at : new Date(at).toISOString();
}

export function money(amountMinor: number, currency = "USD"): Money {
  return { amount_minor: amountMinor, currency };
}

function isType<T extends EventType>(e: CanonicalEvent, type: T): e is EventOf<T> {
  return e.type === type;
}

export function event<T extends EventType>(type: T, orderId: string, at: At, data: EventInput<T>, opts: EventOpts = {}): EventOf<T> {
  const occurred_at = iso(at);
  const source = opts.source ?? DEFAULT_SOURCE[type];
  const id = opts.id ?? `${source}:${type}:${orderId}@${occurred_at}`;
  const parsed = CanonicalEvent.parse({ id, type, order_id: orderId, occurred_at, source, data });
  if (!isType(parsed, type)) throw new Error(`schema turned ${type} into ${parsed.type}`);
  return parsed;
}

export const ev = {
  created: (orderId: string, at: At, data: EventInput<"order.created"> = {}, opts?: EventOpts) => event("order.created", orderId, at, data, opts),
  updated: (orderId: string, at: At, data: EventInput<"order.updated"> = {}, opts?: EventOpts) => event("order.updated", orderId, at, data, opts),
  cancelled: (orderId: string, at: At, data: EventInput<"order.cancelled"> = {}, opts?: EventOpts) =>
    event("order.cancelled", orderId, at, data, opts),
  authorized: (orderId: string, at: At, data: EventInput<"payment.authorized"> = {}, opts?: EventOpts) =>
    event("payment.authorized", orderId, at, data, opts),
  captured: (orderId: string, at: At, data: EventInput<"payment.captured"> = {}, opts?: EventOpts) =>
    event("payment.captured", orderId, at, data, opts),
  failed: (orderId: string, at: At, data: EventInput<"payment.failed"> = {}, opts?: EventOpts) => event("payment.failed", orderId, at, data, opts),
  refunded: (orderId: string, at: At, data: EventInput<"payment.refunded">, opts?: EventOpts) =>
    event("payment.refunded", orderId, at, data, opts),
  requested: (orderId: string, at: At, data: EventInput<"fulfillment.requested"> = {}, opts?: EventOpts) =>
    event("fulfillment.requested", orderId, at, data, opts),
  accepted: (orderId: string, at: At, data: EventInput<"fulfillment.accepted"> = {}, opts?: EventOpts) =>
    event("fulfillment.accepted", orderId, at, data, opts),
  rejected: (orderId: string, at: At, data: EventInput<"fulfillment.rejected"> = {}, opts?: EventOpts) =>
    event("fulfillment.rejected", orderId, at, data, opts),
  shipped: (orderId: string, at: At, data: EventInput<"shipment.shipped"> = {}, opts?: EventOpts) => event("shipment.shipped", orderId, at, data, opts),
  delivered: (orderId: string, at: At, data: EventInput<"shipment.delivered"> = {}, opts?: EventOpts) =>
    event("shipment.delivered", orderId, at, data, opts),
  attribution: (orderId: string, at: At, attribution: Attribution, opts?: EventOpts) =>
    event("attribution.updated", orderId, at, { attribution }, opts),
};

/** Handoff's own facts, also run through their schema. */
export type HandoffType = HandoffEvent["type"];
export type HandoffOf<T extends HandoffType> = Extract<HandoffEvent, { type: T }>;

function isHandoffType<T extends HandoffType>(e: HandoffEvent, type: T): e is HandoffOf<T> {
  return e.type === type;
}

export function handoffEvent<T extends HandoffType>(type: T, orderId: string, at: At, data: HandoffOf<T>["data"], opts: { id?: string } = {}): HandoffOf<T> {
  const occurred_at = iso(at);
  const id = opts.id ?? `handoff:${type}:${orderId}@${occurred_at}`;
  const parsed = HandoffEvent.parse({ id, type, order_id: orderId, occurred_at, source: "handoff", data });
  if (!isHandoffType(parsed, type)) throw new Error(`schema turned ${type} into ${parsed.type}`);
  return parsed;
}

export const handoff = {
  /** A hand-off step failed; `export_id` and `step` default to something plausible. */
  exception: (
    orderId: string,
    at: At,
    data: Pick<HandoffOf<"handoff.exception">["data"], "kind" | "detail"> & Partial<HandoffOf<"handoff.exception">["data"]>,
    opts?: { id?: string },
  ) => handoffEvent("handoff.exception", orderId, at, { export_id: "x1", step: "deliver", ...data }, opts),
  /** A person clears the hold opened by fact `eventId`. */
  cleared: (orderId: string, at: At, eventId: string, opts: { id?: string; by?: string; justification?: string } = {}) =>
    handoffEvent(
      "handoff.exception_cleared",
      orderId,
      at,
      { event_id: eventId, by: opts.by ?? "ops@example.com", justification: opts.justification ?? "checked with the warehouse" },
      opts,
    ),
};
