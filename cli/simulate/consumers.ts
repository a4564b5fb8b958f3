import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Webhook } from "standardwebhooks";
import { z } from "zod";
import { signAs } from "../demo-senders";
import { header, MAX_CONSUMER_BODY_BYTES, readBody, reply } from "../consumer-http";
import { CONSUMER_TIMING, type PlannedOrder } from "./campaign";
import type { Dispatcher, Job } from "./dispatcher";
import { consumerFaults, deliveryFaults, isReordered, outageRemaining, REORDER_HOLD_MS, type ConsumerRole, type FaultConfig } from "./faults";
import { webhookPath } from "./jobs";
import { standardBody, type Templates } from "./payloads";
import { unit } from "./rng";
import { easypostBody } from "./sender-payloads";
import { compress } from "./schedules";

/**
 * The simulated WMS and carrier: they receive the engine's exports, verify
 * each signature, dedupe redeliveries by webhook-id, and report back the way
 * real integrations do — the WMS acks the routing export and reports the pick
 * accepted (or out of stock, then accepted after a restock); the carrier
 * reports shipped and delivered. Faults (outages, 422 rejections, slow
 * answers) are decided per export by the fault model; what they send back
 * goes through the dispatcher, so drops and duplicates apply to them too.
 */

export interface ConsumerOptions {
  host: string;
  port: number;
  /** What the engine can reach them at (a tunnel for a remote staging deployment); defaults to the listen address. */
  publicUrl: string | null;
  tenant: string;
  seed: number;
  faults: FaultConfig;
  timeFactor: number;
  runStart: number;
  dispatcher: Dispatcher;
  orders: ReadonlyMap<string, PlannedOrder>;
  /** Verify deliveries and sign acks: the ownership rules' consumer secrets. */
  consumerSecrets: Record<ConsumerRole, string>;
  /** Sign their inbound events: the tenant's source secrets and names for them (easypost: a carrier reporting through EasyPost trackers). */
  sources: Record<ConsumerRole, { name: string; secret: string }> & { easypost?: { name: string; secret: string } };
  /** The EasyPost tracker events a carrier on EasyPost reports with (needed only when the mix has one). */
  templates?: Pick<Templates, "easypostInTransit" | "easypostDelivered">;
}

export interface ConsumerStats {
  deliveries: number;
  redeliveries: number;
  outage503: number;
  rejected422: number;
  slow: number;
  badSignature: number;
  foreign: number;
  byRole: Record<ConsumerRole, number>;
}

export interface Consumers {
  url: string;
  stats: ConsumerStats;
  /** Reports not yet handed to the dispatcher, per order. */
  pendingFor(orderId: string): number;
  readonly pending: number;
  close(): Promise<void>;
}

const Delivery = z.object({ export_id: z.string(), order_id: z.string(), intended_action: z.string() });
type Delivery = z.infer<typeof Delivery>;

/** The routing consumer also receives the backorder export when the rules have no `steps.backorder` (--stock runs). */
const EXPECTED_ACTIONS: Record<ConsumerRole, readonly string[]> = { wms: ["fulfil_order", "backorder_order"], carrier: ["request_shipment"] };
/** A WMS in maintenance asks for a pause; the engine waits at least this long between attempts. */
const OUTAGE_RETRY_AFTER_S = 15;




export async function startConsumers(o: ConsumerOptions): Promise<Consumers> {
  const stats: ConsumerStats = { deliveries: 0, redeliveries: 0, outage503: 0, rejected422: 0, slow: 0, badSignature: 0, foreign: 0, byRole: { wms: 0, carrier: 0 } };
  const verifiers: Record<ConsumerRole, Webhook> = { wms: new Webhook(o.consumerSecrets.wms), carrier: new Webhook(o.consumerSecrets.carrier) };
  const handled: Record<ConsumerRole, Set<string>> = { wms: new Set(), carrier: new Set() };
  const firstDeliveryAt: Record<ConsumerRole, number | null> = { wms: null, carrier: null };
  const pendingByOrder = new Map<string, number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let closed = false;

  const track = (orderId: string, delta: number): void => {
    const n = (pendingByOrder.get(orderId) ?? 0) + delta;
    if (n <= 0) pendingByOrder.delete(orderId);
    else pendingByOrder.set(orderId, n);
  };

  /** Campaign-time delay for one step of one export, drawn per export so reruns agree. */
  const delay = (exportId: string, step: keyof typeof CONSUMER_TIMING): number => {
    const [lo, hi] = CONSUMER_TIMING[step];
    return compress(lo + (hi - lo) * unit(o.seed, `${step}:${exportId}`), o.timeFactor);
  };

  /** Hands a webhook to the dispatcher at wall time `at`, with the inbound faults for its key. */
  const submitAt = (orderId: string, key: string, at: number, wire: Pick<Job, "label" | "sender" | "path" | "body" | "headers">): void => {
    const f = deliveryFaults(o.seed, o.faults, key, wire.sender);
    track(orderId, 1);
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        track(orderId, -1);
        if (closed) return;
        o.dispatcher.submit(
          { key, orderId, ...wire, countLatency: wire.label !== "ack" },
          { firstAt: at, dropFirst: f.dropFirst, duplicateAt: f.duplicateAfter === null ? null : at + compress(f.duplicateAfter, o.timeFactor) },
        );
      },
      Math.max(0, at - Date.now()),
    );
    timers.add(timer);
  };

  /** A Standard Webhooks report (or, with `path`, the export's ack) from the WMS or carrier. */
  const report = (role: ConsumerRole, d: Delivery, type: string, at: number, data: Record<string, unknown>, path?: string): void => {
    const id = `sim-${role}_${type}_${d.export_id}`;
    const ack = path !== undefined;
    const body = ack ? JSON.stringify(data) : standardBody(type, d.order_id, at, data);
    const secret = ack ? o.consumerSecrets[role] : o.sources[role].secret;
    const headers = async () => (await signAs("standard", { body, secret, deliveryId: id })).headers;
    submitAt(d.order_id, `${role}:${type}:${d.export_id}`, at, { label: ack ? "ack" : role, sender: "standard", path: path ?? webhookPath(o.tenant, o.sources[role].name), body, headers });
  };

  /** A carrier on EasyPost: its tracker's tracker.updated Event for this status. */
  const trackerUpdate = (d: Delivery, status: "in_transit" | "delivered", at: number, tracking: string): void => {
    const source = o.sources.easypost;
    if (source === undefined || o.templates === undefined) throw new Error("an EasyPost carrier needs the easypost source and its templates");
    const eventId = `evt_${d.export_id.replace(/[^A-Za-z0-9]/g, "").slice(-20)}${status === "delivered" ? "d" : "t"}`;
    const body = easypostBody(status === "delivered" ? o.templates.easypostDelivered : o.templates.easypostInTransit, d.order_id, eventId, tracking, at);
    const headers = async () => (await signAs("easypost", { body, secret: source.secret })).headers;
    submitAt(d.order_id, `carrier:easypost.${status}:${d.export_id}`, at, { label: "easypost", sender: "easypost", path: webhookPath(o.tenant, source.name), body, headers });
  };

  /** The WMS acknowledges an export it took on; returns when. */
  const ackWms = (d: Delivery): number => {
    const ackAt = Date.now() + delay(d.export_id, "wmsAck");
    report("wms", d, "ack", ackAt, { status: "accepted" }, `/v1/tenants/${encodeURIComponent(o.tenant)}/exports/${encodeURIComponent(d.export_id)}/ack`);
    return ackAt;
  };

  const onWms = (d: Delivery, order: PlannedOrder): void => {
    const ackAt = ackWms(d);
    const decideAt = ackAt + delay(d.export_id, "wmsDecision");
    const fulfillment = { fulfillment_id: `SIM-FO-${order.number}`, location: "SIM-DC-1", export_id: d.export_id };
    if (order.stockout) {
      report("wms", d, "fulfillment.rejected", decideAt, { ...fulfillment, code: "out_of_stock", reason: "simulated stock-out" });
      report("wms", d, "fulfillment.accepted", decideAt + delay(d.export_id, "restock"), fulfillment);
    } else {
      report("wms", d, "fulfillment.accepted", decideAt, fulfillment);
    }
  };

  /** A backorder is put on the WMS's books and acknowledged; nothing ships until stock arrives, which the run does not simulate. */
  const onBackorder = (d: Delivery): void => {
    ackWms(d);
  };

  const onCarrier = (d: Delivery, order: PlannedOrder): void => {
    const tracking = `SIM${order.number}${d.export_id.length}`;
    let shipAt = Date.now() + delay(d.export_id, "carrierShip");
    const deliverAt = shipAt + delay(d.export_id, "carrierDeliver");
    // A reordered order hears "delivered" before "shipped", as a lagging carrier feed would report it.
    if (isReordered(o.seed, o.faults, order.id)) {
      const [lo, hi] = REORDER_HOLD_MS;
      shipAt = deliverAt + compress(lo + (hi - lo) * unit(o.seed, `hold:${d.export_id}`), o.timeFactor);
    }
    if (order.senders.carrier === "easypost") {
      trackerUpdate(d, "in_transit", shipAt, `EZ${tracking}`);
      trackerUpdate(d, "delivered", deliverAt, `EZ${tracking}`);
      return;
    }
    const parcel = { fulfillment_id: `SIM-FO-${order.number}`, carrier: "SimPost", tracking_number: tracking };
    report("carrier", d, "shipment.shipped", shipAt, { ...parcel, tracking_url: `https://track.simpost.example/${tracking}` });
    report("carrier", d, "shipment.delivered", deliverAt, parcel);
  };

  async function handle(role: ConsumerRole, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (body === null) return reply(res, 413, { error: "payload too large" });
    const signed: Record<string, string> = {};
    for (const h of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      const v = header(req, h);
      if (v !== undefined) signed[h] = v;
    }
    try {
      verifiers[role].verify(body, signed);
    } catch {
      stats.badSignature++;
      return reply(res, 401, { error: "invalid signature" });
    }
    let d: Delivery;
    try {
      d = Delivery.parse(JSON.parse(body));
    } catch {
      return reply(res, 400, { error: "not a handoff export" });
    }
    if (!EXPECTED_ACTIONS[role].includes(d.intended_action)) return reply(res, 422, { error: `expected ${EXPECTED_ACTIONS[role].join(" or ")}, got ${d.intended_action}` });
    const order = o.orders.get(d.order_id);
    if (!order) {
      // An export from an earlier run still being retried: take it, do nothing.
      stats.foreign++;
      return reply(res, 200, { ok: true, ignored: true });
    }
    stats.deliveries++;
    stats.byRole[role]++;
    const now = Date.now();
    firstDeliveryAt[role] ??= now;
    const down = outageRemaining(o.faults, role, o.runStart, firstDeliveryAt[role], now);
    if (down > 0) {
      stats.outage503++;
      return reply(res, 503, { error: "simulated outage" }, { "retry-after": String(OUTAGE_RETRY_AFTER_S) });
    }
    const f = consumerFaults(o.seed, o.faults, role, d.export_id);
    if (f.reject) {
      stats.rejected422++;
      return reply(res, 422, { error: "simulated business rejection", reason: role === "wms" ? "SKU not stocked at any DC" : "address outside service area" });
    }
    const first = !handled[role].has(d.export_id);
    if (first) {
      handled[role].add(d.export_id);
      if (d.intended_action === "backorder_order") onBackorder(d);
      else if (role === "wms") onWms(d, order);
      else onCarrier(d, order);
    } else {
      stats.redeliveries++;
    }
    if (f.slowMs > 0) {
      stats.slow++;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve();
        }, f.slowMs);
        timers.add(t);
      });
    }
    reply(res, 200, { ok: true, duplicate: !first });
  }

  const server = createServer((req, res) => {
    const route = (req.url ?? "").split("?")[0];
    const role: ConsumerRole | null = route === "/wms" ? "wms" : route === "/carrier" ? "carrier" : null;
    if (role === null) return reply(res, 404, { error: "deliveries go to POST /wms or POST /carrier" });
    if (req.method !== "POST") return reply(res, 405, { error: "POST only" }, { allow: "POST" });
    handle(role, req, res).catch(() => reply(res, 500, { error: "simulated consumer failed" }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : o.port;
  return {
    url: o.publicUrl ?? `http://${o.host}:${port}`,
    stats,
    pendingFor: (orderId) => pendingByOrder.get(orderId) ?? 0,
    get pending() {
      let n = 0;
      for (const v of pendingByOrder.values()) n += v;
      return n;
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
    },
  };
}
