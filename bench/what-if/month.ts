import { readFileSync } from "node:fs";
import type { CanonicalEvent } from "../../domain/events/canonical";
import type { AttemptResult } from "../../domain/handoff/delivery";
import type { RulesInput } from "../../domain/handoff/plan";
import { OwnershipRules, type OwnershipRulesInput } from "../../domain/ownership/schema";
import { iso } from "../../domain/time";
import type { AuditLine, RecordedInput } from "../../domain/whatif/recorded";
import { OrderReplay, rulesInForce } from "../../domain/whatif/replay";
import { DAY, HOUR, MINUTE, Rng, SECOND } from "../../analytics/generate/random";

/**
 * A month of one tenant's orders decided LIVE by the order object's own
 * functions (via OrderReplay, the in-memory object), with simulated senders
 * and consumers answering what the object actually sends: a warehouse that
 * mostly acks, sometimes 503s, rejects or never answers; a carrier that ships
 * late now and then; payments that arrive late or never get captured; a
 * person resolving some held orders. The rules change twice inside the month.
 * What comes out is each order's audit trail as D1 holds it, nothing else:
 * the what-if proof and benchmark must rebuild everything from that.
 */

export interface Month {
  tenant: string;
  versions: Map<number, RulesInput>;
  /** When each version took effect (epoch ms). */
  changes: { version: number; at: number }[];
  orders: { order_id: string; trail: AuditLine[] }[];
  start: number;
  end: number;
}

const BASE = JSON.parse(readFileSync(new URL("../../test/fixtures/ownership/rules.json", import.meta.url), "utf8")) as OwnershipRulesInput;

function variant(edit: (r: OwnershipRulesInput) => void): OwnershipRules {
  const r = structuredClone(BASE);
  // Realistic month-scale SLAs (the fixture's are test-scale).
  r.steps.routing.sla = "PT15M";
  r.steps.fulfillment.sla = "PT24H";
  r.steps.shipping.sla = "P2D";
  r.steps.payment.sla = "PT2H";
  r.policy = { fulfil_on: "captured", retry: { initial: "PT1S", max_interval: "PT5M", max_attempts: 6, max_age: "PT2H" } };
  edit(r);
  return OwnershipRules.parse(r);
}

/** Version 1 from the start; 2 on day 10 (new routing owner, tighter fulfilment); 3 on day 20 (route on authorization). */
export function monthRules(): { version: number; rules: OwnershipRules; day: number }[] {
  return [
    { version: 1, day: 0, rules: variant(() => undefined) },
    {
      version: 2,
      day: 10,
      rules: variant((r) => {
        r.steps.routing.owner = "routing-nights@agency.example";
        r.steps.fulfillment.sla = "PT12H";
      }),
    },
    {
      version: 3,
      day: 20,
      rules: variant((r) => {
        r.steps.routing.owner = "routing-nights@agency.example";
        r.steps.fulfillment.sla = "PT12H";
        r.policy = { ...r.policy, fulfil_on: "authorized" };
      }),
    },
  ];
}

interface Pending {
  at: number;
  n: number;
  input: RecordedInput;
}

/** The world around one order: its senders' script and the consumers answering what it sends. */
class World {
  private queue: Pending[] = [];
  private n = 0;
  private inFlight = new Set<string>();
  private answered = new Set<string>();

  constructor(
    private readonly sim: OrderReplay,
    private readonly rng: Rng,
    private readonly orderId: string,
    private readonly versionAt: (t: number) => number,
  ) {}

  push(input: RecordedInput): void {
    this.queue.push({ at: input.at, n: this.n++, input });
  }

  receipt(at: number, source: string, events: CanonicalEvent[]): void {
    const key = `${source}-${this.orderId}-${this.n}`;
    this.push({ kind: "receipt", at, seq: 0, receipt_id: `rcpt_${key}`, source, idempotency_key: key, raw_sha256: key, request_id: `req-${key}`, events, rules_version: this.versionAt(at) });
  }

  event(type: CanonicalEvent["type"], at: number, source: string, data: Record<string, unknown>): CanonicalEvent {
    return { id: `${source}:${this.orderId}:${type}:${this.n}`, type, order_id: this.orderId, occurred_at: iso(at), source, data } as CanonicalEvent;
  }

  /** A delivery timer fired: the consumer answers, as the object's fetch would see it. */
  private deliver(kind: "deliver" | "cancel", exportId: string, at: number): void {
    const row = this.sim.tables.exportRows.find((r) => r.export_id === exportId);
    if (!row) return;
    const wms = row.action === "fulfil_order";
    const roll = this.rng.next();
    const ok: AttemptResult = { status: 200, latency_ms: this.rng.int(20, 400), error_class: null, retry_after_ms: null, error: null, body_excerpt: null };
    let result = ok;
    if (kind === "deliver" && wms && roll < 0.06) result = { ...ok, status: 503, error_class: "http_5xx", error: "503 Service Unavailable", retry_after_ms: roll < 0.02 ? 30_000 : null };
    else if (kind === "deliver" && wms && roll < 0.08) result = { ...ok, status: 422, error_class: "http_4xx", error: "422 Unprocessable Entity" };
    else if (kind === "deliver" && wms && roll < 0.1) result = { ...ok, status: null, latency_ms: 10_000, error_class: "timeout", error: "timed out after 10000 ms" };
    const first = kind === "deliver" ? row.first_attempt_at : (this.sim.tables.cancellationRows.find((c) => c.export_id === exportId)?.first_attempt_at ?? null);
    this.inFlight.add(`${kind}:${exportId}`);
    this.push({ kind: kind === "deliver" ? "attempt" : "cancel_attempt", at: at + result.latency_ms, seq: 0, export_id: exportId, first_attempt_at: first ?? at, result });
  }

  /** After a 2xx the consumer does its part, once per export: acks, accepts, ships, or (rarely) never answers. */
  private react(at: number): void {
    for (const r of this.sim.tables.exportRows) {
      if (r.delivered_at === null && r.status !== "acked") continue;
      if (this.answered.has(r.export_id)) continue;
      this.answered.add(r.export_id);
      if (r.action === "fulfil_order") {
        const roll = this.rng.next();
        if (roll < 0.03) continue; // never acks: the ack clock must catch it
        if (roll < 0.5) this.push({ kind: "ack", at: at + this.rng.int(1, 120) * SECOND, seq: 0, export_id: r.export_id, status: "accepted", reason: null });
        const accepted = at + (this.rng.chance(0.1) ? this.rng.int(13, 30) * HOUR : this.rng.int(5, 600) * MINUTE);
        if (this.rng.chance(0.04)) this.receipt(accepted, "wms", [this.event("fulfillment.rejected", accepted, "wms", { export_id: r.export_id, code: "address_invalid", reason: "no such street" })]);
        else this.receipt(accepted, "wms", [this.event("fulfillment.accepted", accepted, "wms", { export_id: r.export_id, location: "DC-1" })]);
      } else {
        const shipped = at + (this.rng.chance(0.1) ? this.rng.int(49, 80) * HOUR : this.rng.int(2, 40) * HOUR);
        this.receipt(shipped, "carrier", [this.event("shipment.shipped", shipped, "carrier", { export_id: r.export_id, carrier: "fastship", tracking_number: `FS${this.n}` })]);
        const delivered = shipped + this.rng.int(20, 90) * HOUR;
        this.receipt(delivered, "carrier", [this.event("shipment.delivered", delivered, "carrier", { carrier: "fastship" })]);
      }
    }
    for (const c of this.sim.tables.cancellationRows) {
      if (c.status !== "delivered" || this.answered.has(`cancel:${c.export_id}`)) continue;
      this.answered.add(`cancel:${c.export_id}`);
      this.push({ kind: "cancel_ack", at: at + this.rng.int(1, 60) * SECOND, seq: 0, export_id: c.export_id, status: "accepted", reason: null });
    }
    // Someone works the queue: most held orders are replayed by a person within hours.
    for (const t of this.sim.tables.taskRows) {
      if (t.status !== "open" || t.ref.startsWith("sla:") || this.answered.has(t.task_id)) continue;
      this.answered.add(t.task_id);
      if (this.rng.chance(0.3)) continue;
      const when = at + this.rng.int(10, 300) * MINUTE;
      this.push({ kind: "claim", at: when, seq: 0, task_id: t.task_id, by: "ops@acme.example" });
      this.push({ kind: "resolve", at: when + 5 * MINUTE, seq: 0, task_id: t.task_id, resolution: { resolution: "address fixed with the customer", justification: "customer confirmed by phone", action: "replay", by: "ops@acme.example" } });
    }
  }

  private nextDelivery(): { kind: "deliver" | "cancel"; key: string; due_at: number } | null {
    let best: { kind: "deliver" | "cancel"; key: string; due_at: number } | null = null;
    for (const t of this.sim.tables.timerRows) {
      if ((t.kind !== "deliver" && t.kind !== "cancel") || this.inFlight.has(`${t.kind}:${t.key}`)) continue;
      if (!best || t.due_at < best.due_at) best = { kind: t.kind, key: t.key, due_at: t.due_at };
    }
    return best;
  }

  run(until: number): void {
    for (;;) {
      this.queue.sort((a, b) => a.at - b.at || a.n - b.n);
      const next = this.queue[0];
      const d = this.nextDelivery();
      const horizon = Math.min(next?.at ?? Number.POSITIVE_INFINITY, until);
      // The alarm's own timers, one instant at a time (they can schedule a delivery that comes first).
      const t = this.sim.nextTimer(horizon);
      if (t && (!d || t.due_at <= d.due_at)) {
        this.sim.runTimers(t.due_at + 1);
        continue;
      }
      // An inbound call at the same ms as a due timer runs first (the replay's convention too).
      if (d && d.due_at < horizon) {
        this.deliver(d.kind, d.key, d.due_at);
        continue;
      }
      if (!next || next.at > until) break;
      this.queue.shift();
      this.sim.runTimers(next.at);
      this.sim.apply(next.input);
      if (next.input.kind === "attempt") this.inFlight.delete(`deliver:${next.input.export_id}`);
      if (next.input.kind === "cancel_attempt") this.inFlight.delete(`cancel:${next.input.export_id}`);
      this.react(next.at);
    }
    this.sim.runTimers(until);
  }
}

export function generateMonth(opts: { orders: number; seed?: number; from?: string; days?: number; tenant?: string }): Month {
  const tenant = opts.tenant ?? "acme";
  const start = Date.parse(`${opts.from ?? "2026-10-01"}T00:00:00.000Z`);
  const days = opts.days ?? 30;
  const end = start + days * DAY;
  const rng = new Rng(opts.seed ?? 16);
  const plan = monthRules();
  const versions = new Map(plan.map((p) => [p.version, { version: p.version, rules: p.rules }]));
  const changes = plan.map((p) => ({ version: p.version, at: start + p.day * DAY }));
  const versionAt = (t: number): number => changes.filter((c) => c.at <= t).at(-1)?.version ?? 1;
  const orders: Month["orders"] = [];
  for (let i = 0; i < opts.orders; i++) {
    const orderId = `wi-${String(i).padStart(6, "0")}`;
    const sim = new OrderReplay({ tenant, order_id: orderId }, rulesInForce(versions));
    const w = new World(sim, rng, orderId, versionAt);
    const t0 = start + Math.floor(rng.next() * (end - start - 2 * DAY));
    const total = { amount_minor: rng.int(900, 40_000), currency: "EUR" };
    w.receipt(t0 + rng.int(1, 20) * SECOND, "shopify", [
      w.event("order.created", t0, "shopify", {
        total,
        line_items: [{ sku: `SKU-${rng.int(1, 40)}`, quantity: rng.int(1, 3) }],
        shipping_address: { name: "Ada Lovelace", address1: "1 Analytical St", city: "London", zip: "N1", country_code: "GB" },
      }),
    ]);
    const pay = rng.next();
    const payAt = t0 + (pay < 0.1 ? rng.int(3, 9) * HOUR : rng.int(10, 600) * SECOND);
    if (pay < 0.2) {
      w.receipt(payAt, "stripe", [w.event("payment.authorized", payAt, "stripe", { amount: total, payment_id: `pi_${i}` })]);
      // Most are captured later; a few never are (the capture guard must escalate).
      if (rng.chance(0.8)) {
        const cap = payAt + rng.int(1, 40) * HOUR;
        w.receipt(cap, "stripe", [w.event("payment.captured", cap, "stripe", { amount: total, payment_id: `pi_${i}` })]);
      }
    } else if (pay < 0.97) {
      w.receipt(payAt, "stripe", [w.event("payment.captured", payAt, "stripe", { amount: total, payment_id: `pi_${i}` })]);
    }
    if (rng.chance(0.02)) {
      const cancelAt = t0 + rng.int(1, 48) * HOUR;
      w.receipt(cancelAt, "shopify", [w.event("order.cancelled", cancelAt, "shopify", { reason: "customer" })]);
    }
    w.run(end);
    // As D1 stores it: JSON text, read back.
    orders.push({ order_id: orderId, trail: sim.trail.map((e) => ({ ...e, data: JSON.parse(JSON.stringify(e.data)) as unknown })) });
  }
  return { tenant, versions, changes, orders, start, end };
}
