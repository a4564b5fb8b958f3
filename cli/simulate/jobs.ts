import { signAs, type SenderKind } from "../demo-senders";
import type { HmacPresetConfig } from "../../domain/webhooks/preset";
import { SOURCE_OF, type InboundSource, type PlannedOrder } from "./campaign";
import type { Job, Schedule } from "./dispatcher";
import type { DeliveryPlan } from "./faults";
import { attributionData, shopifyOrderBody, standardBody, stripeBody, type Templates } from "./payloads";
import { adyenBatch, adyenItem, cartTotal, lemonBody, wooOrderBody } from "./sender-payloads";
import { compress } from "./schedules";
import { withLineSkus } from "./stock";
import { batchBy } from "./senders";

/**
 * Turns the planned campaign deliveries into signed jobs for the dispatcher.
 * Payload times are the wall-clock moments the events "happened" in the
 * compressed campaign, so the engine's SLA clocks run against real time; a
 * redelivery carries the original payload, as every sender here does.
 */

export interface JobContext {
  tenant: string;
  runStart: number;
  timeFactor: number;
  templates: Templates;
  /** The tenant's source name and secret per sender the campaign uses. */
  sources: Partial<Record<InboundSource, { name: string; secret: string }>>;
  /** The `hmac` sender's signature rule, as its source is configured (default: the demo's Lemon Squeezy preset). */
  preset?: HmacPresetConfig;
  /** --stock: the SKUs an order's line items carry (null: the fixture's). */
  lineSkus?: (order: PlannedOrder) => string[] | null;
}

/** Adyen batches items due within this much campaign time of a batch's first, up to ADYEN_BATCH_MAX. */
export const ADYEN_BATCH_WINDOW_MS = 30_000;
export const ADYEN_BATCH_MAX = 5;

export function wallTime(ctx: Pick<JobContext, "runStart" | "timeFactor">, campaignMs: number): number {
  return ctx.runStart + compress(campaignMs, ctx.timeFactor);
}

function iso(ms: number): string {
  return new Date(Math.floor(ms)).toISOString();
}

export function sourceFor(ctx: Pick<JobContext, "sources">, role: InboundSource): { name: string; secret: string } {
  const s = ctx.sources[role];
  if (s === undefined) throw new Error(`no source configured for the ${role} sender`);
  return s;
}

export function webhookPath(tenant: string, source: string): string {
  return `/v1/tenants/${encodeURIComponent(tenant)}/webhooks/${encodeURIComponent(source)}`;
}

/** What one planned event posts: its body, and how its sender signs it (per attempt: timestamps move on). */
function delivery(ctx: JobContext, order: PlannedOrder, plan: DeliveryPlan): { body: string; kind: SenderKind; topic?: string; eventId?: string; triggeredAt?: string } {
  const e = plan.event;
  const at = wallTime(ctx, e.at);
  const created = wallTime(ctx, order.createdAt);
  const total = cartTotal(ctx.templates, order.senders.cart);
  // The fixtures' Stripe amounts are Shopify's total; another cart's total replaces them.
  const stripeAmount = order.senders.cart === "shopify" ? undefined : total.minor;
  switch (e.kind) {
    case "shopify.orders/create":
    case "shopify.orders/paid": {
      const paid = e.kind === "shopify.orders/paid";
      const fixture = shopifyOrderBody(paid ? ctx.templates.shopifyPaid : ctx.templates.shopifyCreate, order, { created: iso(created), paid: iso(at) }, paid ? "paid" : (e.financialStatus ?? "authorized"));
      const skus = ctx.lineSkus?.(order) ?? null;
      const body = skus === null ? fixture : withLineSkus(fixture, skus);
      // Webhook id and triggered-at stay the same on every retry: it is the same delivery.
      return { body, kind: "shopify", topic: paid ? "orders/paid" : "orders/create", eventId: e.eventId ?? undefined, triggeredAt: iso(at) };
    }
    case "stripe.payment_intent.amount_capturable_updated":
      return { body: stripeBody(ctx.templates.stripeAuthorized, order, e, at, stripeAmount), kind: "stripe" };
    case "stripe.payment_intent.succeeded":
      return { body: stripeBody(ctx.templates.stripeSucceeded, order, e, at, stripeAmount), kind: "stripe" };
    case "standard.attribution.updated":
      return { body: standardBody("attribution.updated", order.id, at, attributionData(order.number)), kind: "standard" };
    case "woocommerce.order.created":
      return { body: wooOrderBody(ctx.templates.wooCreated, order, { created, modified: at }, e.financialStatus === "paid" ? "processing" : "pending"), kind: "woocommerce", topic: "order.created" };
    case "woocommerce.order.updated":
      return { body: wooOrderBody(ctx.templates.wooProcessing, order, { created, modified: at }, "processing"), kind: "woocommerce", topic: "order.updated" };
    case "adyen.AUTHORISATION":
    case "adyen.CAPTURE": {
      const template = e.kind === "adyen.CAPTURE" ? ctx.templates.adyenCapture : ctx.templates.adyenAuthorisation;
      return { body: adyenBatch([adyenItem(template, order, e, at, total)]), kind: "adyen" };
    }
    case "hmac.order_created":
      return { body: lemonBody(ctx.templates.lemonOrderCreated, order, e, at, total), kind: "hmac" };
  }
}

function scheduleOf(ctx: JobContext, plan: DeliveryPlan): Schedule {
  return {
    firstAt: wallTime(ctx, plan.sendAt),
    dropFirst: plan.dropFirst,
    duplicateAt: plan.duplicateAt === null ? null : wallTime(ctx, plan.duplicateAt),
  };
}

/** One planned event as one webhook. */
export async function campaignJob(ctx: JobContext, order: PlannedOrder, plan: DeliveryPlan): Promise<{ job: Job; schedule: Schedule }> {
  const e = plan.event;
  const role = SOURCE_OF[e.kind];
  const source = sourceFor(ctx, role);
  const d = delivery(ctx, order, plan);
  const options = { body: d.body, secret: source.secret, topic: d.topic, deliveryId: e.deliveryId, eventId: d.eventId, triggeredAt: d.triggeredAt, preset: ctx.preset };
  // Adyen's signatures are inside the body: signed once, the same bytes on every attempt.
  const fixed = d.kind === "adyen" ? await signAs(d.kind, options) : null;
  const headers = async () => (fixed ?? (await signAs(d.kind, options))).headers;
  return {
    job: { key: e.key, orderId: order.id, label: role, sender: plan.sender, path: webhookPath(ctx.tenant, source.name), body: fixed?.body ?? d.body, headers, countLatency: true },
    schedule: scheduleOf(ctx, plan),
  };
}

/** Several Adyen events as one notification POST, each item signed on its own; faults follow the batch's first item. */
export async function adyenBatchJob(ctx: JobContext, group: readonly { order: PlannedOrder; plan: DeliveryPlan }[]): Promise<{ job: Job; schedule: Schedule }> {
  const [head, ...rest] = group;
  if (head === undefined) throw new Error("an empty Adyen batch");
  const source = sourceFor(ctx, "adyen");
  const items = group.map(({ order, plan }) => {
    const template = plan.event.kind === "adyen.CAPTURE" ? ctx.templates.adyenCapture : ctx.templates.adyenAuthorisation;
    return adyenItem(template, order, plan.event, wallTime(ctx, plan.event.at), cartTotal(ctx.templates, order.senders.cart));
  });
  const signed = await signAs("adyen", { body: adyenBatch(items), secret: source.secret });
  return {
    job: {
      key: rest.length === 0 ? head.plan.event.key : `${head.plan.event.key}+${rest.length}`,
      orderId: head.order.id,
      alsoFor: rest.map((r) => r.order.id),
      label: "adyen",
      sender: "adyen",
      path: webhookPath(ctx.tenant, source.name),
      body: signed.body,
      headers: () => Promise.resolve(signed.headers),
      countLatency: true,
    },
    schedule: scheduleOf(ctx, head.plan),
  };
}

/** Every planned delivery as a job, Adyen's batched as Adyen sends them. */
export async function campaignJobs(ctx: JobContext, plans: readonly DeliveryPlan[], orders: ReadonlyMap<string, PlannedOrder>): Promise<{ job: Job; schedule: Schedule }[]> {
  const withOrder = plans.flatMap((plan) => {
    const order = orders.get(plan.event.orderId);
    return order === undefined ? [] : [{ order, plan }];
  });
  const groups = batchBy(withOrder, (x) => x.plan.sender === "adyen", (x) => x.plan.sendAt, ADYEN_BATCH_WINDOW_MS, ADYEN_BATCH_MAX);
  const out: { job: Job; schedule: Schedule }[] = [];
  for (const g of groups) {
    const [only] = g;
    if (g.length === 1 && only !== undefined && only.plan.sender !== "adyen") out.push(await campaignJob(ctx, only.order, only.plan));
    else out.push(await adyenBatchJob(ctx, g));
  }
  return out;
}
