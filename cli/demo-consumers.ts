import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { receiveNotification } from "./demo-receivers";
import { randomInt } from "node:crypto";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { z } from "zod";
import type { OwnershipRulesInput } from "../domain/ownership/schema";
import { standardHeaders } from "./sign";
import { header, MAX_CONSUMER_BODY_BYTES, readBody, reply } from "./consumer-http";

/**
 * The demo WMS and carrier `npm start` points the demo tenant's ownership rules
 * at, so a newcomer watches a paid order travel the whole way: routed to the
 * WMS, acked, accepted, handed to the carrier, shipped, delivered. Each plays
 * its part the way a real integration must: verify the delivery's signature,
 * answer fast, do the work afterwards, dedupe redeliveries by webhook-id, and
 * report back through the engine's own signed endpoints.
 */

export interface DemoConsumerOptions {
  port: number;
  /** The engine, e.g. http://127.0.0.1:8787. */
  base: string;
  tenant: string;
  /** What the engine signs deliveries (and the consumer its acks) with: the ownership rules' consumer secrets. */
  consumerSecrets: { wms: string; carrier: string };
  /** What the consumers sign their inbound events with: the tenant's `wms` and `carrier` sources. */
  sourceSecrets: { wms: string; carrier: string };
  /** The WMS answers 503 for this long after start, so the engine's retries show. */
  outageSeconds?: number;
  log?: (line: string) => void;
}

export interface DemoConsumers {
  /** Base URL; the WMS is at `${url}/wms`, the carrier at `${url}/carrier`. */
  url: string;
  close(): Promise<void>;
}

/** Pauses between steps: long enough to read each log line as it happens, short enough not to wait. */
const ACK_DELAY_MS = 1000;
const ACCEPT_DELAY_MS = 1000;
const SHIP_DELAY_MS = 1000;
const DELIVER_DELAY_MS = 3000;
const OUTAGE_RETRY_AFTER_S = 2;
/** A hung engine must not keep close() waiting. */
const ENGINE_TIMEOUT_MS = 10_000;

const LOCATION = "DEMO-DC-1";
const CARRIER = "DemoPost";

/** Only what the demo acts on; the full artifact is HandoffExport (GET /v1/schemas/export.json). */
const Delivery = z.object({
  export_id: z.string(),
  order_id: z.string(),
  intended_action: z.string(),
});
type Delivery = z.infer<typeof Delivery>;

/** Handoff taking back an export it sent (ExportCancellation in domain/handoff/cancellation.ts). */
const Cancellation = z.object({ type: z.literal("export.cancelled"), cancellation_id: z.string(), export_id: z.string(), order_id: z.string() });

type Role = "wms" | "carrier";

const EXPECTED_ACTION: Record<Role, string> = { wms: "fulfil_order", carrier: "request_shipment" };

/** The consumer's part of the demo rules: routing goes to the WMS (acked), shipping to the carrier. */
export function demoOwnershipRules(consumersUrl: string, consumerSecrets: { wms: string; carrier: string }): OwnershipRulesInput {
  return {
    steps: {
      payment: {
        owning_party: "merchant",
        owner: "finance@demo.example",
        backup: "ops@demo.example",
        on_call: "pagerduty:demo-payments",
        sla: "PT10M",
        exception_path: { type: "email", contact_id: "finance@demo.example" },
      },
      routing: {
        owning_party: "merchant",
        owner: "ops@demo.example",
        backup: "ops-lead@demo.example",
        on_call: "pagerduty:demo-ops",
        sla: "PT2M",
        exception_path: { type: "manual_queue", contact_id: "ops@demo.example" },
        consumer: { url: `${consumersUrl}/wms`, secret: consumerSecrets.wms, requires_ack: true },
      },
      fulfillment: {
        owning_party: "3pl:demo-wms",
        owner: "warehouse@demo-wms.example",
        backup: "shift-lead@demo-wms.example",
        on_call: "pagerduty:demo-wms",
        sla: "PT5M",
        exception_path: { type: "slack", contact_id: "#demo-fulfillment" },
      },
      shipping: {
        owning_party: "3pl:demo-wms",
        owner: "shipping@demo-wms.example",
        backup: "shift-lead@demo-wms.example",
        on_call: "pagerduty:demo-wms",
        sla: "PT10M",
        exception_path: { type: "manual_queue", contact_id: "3pl:demo-wms" },
        // The carrier reports back with shipment events; no separate ack is asked of it.
        consumer: { url: `${consumersUrl}/carrier`, secret: consumerSecrets.carrier, requires_ack: false },
      },
      delivery: {
        owning_party: "carrier:demopost",
        owner: "support@demopost.example",
        backup: "escalations@demopost.example",
        on_call: "cx-lead@demo.example",
        sla: "PT30M",
        exception_path: { type: "email", contact_id: "cx-lead@demo.example" },
      },
      customer: {
        owning_party: "merchant",
        owner: "cx@demo.example",
        backup: "cx-lead@demo.example",
        // A rotation (cli/demo-receivers.ts): whoever of the ops people is on call that day.
        on_call: "demo-oncall",
        sla: "P1D",
        exception_path: { type: "email", contact_id: "cx@demo.example" },
      },
    },
    policy: {
      fulfil_on: "captured",
      // Fast enough that a simulated outage resolves while you watch.
      retry: { initial: "PT1S", max_interval: "PT30S", max_attempts: 8, max_age: "PT1H" },
    },
  };
}

function safeJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}




/** "202" or "401 signature_invalid": enough to see at a glance whether the engine took it. */
async function outcome(res: Response): Promise<string> {
  if (res.ok) return String(res.status);
  const text = await res.text();
  try {
    const parsed: unknown = JSON.parse(text);
    const code = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).safeParse(parsed);
    if (code.success) return `${res.status} ${code.data.error.code}: ${code.data.error.message}`;
  } catch {
    // not JSON: show the raw excerpt below
  }
  return `${res.status} ${text.slice(0, 200)}`;
}

function short(id: string): string {
  return id.length > 48 ? `${id.slice(0, 45)}…` : id;
}

export async function startDemoConsumers(opts: DemoConsumerOptions): Promise<DemoConsumers> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const startedAt = Date.now();
  const outageMs = Math.max(0, (opts.outageSeconds ?? 0) * 1000);
  const verifiers: Record<Role, Webhook> = {
    wms: new Webhook(opts.consumerSecrets.wms),
    carrier: new Webhook(opts.consumerSecrets.carrier),
  };
  // Redeliveries carry the same webhook-id (= export id): a consumer must act on it once.
  const handled: Record<Role, Set<string>> = { wms: new Set(), carrier: new Set() };
  // What each consumer has acted on (reported accepted / shipped) and what it was told to drop.
  const acted: Record<Role, Set<string>> = { wms: new Set(), carrier: new Set() };
  const dropped = new Set<string>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const inflight = new Set<Promise<void>>();
  const shutdown = new AbortController();
  let fulfillments = 0;
  let closed = false;

  /** Runs `work` in the background; its failure is logged, and close() waits for it. */
  function track(prefix: string, label: string, work: () => Promise<void>): void {
    const task: Promise<void> = work()
      .catch((err: unknown) => {
        if (!closed) log(`${prefix} ${label} failed: ${describe(err)}`);
      })
      .finally(() => {
        inflight.delete(task);
      });
    inflight.add(task);
  }

  function after(ms: number, prefix: string, label: string, work: () => Promise<void>): void {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) track(prefix, label, work);
    }, ms);
    timers.add(timer);
  }

  async function postSigned(path: string, body: string, secret: string, id: string): Promise<Response> {
    const headers = await standardHeaders({ body, secret, id });
    return fetch(`${opts.base}${path}`, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.any([shutdown.signal, AbortSignal.timeout(ENGINE_TIMEOUT_MS)]),
    });
  }

  /** A canonical event from this consumer's source, with a webhook-id derived from the export so a replay is a duplicate. */
  async function sendEvent(role: Role, type: string, d: Delivery, data: Record<string, string>): Promise<string> {
    const body = JSON.stringify({ type, order_id: d.order_id, occurred_at: new Date().toISOString(), data });
    const res = await postSigned(
      `/v1/tenants/${encodeURIComponent(opts.tenant)}/webhooks/${role}`,
      body,
      opts.sourceSecrets[role],
      `demo-${role}_${type}_${d.export_id}`,
    );
    return outcome(res);
  }

  function onWms(d: Delivery): void {
    const p = "[demo-wms]";
    const fulfillmentId = `DEMO-FO-${++fulfillments}`;
    after(ACK_DELAY_MS, p, `ack of ${d.export_id}`, async () => {
      const res = await postSigned(
        `/v1/tenants/${encodeURIComponent(opts.tenant)}/exports/${encodeURIComponent(d.export_id)}/ack`,
        JSON.stringify({ status: "accepted" }),
        opts.consumerSecrets.wms,
        `ack_${d.export_id}`,
      );
      log(`${p} acked ${short(d.export_id)} (accepted) → ${await outcome(res)}; reporting fulfillment.accepted in ${ACCEPT_DELAY_MS / 1000}s`);
      after(ACCEPT_DELAY_MS, p, `fulfillment.accepted for ${d.order_id}`, async () => {
        if (dropped.has(d.export_id)) return log(`${p} not accepting ${short(d.export_id)}: it was cancelled`);
        acted.wms.add(d.export_id);
        const status = await sendEvent("wms", "fulfillment.accepted", d, { fulfillment_id: fulfillmentId, location: LOCATION, export_id: d.export_id });
        log(`${p} sent fulfillment.accepted ${fulfillmentId} at ${LOCATION} (order ${d.order_id}) → ${status}`);
      });
    });
  }

  function onCarrier(d: Delivery): void {
    const p = "[demo-carrier]";
    const tracking = `DP${randomInt(1_000_000_000, 9_999_999_999)}`;
    after(SHIP_DELAY_MS, p, `shipment.shipped for ${d.order_id}`, async () => {
      // A cancelled export must never become a parcel.
      if (dropped.has(d.export_id)) return log(`${p} not shipping ${short(d.export_id)}: it was cancelled`);
      acted.carrier.add(d.export_id);
      const status = await sendEvent("carrier", "shipment.shipped", d, {
        export_id: d.export_id,
        carrier: CARRIER,
        tracking_number: tracking,
        tracking_url: `https://track.demopost.example/${tracking}`,
      });
      log(`${p} sent shipment.shipped ${CARRIER} ${tracking} (order ${d.order_id}) → ${status}; delivering in ${DELIVER_DELAY_MS / 1000}s`);
      after(DELIVER_DELAY_MS, p, `shipment.delivered for ${d.order_id}`, async () => {
        const delivered = await sendEvent("carrier", "shipment.delivered", d, { carrier: CARRIER, tracking_number: tracking });
        log(`${p} sent shipment.delivered ${CARRIER} ${tracking} (order ${d.order_id}) → ${delivered}`);
      });
    });
  }

  /** Agrees to drop an export it has not acted on yet; one it already acted on is refused, so a person sorts it out. */
  function onCancellation(role: Role, c: z.infer<typeof Cancellation>, res: ServerResponse): void {
    const p = `[demo-${role}]`;
    reply(res, 200, { ok: true });
    const refuse = acted[role].has(c.export_id);
    if (!refuse) dropped.add(c.export_id);
    const verdict = refuse ? { status: "rejected", reason: `${role === "wms" ? "accepted" : "shipped"} already` } : { status: "accepted" };
    track(p, `ack of ${c.cancellation_id}`, async () => {
      const res2 = await postSigned(
        `/v1/tenants/${encodeURIComponent(opts.tenant)}/exports/${encodeURIComponent(c.cancellation_id)}/ack`,
        JSON.stringify(verdict),
        opts.consumerSecrets[role],
        `ack_${c.cancellation_id}`,
      );
      log(`${p} cancellation of ${short(c.export_id)} → ${refuse ? "refused (already acted on it)" : "dropped it"}; ack → ${await outcome(res2)}`);
    });
  }

  async function handle(role: Role, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const p = `[demo-${role}]`;
    const body = await readBody(req);
    if (body === null) {
      log(`${p} delivery over ${MAX_CONSUMER_BODY_BYTES} bytes → 413`);
      return reply(res, 413, { error: "payload too large" });
    }
    const signed: Record<string, string> = {};
    for (const h of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
      const v = header(req, h);
      if (v !== undefined) signed[h] = v;
    }
    try {
      verifiers[role].verify(body, signed);
    } catch (err) {
      const why = err instanceof WebhookVerificationError ? err.message : describe(err);
      log(`${p} refused a delivery (webhook-id ${signed["webhook-id"] ?? "none"}): ${why} → 401`);
      return reply(res, 401, { error: "invalid signature" });
    }
    const webhookId = signed["webhook-id"] ?? "";
    const cancellation = Cancellation.safeParse(safeJson(body));
    if (cancellation.success) return onCancellation(role, cancellation.data, res);
    let delivery: Delivery;
    try {
      delivery = Delivery.parse(JSON.parse(body));
    } catch {
      log(`${p} ${short(webhookId)} is not a handoff export → 400`);
      return reply(res, 400, { error: "not a handoff export" });
    }
    const what = `${short(webhookId)} (order ${delivery.order_id})`;
    if (delivery.intended_action !== EXPECTED_ACTION[role]) {
      // A permanent 4xx: the engine puts the order on hold instead of retrying a misrouted decision.
      log(`${p} received ${what} asking to ${delivery.intended_action}, which this ${role} does not do → 422`);
      return reply(res, 422, { error: `expected ${EXPECTED_ACTION[role]}, got ${delivery.intended_action}` });
    }
    if (handled[role].has(webhookId)) {
      log(`${p} redelivery of ${what} → 200 (already handled, not processed again)`);
      return reply(res, 200, { ok: true, duplicate: true });
    }
    const down = role === "wms" ? startedAt + outageMs - Date.now() : 0;
    if (down > 0) {
      log(`${p} received ${what} → 503, Retry-After: ${OUTAGE_RETRY_AFTER_S} (simulated outage, ${Math.ceil(down / 1000)}s left)`);
      return reply(res, 503, { error: "simulated outage" }, { "retry-after": String(OUTAGE_RETRY_AFTER_S) });
    }
    handled[role].add(webhookId);
    reply(res, 200, { ok: true });
    if (role === "wms") {
      log(`${p} received ${what} → 200; acking in ${ACK_DELAY_MS / 1000}s`);
      onWms(delivery);
    } else {
      log(`${p} received ${what} → 200; shipping in ${SHIP_DELAY_MS / 1000}s`);
      onCarrier(delivery);
    }
  }

  const server = createServer((req, res) => {
    const route = (req.url ?? "").split("?")[0] ?? "";
    const role: Role | null = route === "/wms" ? "wms" : route === "/carrier" ? "carrier" : null;
    if (role === null) {
      // The demo Slack and PagerDuty share the port: notifications about the demo's tasks print here.
      track("[demo-notify]", "request", async () => {
        if (!(await receiveNotification(route, req, res, log))) reply(res, 404, { error: "not found: deliveries go to POST /wms or POST /carrier" });
      });
      return;
    }
    if (req.method !== "POST") return reply(res, 405, { error: "POST only" }, { allow: "POST" });
    track(`[demo-${role}]`, "request", async () => {
      try {
        await handle(role, req, res);
      } finally {
        // A handler that threw must still answer, or the engine waits for its own timeout.
        if (!res.headersSent) reply(res, 500, { error: "demo consumer failed" });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // Loopback only: these accept anything correctly signed and should not be reachable from the network.
    server.listen(opts.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : opts.port;
  const url = `http://127.0.0.1:${port}`;
  if (outageMs > 0) log(`[demo-wms] simulating an outage: answering 503 for the first ${outageMs / 1000}s`);

  return {
    url,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      shutdown.abort();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
      await Promise.allSettled([...inflight]);
    },
  };
}
