import { isRecord, text } from "./common";

/**
 * Shopify signs the body, not the topic: `X-Shopify-Topic` is an unsigned
 * label, so anyone holding one captured delivery could re-send it as
 * `orders/paid` or `orders/cancelled`. Each topic's body must therefore show
 * the fact the topic claims. The checks ask only for what Shopify's own
 * payloads for that topic always carry.
 */

/** Financial statuses of an order whose payment has been taken (orders/paid fires on the move to one of these). */
const PAID_STATUSES = new Set(["paid", "partially_paid", "partially_refunded", "refunded"]);

type Body = Record<string, unknown>;

/** An order resource: its own id and line items, and no order_id (which only the order's children carry). */
function orderShape(p: Body): string | null {
  if (p.order_id !== undefined) return "body has an order_id: it is a child resource (fulfillment, refund), not an order";
  if (!Array.isArray(p.line_items)) return "body has no line_items array: it is not an order";
  return null;
}

/** A fulfillment or refund: it carries no financial_status (every order body does). */
function childShape(p: Body, what: string): string | null {
  return p.financial_status === undefined ? null : `body has a financial_status: it is an order, not a ${what}`;
}

/** Why a body cannot be what its topic says, or null when it agrees. */
export function topicDisagreement(topic: string, p: Body): string | null {
  switch (topic) {
    case "orders/create":
    case "orders/updated":
      return orderShape(p);
    case "orders/paid": {
      const shape = orderShape(p);
      if (shape) return shape;
      const status = text(p.financial_status);
      return status !== undefined && PAID_STATUSES.has(status)
        ? null
        : `orders/paid needs a paid financial_status; the body says ${JSON.stringify(p.financial_status ?? null)}`;
    }
    case "orders/cancelled": {
      const shape = orderShape(p);
      if (shape) return shape;
      return text(p.cancelled_at) !== undefined ? null : "orders/cancelled needs a cancelled_at; the body has none";
    }
    case "fulfillments/create":
    case "fulfillments/update": {
      const shape = childShape(p, "fulfillment");
      if (shape) return shape;
      return typeof p.status === "string" ? null : "a fulfillment carries a status; the body has none";
    }
    case "refunds/create": {
      const shape = childShape(p, "refund");
      if (shape) return shape;
      return Array.isArray(p.refund_line_items) || Array.isArray(p.transactions)
        ? null
        : "a refund carries refund_line_items or transactions; the body has neither";
    }
    default:
      return null;
  }
}

/** Refunds nested in an order body (orders/cancelled, orders/updated): each one as its own refund resource. */
export function nestedRefunds(p: Body): Body[] {
  return Array.isArray(p.refunds) ? p.refunds.filter(isRecord) : [];
}
