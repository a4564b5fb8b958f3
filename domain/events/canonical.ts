import { z } from "zod";

/**
 * Canonical events: the only vocabulary past the edge. Every sender's names
 * (Shopify topics, Stripe event types, pre-auth vs capture) are normalised into
 * these by `worker/sources/*`, and nowhere else.
 *
 * Money is always integer minor units plus an ISO-4217 code, so Shopify's
 * decimal strings and Stripe's integers compare equal.
 */

export const Money = z.object({
  amount_minor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, "ISO-4217 upper-case currency code"),
});
export type Money = z.infer<typeof Money>;

const shortText = z.string().max(512);

export const LineItem = z.object({
  sku: shortText,
  quantity: z.number().int().min(0).max(1_000_000),
  unit_price_minor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  /** false for goods nothing ships (gift cards, downloads): Shopify's line_items[].requires_shipping. Unknown counts as physical. */
  requires_shipping: z.boolean().optional(),
});
export type LineItem = z.infer<typeof LineItem>;

export const Address = z.object({
  name: shortText.optional(),
  address1: shortText.optional(),
  address2: shortText.optional(),
  city: shortText.optional(),
  province: shortText.optional(),
  zip: shortText.optional(),
  country_code: shortText.optional(),
});
export type Address = z.infer<typeof Address>;

/** Attribution is free-form marketing metadata (utm_*, channel, campaign). */
export const Attribution = z.record(z.string().max(64), shortText.nullable());
export type Attribution = z.infer<typeof Attribution>;

/**
 * Fulfillment-critical fields. Once payment is captured these lock; a later
 * change to them becomes a conflict, never a silent rewrite.
 */
export const OrderFields = z.object({
  /** What the customer owes now, in the shop's currency: the value that locks and that captures are compared with. */
  total: Money.optional(),
  /**
   * The same amount in the currency the customer saw and paid in (Shopify's
   * presentment money on multi-currency shops); locks with `total`.
   */
  presentment_total: Money.optional(),
  line_items: z.array(LineItem).max(1000).optional(),
  shipping_address: Address.nullable().optional(),
});
export type OrderFields = z.infer<typeof OrderFields>;
export const LOCKED_FIELDS = ["total", "presentment_total", "line_items", "shipping_address"] as const;
export type LockedField = (typeof LOCKED_FIELDS)[number];

/** Fields that may change at any time; they live in a separate snapshot. */
export const OrderDetails = z.object({
  customer_email: shortText.nullable().optional(),
  source_name: shortText.nullable().optional(),
  tags: z.array(shortText).max(100).optional(),
  note: z.string().max(4096).nullable().optional(),
});
export type OrderDetails = z.infer<typeof OrderDetails>;

const orderData = OrderFields.extend(OrderDetails.shape).extend({
  attribution: Attribution.optional(),
});

export const EVENT_TYPES = [
  "order.created",
  "order.updated",
  "order.cancelled",
  "payment.authorized",
  "payment.captured",
  "payment.failed",
  "payment.refunded",
  "fulfillment.requested",
  "fulfillment.accepted",
  "fulfillment.rejected",
  "shipment.shipped",
  "shipment.delivered",
  "attribution.updated",
] as const;
export const EventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventType>;

const payment = z.object({
  amount: Money.optional(),
  payment_id: shortText.optional(),
  gateway: shortText.optional(),
});

export const EventData = {
  "order.created": orderData,
  "order.updated": orderData,
  "order.cancelled": z.object({ reason: shortText.nullable().optional() }),
  "payment.authorized": payment.extend({
    /** When the authorization lapses if not captured (gateway-reported, if any). */
    expires_at: z.iso.datetime({ offset: true }).optional(),
  }),
  "payment.captured": payment,
  "payment.failed": payment.extend({ reason: shortText.nullable().optional() }),
  "payment.refunded": payment.extend({
    /** A full refund ends the order; a partial one is recorded only. */
    full: z.boolean(),
    /** The sender's refund id: the same refund reported twice must count once. */
    refund_id: shortText.optional(),
    /**
     * True when `amount` is everything refunded on `payment_id` so far (Stripe's
     * `amount_refunded`), not this refund alone; such amounts never add up.
     */
    cumulative: z.boolean().default(false),
  }),
  "fulfillment.requested": z.object({
    fulfillment_id: shortText.optional(),
    location: shortText.optional(),
  }),
  "fulfillment.accepted": z.object({
    fulfillment_id: shortText.optional(),
    location: shortText.optional(),
    export_id: shortText.optional(),
  }),
  "fulfillment.rejected": z.object({
    fulfillment_id: shortText.optional(),
    location: shortText.optional(),
    export_id: shortText.optional(),
    /** `out_of_stock` means backordered; anything else needs a person. */
    code: z.enum(["out_of_stock", "address_invalid", "unserviceable", "other"]).default("other"),
    reason: shortText.nullable().optional(),
  }),
  "shipment.shipped": z.object({
    fulfillment_id: shortText.optional(),
    /** The shipping export this parcel answers: tells a shipment for a cancelled version from one for its replacement. */
    export_id: shortText.optional(),
    carrier: shortText.optional(),
    tracking_number: shortText.optional(),
    tracking_url: z.string().max(2048).optional(),
  }),
  "shipment.delivered": z.object({
    fulfillment_id: shortText.optional(),
    carrier: shortText.optional(),
    tracking_number: shortText.optional(),
  }),
  "attribution.updated": z.object({ attribution: Attribution }),
} as const satisfies Record<EventType, z.ZodType>;

/** Order ids are the sender's; keep them printable and bounded (they name a Durable Object). */
export const OrderId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:#-]+$/, "order id may hold letters, digits and . _ : # -");

function envelope<T extends EventType>(type: T) {
  return z.object({
    /** Stable per event: `<idempotency key>#<index>`; duplicates share it. */
    id: z.string().min(1).max(400),
    type: z.literal(type),
    order_id: OrderId,
    occurred_at: z.iso.datetime({ offset: true }),
    source: z.string().min(1).max(64),
    data: EventData[type],
  });
}

export const CanonicalEvent = z.discriminatedUnion("type", [
  envelope("order.created"),
  envelope("order.updated"),
  envelope("order.cancelled"),
  envelope("payment.authorized"),
  envelope("payment.captured"),
  envelope("payment.failed"),
  envelope("payment.refunded"),
  envelope("fulfillment.requested"),
  envelope("fulfillment.accepted"),
  envelope("fulfillment.rejected"),
  envelope("shipment.shipped"),
  envelope("shipment.delivered"),
  envelope("attribution.updated"),
]);
export type CanonicalEvent = z.infer<typeof CanonicalEvent>;
export type EventOf<T extends EventType> = Extract<CanonicalEvent, { type: T }>;
