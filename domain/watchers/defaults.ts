import type { OrderStateName } from "../order/view";
import type { OwnershipRules, Step } from "../ownership/schema";
import { stepSlaMs } from "../ownership/schema";

/**
 * Built-in SLAs per step for a tenant without ownership rules: long enough
 * that a healthy order never trips them, short enough that a stuck one is seen
 * the same day (payment, routing, fulfillment) or the same week (delivery).
 */
export const DEFAULT_STEP_SLA_MS: Record<Step, number> = {
  payment: 24 * 3_600_000,
  routing: 3_600_000,
  fulfillment: 24 * 3_600_000,
  shipping: 2 * 86_400_000,
  delivery: 7 * 86_400_000,
  customer: 24 * 3_600_000,
};

/** The step an order in this state waits on, and the milestone that started the wait; null for terminal states. */
const WAITING: Record<OrderStateName, { step: Step; since: string } | null> = {
  received: { step: "payment", since: "created_at" },
  awaiting_payment: { step: "payment", since: "created_at" },
  authorized: { step: "payment", since: "authorized_at" },
  paid: { step: "routing", since: "captured_at" },
  routed: { step: "fulfillment", since: "routed_at" },
  backordered: { step: "fulfillment", since: "backordered_at" },
  accepted: { step: "shipping", since: "accepted_at" },
  shipped: { step: "delivery", since: "shipped_at" },
  on_hold: { step: "customer", since: "captured_at" },
  delivered: null,
  cancelled: null,
  refunded: null,
};

export function waitingOn(state: OrderStateName): { step: Step; since: string } | null {
  return WAITING[state];
}

/** The tenant's SLA for a step, or the built-in one when it has no rules. */
export function stepSla(rules: OwnershipRules | null, step: Step): number {
  return rules ? stepSlaMs(rules, step) : DEFAULT_STEP_SLA_MS[step];
}

/** The shortest SLA any step can have for this tenant: orders untouched for less are not even read. */
export function shortestSla(rules: OwnershipRules | null): number {
  return Math.min(...Object.keys(DEFAULT_STEP_SLA_MS).map((s) => stepSla(rules, s as Step)));
}
