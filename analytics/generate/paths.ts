import { OrderBuilder, RULES, type Canonical, type Milestone, type Step } from "./builder";
import { HOUR, MINUTE, SECOND, type Rng } from "./random";

/**
 * Lifecycles, one per kind of trouble the monthly review looks for. Each
 * plays its entries in time order (the builder cuts at the window's end), and
 * uses only what the engine writes: receipts, applied and duplicate events,
 * exports and their attempts, SLA breaches, holds and tasks.
 */

export const PATHS = [
  "happy", "uncaptured", "payment_failed", "consumer_rejected", "fulfillment_rejected", "outage",
  "oversell", "conflict", "schema", "silent_shipping", "silent_orphan", "cancelled", "late_change",
] as const;
export type PathName = (typeof PATHS)[number];

export const PATH_WEIGHTS: readonly (readonly [PathName, number])[] = [
  ["happy", 70], ["uncaptured", 5], ["payment_failed", 2], ["consumer_rejected", 3], ["fulfillment_rejected", 2],
  ["outage", 5], ["oversell", 3], ["conflict", 2], ["schema", 1.5], ["silent_shipping", 1], ["silent_orphan", 1],
  ["cancelled", 3], ["late_change", 1.5],
];

export interface Flow {
  b: OrderBuilder;
  rng: Rng;
  /** The checkout source (the sender that creates the order). */
  source: string;
}

const PEOPLE = ["ana", "bo", "chen", "dita", "eli"] as const;

/** Runs scheduled steps in time order, so interleaved ladders, claims and recoveries stay chronological. */
function play(items: readonly (readonly [number | null, () => void])[]): void {
  const due = items.filter((i): i is readonly [number, () => void] => i[0] !== null);
  for (const [, run] of [...due].sort((a, b) => a[0] - b[0])) run();
}

function ev(f: Flow, type: string, occurred: number, extra: Partial<Canonical> = {}, suffix = ""): Canonical {
  const milestone = MILESTONE[type];
  return { id: `${f.b.attrs.order_id}:${type}${suffix}`, type, occurred, ...(milestone ? { milestone } : {}), ...extra };
}

const MILESTONE: Record<string, Milestone> = {
  "order.created": "created_at", "payment.authorized": "authorized_at", "payment.captured": "captured_at",
  "payment.failed": "payment_failed_at", "fulfillment.requested": "routed_at", "fulfillment.accepted": "accepted_at",
  "shipment.shipped": "shipped_at", "shipment.delivered": "delivered_at", "order.cancelled": "cancelled_at",
  "payment.refunded": "refunded_at",
};

/** A sender's delivery, sometimes redelivered under a new key moments later (all duplicates). */
function deliver(f: Flow, at: number, source: string, events: readonly Canonical[]): void {
  f.b.receipt(at, source, events);
  if (f.rng.chance(0.05)) f.b.receipt(at + f.rng.int(200, 1500), source, events);
}

const lag = (f: Flow): number => f.rng.int(50, 3000);

/**
 * order.created, with the capture in the same Shopify delivery, an
 * authorization alone, or no payment yet. `due` is when the payment clock
 * runs out if the capture does not come.
 */
function checkout(f: Flow, t0: number, payment: "captured" | "authorized" | "none"): { t: number; due: number } {
  const at = t0 + lag(f);
  const created = ev(f, "order.created", t0);
  if (payment === "captured") {
    deliver(f, at, f.source, [created, ev(f, "payment.captured", t0)]);
    return { t: at + 3 * SECOND, due: at };
  }
  deliver(f, at, f.source, [created]);
  let started = at;
  if (payment === "authorized") {
    started = at + 2 * SECOND;
    deliver(f, started, "stripe", [ev(f, "payment.authorized", t0 + SECOND)]);
  }
  f.b.setClock(started + RULES.payment.sla_ms);
  return { t: at + 3 * SECOND, due: started + RULES.payment.sla_ms };
}

/** The capture of an authorized order, minutes later, then fulfilment. */
function captureLater(f: Flow, c: { t: number }): number {
  const at = c.t + f.rng.int(MINUTE, 30 * MINUTE);
  deliver(f, at, "stripe", [ev(f, "payment.captured", at - lag(f))]);
  return at + 2 * SECOND;
}

/** Handoff routes the paid order: fulfillment.requested, the fulfil_order export, its first attempt. */
function route(f: Flow, t: number, version = 1): { exportId: string; t: number } {
  const exportId = `exp_fulfil_order_v${version}_${f.b.attrs.order_id}`;
  f.b.applyOwn(t, ev(f, "fulfillment.requested", t, {}, version > 1 ? `:v${version}` : ""));
  f.b.exportIssued(t, "routing", exportId);
  f.b.setClock(t + RULES.routing.sla_ms);
  return { exportId, t: t + SECOND };
}

/** Delivered on attempt `n` and acknowledged by the WMS seconds later; the fulfillment clock starts. */
function handedOff(f: Flow, t: number, exportId: string, n = 1): number {
  f.b.attempt(t, exportId, "routing", n, 200, "delivered", null);
  const acked = t + f.rng.int(SECOND, 30 * SECOND);
  f.b.acked(acked, exportId, "routing", "ack");
  f.b.setClock(acked + RULES.fulfillment.sla_ms);
  return acked + SECOND;
}

/**
 * The WMS accepts the order; the shipping clock starts and Handoff hands
 * shipping to the carrier, whose contract asks for no ack: its 2xx a second
 * later is the acknowledgement (`via: "delivery"`), as the engine records it.
 * Without a shipping rule there is no carrier to hand to. `sameCommit` writes
 * what the acceptance settles in the same transaction (a recovered clock).
 */
function accept(f: Flow, t: number, o: { suffix?: string; delay?: boolean; shippingRule?: boolean; sameCommit?: (at: number) => void } = {}): number {
  const at = o.delay === false ? t : t + f.rng.int(5 * MINUTE, 4 * HOUR);
  deliver(f, at, "wms", [ev(f, "fulfillment.accepted", at - lag(f), {}, o.suffix ?? "")]);
  o.sameCommit?.(at);
  if (o.shippingRule !== false) {
    const exportId = `exp_request_shipment_v1_${f.b.attrs.order_id}`;
    f.b.exportIssued(at, "shipping", exportId);
    f.b.attempt(at + SECOND, exportId, "shipping", 1, 200, "delivered", null);
    f.b.acked(at + SECOND, exportId, "shipping", "delivery");
  }
  f.b.setClock(at + RULES.shipping.sla_ms);
  return at;
}

/** The carrier ships, and usually delivers within the month; a shipment event is sometimes repeated with the delivery. */
function ship(f: Flow, t: number): void {
  const at = t + f.rng.int(4 * HOUR, 36 * HOUR);
  const shipped = ev(f, "shipment.shipped", at - lag(f));
  deliver(f, at, "carrier", [shipped]);
  f.b.setClock(null);
  const dAt = at + f.rng.int(24 * HOUR, 96 * HOUR);
  const delivered = ev(f, "shipment.delivered", dAt - lag(f));
  deliver(f, dAt, "carrier", f.rng.chance(0.03) ? [shipped, delivered] : [delivered]);
  if (f.rng.chance(0.01)) deliver(f, dAt + f.rng.int(2 * HOUR, 48 * HOUR), "stripe", [ev(f, "payment.refunded", dAt + HOUR)]);
}

function fulfil(f: Flow, t: number, version = 1): void {
  const r = route(f, t, version);
  ship(f, accept(f, handedOff(f, r.t, r.exportId), { suffix: version > 1 ? `:v${version}` : "" }));
}

/** Breach ladder of `step` from `due`, stopping before `until` (a recovery), with its task. */
function ladder(f: Flow, step: Step, due: number, until: number | null, taskType: string): { taskId: () => string | null; items: [number | null, () => void][] } {
  let taskId: string | null = null;
  const sla = RULES[step].sla_ms;
  const items: [number | null, () => void][] = [];
  for (const level of [0, 1, 2] as const) {
    const at = due + level * sla;
    if (until !== null && until <= at) break;
    items.push([at, () => {
      f.b.breach(at, step, level);
      // The order object's alarm opens the task at the due time itself: the onset.
      if (level === 0) taskId = f.b.taskOpened(at, taskType, step, due);
    }]);
  }
  return { taskId: () => taskId, items };
}

const person = (f: Flow): string => `${f.rng.pick(PEOPLE)}@ops`;

function paymentTrouble(f: Flow, t0: number, failed: boolean): void {
  const c = checkout(f, t0, failed ? "none" : "authorized");
  if (failed) deliver(f, c.t, "stripe", [ev(f, "payment.failed", c.t - lag(f))]);
  const due = c.due;
  const recovers = f.rng.chance(failed ? 0.4 : 0.5);
  const cancels = !recovers && f.rng.chance(0.3);
  const end = recovers ? due + f.rng.int(30 * MINUTE, 10 * HOUR) : cancels ? due + f.rng.int(20 * HOUR, 72 * HOUR) : null;
  const l = ladder(f, "payment", due, end, failed ? "sla_breach" : "payment_not_captured");
  const claim = f.rng.chance(0.8) ? due + f.rng.int(5 * MINUTE, 6 * HOUR) : null;
  play([
    ...l.items,
    [claim !== null && (end === null || claim < end) ? claim : null, () => f.b.taskClaimed(claim ?? 0, l.taskId(), person(f))],
    [end, () => {
      const at = end ?? 0;
      const e = recovers ? ev(f, "payment.captured", at - lag(f)) : ev(f, "order.cancelled", at - lag(f));
      deliver(f, at, recovers ? "stripe" : f.source, [e]);
      if (at >= due) {
        f.b.recovered(at, "payment");
        f.b.taskClosed(at, l.taskId(), "cancelled", null, null);
      }
      f.b.setClock(null);
      if (recovers) fulfil(f, at + 2 * SECOND);
    }],
  ]);
}

/** A hold with its task: claimed, and then resolved (the hold cleared) or left open. */
function holdTask(f: Flow, at: number, holdEventId: string, taskType: string, step: Step, resolve: number, action: string): number | null {
  const taskId = f.b.taskOpened(at, taskType, step);
  f.b.setClock(null);
  const claim = at + f.rng.int(10 * MINUTE, 8 * HOUR);
  f.b.taskClaimed(claim, taskId, person(f));
  if (!f.rng.chance(resolve)) return null;
  const done = claim + f.rng.int(10 * MINUTE, 6 * HOUR);
  const by = person(f);
  f.b.taskClosed(done, taskId, "resolved", action, by);
  f.b.applyOwn(done, ev(f, "handoff.exception_cleared", done, { releases: holdEventId }, `:${taskType}`));
  return done + SECOND;
}

export function playPath(path: PathName, f: Flow, t0: number): void {
  const { b, rng } = f;
  switch (path) {
    case "happy":
      return fulfil(f, rng.chance(0.6) ? checkout(f, t0, "captured").t : captureLater(f, checkout(f, t0, "authorized")));
    case "uncaptured":
      return paymentTrouble(f, t0, false);
    case "payment_failed":
      return paymentTrouble(f, t0, true);
    case "consumer_rejected": {
      const r = route(f, checkout(f, t0, "captured").t);
      b.attempt(r.t, r.exportId, "routing", 1, 422, "rejected", "http_4xx");
      b.escalated(r.t, r.exportId, "routing", "consumer_rejected");
      const hold = ev(f, "handoff.exception", r.t, { hold: "consumer_rejected" }, ":consumer_rejected");
      b.applyOwn(r.t, hold);
      const t = holdTask(f, r.t, hold.id, "consumer_rejected", "routing", 0.6, "replay");
      if (t !== null) fulfil(f, t, 2);
      return;
    }
    case "fulfillment_rejected": {
      const r = route(f, checkout(f, t0, "captured").t);
      const at = handedOff(f, r.t, r.exportId) + rng.int(5 * MINUTE, 2 * HOUR);
      const rejected = ev(f, "fulfillment.rejected", at - lag(f), { milestone: "rejected_at", hold: "fulfillment_rejected" });
      deliver(f, at, "wms", [rejected]);
      const t = holdTask(f, at, rejected.id, "fulfillment_rejected", "fulfillment", 0.5, "override");
      if (t !== null) ship(f, accept(f, t, { suffix: ":after_override" }));
      return;
    }
    case "outage":
      return outage(f, checkout(f, t0, "captured").t);
    case "oversell": {
      const r = route(f, checkout(f, t0, "captured").t);
      const at = handedOff(f, r.t, r.exportId) + rng.int(5 * MINUTE, 2 * HOUR);
      deliver(f, at, "wms", [ev(f, "fulfillment.rejected", at - lag(f), { milestone: "backordered_at" })]);
      b.setClock(at + RULES.fulfillment.sla_ms);
      const due = at + RULES.fulfillment.sla_ms;
      const restock = rng.chance(0.5) ? at + rng.int(6 * HOUR, 60 * HOUR) : null;
      const l = ladder(f, "fulfillment", due, restock, "sla_breach");
      return play([
        ...l.items,
        [restock, () => {
          const t = accept(f, restock ?? 0, {
            suffix: ":restock",
            delay: false,
            sameCommit: (at) => {
              if (at < due) return;
              b.recovered(at, "fulfillment");
              b.taskClosed(at, l.taskId(), "cancelled", null, null);
            },
          });
          ship(f, t);
        }],
      ]);
    }
    case "conflict": {
      const r = route(f, checkout(f, t0, "captured").t);
      const accepted = accept(f, handedOff(f, r.t, r.exportId));
      const at = accepted + rng.int(HOUR, 20 * HOUR);
      const update = ev(f, "order.updated", at - lag(f), { conflict: true, hold: "locked_field_conflict" });
      deliver(f, at, f.source, [update]);
      const t = holdTask(f, at, update.id, "locked_field_conflict", "customer", 0.8, rng.chance(0.6) ? "override" : "close");
      if (t !== null) ship(f, t);
      return;
    }
    case "schema": {
      const r = route(f, checkout(f, t0, "captured").t);
      const accepted = accept(f, handedOff(f, r.t, r.exportId));
      const refusedAt = accepted + rng.int(4 * HOUR, 30 * HOUR);
      const taskId = b.externalTask(refusedAt, "schema_rejection", "shipping", `rej_${b.attrs.order_id}`);
      const claim = rng.chance(0.6) ? refusedAt + rng.int(15 * MINUTE, 12 * HOUR) : null;
      const fixed = claim !== null && rng.chance(0.5) ? claim + rng.int(30 * MINUTE, 8 * HOUR) : null;
      const due = accepted + RULES.shipping.sla_ms;
      const l = ladder(f, "shipping", due, fixed, "sla_breach");
      return play([
        ...l.items,
        [claim, () => b.taskClaimed(claim ?? 0, taskId, person(f))],
        [fixed, () => {
          const t = fixed ?? 0;
          b.taskClosed(t, taskId, "resolved", "replay", person(f));
          deliver(f, t + MINUTE, "carrier", [ev(f, "shipment.shipped", refusedAt)]);
          b.setClock(null);
          if (t + MINUTE >= due) {
            b.recovered(t + MINUTE, "shipping");
            b.taskClosed(t + MINUTE, l.taskId(), "cancelled", null, null);
          }
        }],
      ]);
    }
    case "silent_shipping": {
      const r = route(f, checkout(f, t0, "captured").t);
      accept(f, handedOff(f, r.t, r.exportId), { shippingRule: false });
      // The shipping step had no rule when the order was accepted: no clock, nobody watching.
      return b.setClock(null);
    }
    case "silent_orphan":
      // A capture whose order.created never came: the order object exists, nothing else does.
      return deliver({ ...f, source: "stripe" }, t0 + lag(f), "stripe", [ev(f, "payment.captured", t0)]);
    case "cancelled": {
      const { t } = checkout(f, t0, "authorized");
      const at = t + rng.int(5 * MINUTE, 100 * MINUTE);
      deliver(f, at, f.source, [ev(f, "order.cancelled", at - lag(f))]);
      return b.setClock(null);
    }
    case "late_change": {
      const r = route(f, checkout(f, t0, "captured").t);
      const accepted = accept(f, handedOff(f, r.t, r.exportId));
      const at = accepted + rng.int(10 * MINUTE, 3 * HOUR);
      b.changedLate(at, `${b.attrs.order_id}:order.updated:late`);
      return ship(f, at);
    }
  }
}

/** The WMS answers 503: a few retries, a long outage that breaches the routing SLA, or retries exhausted. */
function outage(f: Flow, t: number): void {
  const { b, rng } = f;
  const r = route(f, t);
  const kind = rng.weighted([["short", 50], ["long", 30], ["exhausted", 20]] as const);
  // Backoff 1 s, 2 s, 4 s … (a long outage is minutes apart: the consumer sent Retry-After).
  const unit = kind === "long" ? MINUTE : SECOND;
  const outageEnd = kind === "long" ? r.t + rng.int(20 * MINUTE, 100 * MINUTE) : 0;
  const failing = kind === "short" ? rng.int(1, 3) : 8;
  const attempts: [number, () => void][] = [];
  let at = r.t;
  let n = 1;
  for (; n <= failing && (kind !== "long" || at < outageEnd); n++) {
    const when = at;
    const nth = n;
    const outcome = kind === "exhausted" && n === 8 ? "exhausted" : "retry";
    attempts.push([when, () => b.attempt(when, r.exportId, "routing", nth, 503, outcome, "http_5xx")]);
    at += 2 ** (n - 1) * unit;
  }
  if (kind === "exhausted") {
    play(attempts);
    const end = attempts[attempts.length - 1]?.[0] ?? r.t;
    b.escalated(end, r.exportId, "routing", "delivery_failed");
    const hold = ev(f, "handoff.exception", end, { hold: "delivery_failed" }, ":delivery_failed");
    b.applyOwn(end, hold);
    const done = holdTask(f, end, hold.id, "delivery_failed", "routing", 0.7, "replay");
    if (done !== null) fulfil(f, done, 2);
    return;
  }
  const deliveredAt = at;
  const ackAt = deliveredAt + rng.int(SECOND, 30 * SECOND);
  const due = r.t - SECOND + RULES.routing.sla_ms;
  const l = ladder(f, "routing", due, ackAt, "sla_breach");
  const nth = n;
  play([
    ...attempts,
    ...l.items,
    [deliveredAt, () => b.attempt(deliveredAt, r.exportId, "routing", nth, 200, "delivered", null)],
    [ackAt, () => {
      b.acked(ackAt, r.exportId, "routing", "ack");
      if (ackAt >= due) {
        b.recovered(ackAt, "routing");
        b.taskClosed(ackAt, l.taskId(), "cancelled", null, null);
      }
      b.setClock(ackAt + RULES.fulfillment.sla_ms);
      ship(f, accept(f, ackAt + SECOND));
    }],
  ]);
}
