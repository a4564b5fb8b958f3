import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import type { Task } from "../../domain/tasks/task";
import { TERMINAL_STATES } from "../../domain/order/view";
import type { OwnershipRules } from "../../domain/ownership/schema";
import { orderObject } from "../../worker/orders";
import { shopifyHeaders, standardHeaders, stripeHeaders, nowSeconds } from "../../cli/sign";
import { isoAt, shopifyOrder, standardEnvelope, stripeEvent, toJsonText, type JsonObject } from "../helpers/arbitraries";
import { freshScenario } from "../helpers/consumer";
import { handoffTenant, orderStub, setClock } from "../helpers/handoff";
import { hasTimers, orderClocks, SECRETS } from "../helpers/http";
import { checkInvariants, mapPool, type InvariantOptions, type InvariantReport } from "../helpers/invariants";
import { Ledger, workerCall, workerJson, type Sent } from "./transport";
import type { OrderSnapshot } from "../../domain/order/object";
import { mulberry32 } from "../../cli/random";

/**
 * A small campaign for one chaos scenario: a tenant whose ownership rules
 * point at the scriptable consumer, orders with numeric ids (Shopify's
 * shape), every sender's delivery for each lifecycle step, a ledger of what
 * was sent, and the object-clock seam to move time without sleeping.
 *
 * Times: orders run on the campaign's `clock`, pinned ten minutes ahead of
 * real time, so no alarm they schedule fires on its own (an alarm is set on
 * the object's clock); the scenario runs them when it chooses, with `runDue`.
 * Idle objects are evicted after a few seconds in workerd and forget a pinned
 * clock, so every send and every alarm run pins it again first.
 */

export type Step = "created" | "authorized" | "captured" | "accepted" | "rejected" | "shipped" | "delivered";
export const LIFECYCLE: readonly Step[] = ["created", "captured", "accepted", "shipped", "delivered"];

/** Event times relative to the campaign's t0, as a sender would report them. */
const OFFSET: Record<Step, number> = {
  created: -180_000,
  authorized: -170_000,
  captured: -120_000,
  accepted: 60_000,
  rejected: 30_000,
  shipped: 120_000,
  delivered: 180_000,
};

export interface Delivery {
  order: string;
  step: Step;
  /** The engine's idempotency key for it, as the adapter builds it. */
  key: string;
  /** Signs and posts it now; a redelivery is the same call again (same ids, fresh signature). */
  post(o?: { stale?: boolean; forged?: boolean }): Promise<Response>;
}

/** Deterministic randomness for fault plans: the same seed, the same chaos. */
export const rng = mulberry32;

export function shuffle<T>(xs: readonly T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i];
    const b = out[j];
    if (a !== undefined && b !== undefined) [out[i], out[j]] = [b, a];
  }
  return out;
}

export function isOpenTask(t: Task): boolean {
  return (t.status === "open" || t.status === "claimed") && t.owner !== "" && t.owner !== "unassigned";
}

export class Campaign {
  readonly ledger = new Ledger();
  readonly orders: string[] = [];
  /** The time every order is at when the scenario next talks to it. */
  clock: number;

  private constructor(
    readonly tenant: string,
    readonly key: string,
    readonly wms: string,
    readonly carrier: string,
    readonly t0: number,
  ) {
    this.clock = t0;
  }

  static async open(tenant: string, patch?: (r: OwnershipRules) => void): Promise<Campaign> {
    const wms = freshScenario(`${tenant}-wms`);
    const carrier = freshScenario(`${tenant}-carrier`);
    const key = await handoffTenant(tenant, wms, carrier, patch);
    // Ten minutes ahead and on a whole second: nothing scheduled on this clock fires by itself during the test.
    return new Campaign(tenant, key, wms, carrier, Math.ceil((Date.now() + 600_000) / 1000) * 1000);
  }

  /** `n` new order ids (numeric, as Shopify's are). */
  newOrders(n: number): string[] {
    const base = 7_100_000_000 + this.orders.length;
    const ids = Array.from({ length: n }, (_, i) => String(base + i));
    this.orders.push(...ids);
    return ids;
  }

  stub(order: string) {
    return orderStub(this.tenant, order);
  }

  /** Pins one order to the campaign clock before something other than a send talks to it (an ack, a task resolution). */
  pinNow(order: string): Promise<void> {
    return setClock(this.stub(order), this.clock);
  }

  /** Moves the campaign to `at`: sets each order's clock there and runs its alarm until nothing more is due by then. */
  runDue(orders: readonly string[], at: number): Promise<void[]> {
    this.clock = at;
    return mapPool(orders, 6, async (o) => {
      const stub = this.stub(o);
      await setClock(stub, at);
      for (let round = 0; round < 20; round++) {
        // An order whose first delivery has not landed yet holds nothing, so nothing is due.
        // Stored timers and the derived SLA clocks (durable-objects/order/clocks.ts).
        const next = await runInDurableObject(stub, (i, state) => (hasTimers(state) ? orderClocks(i).next() : null));
        if (next === null || next > at) return;
        await runDurableObjectAlarm(stub);
      }
    });
  }

  delivery(order: string, step: Step, at = this.t0 + OFFSET[step]): Delivery {
    const path = (source: string) => `/v1/tenants/${this.tenant}/webhooks/${source}`;
    const tsFor = (o: { stale?: boolean }) => nowSeconds() - (o.stale === true ? 900 : 0);
    if (step === "created") {
      const webhookId = `wh-created-${order}`;
      const body = toJsonText(shopifyOrder({ id: order, at: isoAt(at, -300), currency: "EUR", totalMinor: 4200 }));
      return {
        order,
        step,
        key: `shop:orders/create:${webhookId}`,
        post: async (o = {}) => {
          const headers = await shopifyHeaders({ topic: "orders/create", body, secret: o.forged === true ? "shpss_forged" : SECRETS.shopify, webhookId });
          return workerCall("POST", path("shop"), { raw: body, headers });
        },
      };
    }
    if (step === "authorized" || step === "captured") {
      const id = `evt_${step}_${order}`;
      const type = step === "authorized" ? "payment_intent.amount_capturable_updated" : "payment_intent.succeeded";
      const body = toJsonText(stripeEvent({ id, type, orderId: order, amountMinor: 4200, currency: "eur", createdSec: Math.floor(at / 1000), intentId: `pi_${order}` }));
      return {
        order,
        step,
        key: `stripe:${id}`,
        post: async (o = {}) => {
          const headers = await stripeHeaders({ body, secret: o.forged === true ? "whsec_forged" : SECRETS.stripe, timestampSec: tsFor(o) });
          return workerCall("POST", path("stripe"), { raw: body, headers });
        },
      };
    }
    const source = step === "accepted" || step === "rejected" ? "wms" : "carrier";
    const type = { accepted: "fulfillment.accepted", rejected: "fulfillment.rejected", shipped: "shipment.shipped", delivered: "shipment.delivered" }[step];
    const data: JsonObject =
      step === "accepted" ? { fulfillment_id: `FO-${order}`, location: "DC-1" } : step === "rejected" ? { fulfillment_id: `FO-${order}`, code: "out_of_stock", reason: "backlog" } : { carrier: "FastShip", tracking_number: `FS${order}` };
    const body = toJsonText(standardEnvelope(type, order, new Date(at).toISOString(), data));
    const id = `msg_${step}_${order}`;
    return {
      order,
      step,
      key: `${source}:${id}`,
      post: async (o = {}) => {
        const headers = await standardHeaders({ body, secret: o.forged === true ? "whsec_Zm9yZ2VkIGtleSBmb3IgY2hhb3M=" : SECRETS.standard, id, timestampSec: tsFor(o) });
        return workerCall("POST", path(source), { raw: body, headers });
      },
    };
  }

  /** Posts a delivery and books it in the ledger with what the scenario expects of it. */
  send(d: Delivery, o: { stale?: boolean; forged?: boolean } = {}): Promise<Sent> {
    const expect = o.forged === true ? "signature_invalid" : o.stale === true ? "timestamp_stale" : "accepted";
    const label = `${d.step} ${d.order}${o.forged === true ? " (forged)" : o.stale === true ? " (stale replay)" : ""}`;
    return this.ledger.send({ label, key: d.key, expect, orderId: d.order }, async () => {
      await setClock(this.stub(d.order), this.clock);
      return d.post(o);
    });
  }

  async order(order: string): Promise<OrderSnapshot> {
    const { status, body } = await workerJson<{ order: OrderSnapshot }>("GET", `/v1/tenants/${this.tenant}/orders/${order}`, { token: this.key });
    if (status !== 200) throw new Error(`GET order ${order}: ${status}`);
    return body.order;
  }

  tasks(order: string): Promise<Task[]> {
    return orderObject(env, this.tenant, order).getTasks();
  }

  /** Orders neither terminal nor owned by someone: what the invariant calls silently dropped, checked mid-scenario. */
  async unowned(orders: readonly string[]): Promise<string[]> {
    const rows = await mapPool(orders, 6, async (o) => {
      const view = await this.order(o);
      return TERMINAL_STATES.includes(view.state) || (await this.tasks(o)).some(isOpenTask) ? null : `${o} (${view.state})`;
    });
    return rows.flatMap((r) => (r === null ? [] : [r]));
  }

  states(orders: readonly string[]): Promise<string[]> {
    return mapPool(orders, 6, async (o) => (await this.order(o)).state);
  }

  invariants(o: InvariantOptions = {}): Promise<InvariantReport> {
    return checkInvariants(this.tenant, this.key, { ledger: this.ledger, consumers: [this.wms, this.carrier], expectOrders: this.orders, ...o });
  }
}
