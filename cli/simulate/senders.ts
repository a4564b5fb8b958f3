import { unit } from "./rng";

/**
 * The campaign's sender mix: which system plays each part of an order's life.
 * A merchant's cart is Shopify or WooCommerce, its card payments go through
 * Stripe, Adyen or a sender configured as an `hmac` preset (Lemon Squeezy's
 * signing and payload), and its carrier reports through Standard Webhooks or
 * EasyPost trackers. `--senders woocommerce,adyen,easypost` chooses; a part
 * the list names nothing for keeps its default, so the default mix is the
 * original Shopify + Stripe + Standard Webhooks campaign. Pure and seeded.
 */

export const CART_SENDERS = ["shopify", "woocommerce"] as const;
export const PAYMENT_SENDERS = ["stripe", "adyen", "hmac"] as const;
export const CARRIER_SENDERS = ["standard", "easypost"] as const;
export type CartSender = (typeof CART_SENDERS)[number];
export type PaymentSender = (typeof PAYMENT_SENDERS)[number];
export type CarrierSender = (typeof CARRIER_SENDERS)[number];

export interface SenderMix {
  cart: readonly CartSender[];
  payment: readonly PaymentSender[];
  carrier: readonly CarrierSender[];
}

export const DEFAULT_MIX: SenderMix = { cart: ["shopify"], payment: ["stripe"], carrier: ["standard"] };

/** What one order goes through. */
export interface OrderSenders {
  cart: CartSender;
  payment: PaymentSender;
  carrier: CarrierSender;
}

const ALL = [...CART_SENDERS, ...PAYMENT_SENDERS, ...CARRIER_SENDERS] as const;

function includes<T extends string>(list: readonly T[], s: string): s is T {
  return (list as readonly string[]).includes(s);
}

/** "woocommerce,adyen,easypost" → the mix; unknown names throw, naming the ones there are. */
export function parseSenders(spec: string | undefined): SenderMix {
  if (spec === undefined || spec.trim() === "" || spec.trim() === "default") return DEFAULT_MIX;
  const cart: CartSender[] = [];
  const payment: PaymentSender[] = [];
  const carrier: CarrierSender[] = [];
  for (const raw of spec.split(",")) {
    const s = raw.trim();
    if (includes(CART_SENDERS, s)) cart.push(s);
    else if (includes(PAYMENT_SENDERS, s)) payment.push(s);
    else if (includes(CARRIER_SENDERS, s)) carrier.push(s);
    else throw new Error(`--senders: unknown sender '${s}' (${ALL.join(", ")})`);
  }
  const dedupe = <T>(xs: T[]): T[] => [...new Set(xs)];
  return {
    cart: cart.length > 0 ? dedupe(cart) : DEFAULT_MIX.cart,
    payment: payment.length > 0 ? dedupe(payment) : DEFAULT_MIX.payment,
    carrier: carrier.length > 0 ? dedupe(carrier) : DEFAULT_MIX.carrier,
  };
}

export function describeSenders(mix: SenderMix): string {
  return `cart ${mix.cart.join("/")} · payment ${mix.payment.join("/")} · carrier ${mix.carrier.join("/")}`;
}

/** Every sender kind the mix uses. */
export function mixKinds(mix: SenderMix): string[] {
  return [...mix.cart, ...mix.payment, ...mix.carrier];
}

function pick<T>(list: readonly T[], u: number): T {
  const v = list[Math.min(list.length - 1, Math.floor(u * list.length))];
  if (v === undefined) throw new Error("a sender list is empty");
  return v;
}

/**
 * Each part drawn evenly from its list by `unit(seed, key)`, not from the
 * campaign's stream: the default mix leaves every other draw, and so every
 * existing campaign, exactly as it was.
 */
export function chooseSenders(seed: number, orderId: string, mix: SenderMix): OrderSenders {
  return {
    cart: pick(mix.cart, unit(seed, `cart:${orderId}`)),
    payment: pick(mix.payment, unit(seed, `payment:${orderId}`)),
    carrier: pick(mix.carrier, unit(seed, `carrier:${orderId}`)),
  };
}

/**
 * Adyen delivers notifications in batches: items that fall due within
 * `windowMs` of a batch's first go in the same POST, up to `max`. Takes
 * deliveries in send order and keeps that order; others pass through alone.
 */
export function batchBy<T>(items: readonly T[], isBatched: (t: T) => boolean, sendAt: (t: T) => number, windowMs: number, max: number): T[][] {
  const out: T[][] = [];
  let open: T[] | null = null;
  let openAt = 0;
  for (const item of items) {
    if (!isBatched(item)) {
      out.push([item]);
      continue;
    }
    if (open !== null && sendAt(item) - openAt <= windowMs && open.length < max) {
      open.push(item);
      continue;
    }
    open = [item];
    openAt = sendAt(item);
    out.push(open);
  }
  return out;
}
