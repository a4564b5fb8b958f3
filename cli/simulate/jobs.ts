import { shopifyHeaders, standardHeaders, stripeHeaders } from "../sign";
import { SOURCE_OF, type PlannedOrder } from "./campaign";
import type { Job, Schedule } from "./dispatcher";
import type { DeliveryPlan } from "./faults";
import { attributionData, shopifyOrderBody, standardBody, stripeBody, type Templates } from "./payloads";
import { compress } from "./schedules";
import { withLineSkus } from "./stock";

/**
 * Turns the planned campaign deliveries into signed jobs for the dispatcher.
 * Payload times are the wall-clock moments the events "happened" in the
 * compressed campaign, so the engine's SLA clocks run against real time; a
 * redelivery carries the original payload, as Shopify and Stripe do.
 */

export interface JobContext {
  tenant: string;
  runStart: number;
  timeFactor: number;
  templates: Templates;
  sources: Record<"shop" | "stripe" | "crm", { name: string; secret: string }>;
  /** --stock: the SKUs an order's line items carry (null: the fixture's). */
  lineSkus?: (order: PlannedOrder) => string[] | null;
}

export function wallTime(ctx: Pick<JobContext, "runStart" | "timeFactor">, campaignMs: number): number {
  return ctx.runStart + compress(campaignMs, ctx.timeFactor);
}

function iso(ms: number): string {
  return new Date(Math.floor(ms)).toISOString();
}

export function campaignJob(ctx: JobContext, order: PlannedOrder, plan: DeliveryPlan): { job: Job; schedule: Schedule } {
  const e = plan.event;
  const source = ctx.sources[SOURCE_OF[e.kind]];
  const path = `/v1/tenants/${encodeURIComponent(ctx.tenant)}/webhooks/${encodeURIComponent(source.name)}`;
  const at = wallTime(ctx, e.at);
  const created = iso(wallTime(ctx, order.createdAt));
  let body: string;
  let headers: () => Promise<Record<string, string>>;
  switch (e.kind) {
    case "shopify.orders/create":
    case "shopify.orders/paid": {
      const paid = e.kind === "shopify.orders/paid";
      body = shopifyOrderBody(paid ? ctx.templates.shopifyPaid : ctx.templates.shopifyCreate, order, { created, paid: iso(at) }, paid ? "paid" : (e.financialStatus ?? "authorized"));
      const skus = ctx.lineSkus?.(order) ?? null;
      if (skus !== null) body = withLineSkus(body, skus);
      const topic = paid ? "orders/paid" : "orders/create";
      // Webhook id and triggered-at stay the same on every retry: it is the same delivery.
      headers = () => shopifyHeaders({ topic, body, secret: source.secret, webhookId: e.deliveryId, eventId: e.eventId ?? undefined, triggeredAt: iso(at) });
      break;
    }
    case "stripe.payment_intent.amount_capturable_updated":
    case "stripe.payment_intent.succeeded": {
      const template = e.kind === "stripe.payment_intent.succeeded" ? ctx.templates.stripeSucceeded : ctx.templates.stripeAuthorized;
      body = stripeBody(template, order, e, at);
      // Stripe signs each attempt with the time of that attempt.
      headers = () => stripeHeaders({ body, secret: source.secret });
      break;
    }
    case "standard.attribution.updated":
      body = standardBody("attribution.updated", order.id, at, attributionData(order.number));
      headers = () => standardHeaders({ body, secret: source.secret, id: e.deliveryId });
      break;
  }
  return {
    job: { key: e.key, orderId: order.id, label: SOURCE_OF[e.kind], sender: plan.sender, path, body, headers, countLatency: true },
    schedule: {
      firstAt: wallTime(ctx, plan.sendAt),
      dropFirst: plan.dropFirst,
      duplicateAt: plan.duplicateAt === null ? null : wallTime(ctx, plan.duplicateAt),
    },
  };
}
