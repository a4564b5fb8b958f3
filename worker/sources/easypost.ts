import { verifyEasyPost } from "../../domain/webhooks/easypost";
import { at as atPath } from "../../domain/webhooks/preset";
import { at, firstInstant, idText, isRecord, parseFailure, parseJsonObject, text, validateEvents, verifyFailure } from "./common";
import type { HeaderGetter, ParseResult, SourceAdapter, VerifyInput, VerifyResult } from "./types";

/**
 * EasyPost tracker events: `X-Hmac-Signature: hmac-sha256-hex=<hex>` over the
 * raw body (domain/webhooks/easypost.ts). The Event's `result` is the Tracker;
 * its status becomes a shipment event. A Tracker carries no order of ours, so
 * the order id is read at a configured path (default `$.result.reference`,
 * which a tracker only has when whoever forwards it adds one).
 */
export const DEFAULT_ORDER_PATH = "$.result.reference";

async function verify({ raw, headers, secret }: VerifyInput): Promise<VerifyResult> {
  const header = headers("x-hmac-signature");
  if (header === null || header.trim() === "") return verifyFailure("signature_missing", "X-Hmac-Signature header is missing");
  if (secret === "") return verifyFailure("signature_invalid", "Source has an empty signing secret");
  return (await verifyEasyPost(raw, header, secret)) ? { ok: true } : verifyFailure("signature_invalid", "X-Hmac-Signature does not match the body");
}

const EVENTS = new Set(["tracker.created", "tracker.updated"]);

/** The time of the newest scan with the tracker's status, else when the tracker last changed. */
function when(tracker: Record<string, unknown>, status: string): string | undefined {
  const details = Array.isArray(tracker.tracking_details) ? tracker.tracking_details : [];
  const scans = details.filter((d) => at(d, "status") === status).map((d) => firstInstant(at(d, "datetime"))).filter((t) => t !== undefined);
  return scans.sort().at(-1) ?? firstInstant(tracker.updated_at, tracker.created_at);
}

function mapTracker(t: Record<string, unknown>): { type: string; data: Record<string, unknown> } | string {
  const status = text(t.status) ?? "";
  const carrier = text(t.carrier);
  const tracking_number = text(t.tracking_code);
  const parcel = { ...(carrier === undefined ? {} : { carrier }), ...(tracking_number === undefined ? {} : { tracking_number }) };
  const detail = text(t.status_detail);
  switch (status) {
    case "in_transit":
    case "out_for_delivery":
    case "available_for_pickup": {
      const url = text(t.public_url);
      return { type: "shipment.shipped", data: { ...parcel, ...(url === undefined ? {} : { tracking_url: url }) } };
    }
    case "delivered":
      return { type: "shipment.delivered", data: parcel };
    case "return_to_sender":
    case "failure":
      // The parcel will not arrive: a person decides what happens next.
      return { type: "fulfillment.rejected", data: { code: "other", reason: `${status}${detail === undefined ? "" : `: ${detail}`}` } };
    default:
      return `EasyPost tracker status '${status}' has no canonical mapping`;
  }
}

function orderPath(settings: unknown): string {
  const p = isRecord(settings) ? text(settings.order_id) : undefined;
  return p ?? DEFAULT_ORDER_PATH;
}

function parse({ raw, source, settings }: { raw: Uint8Array; headers: HeaderGetter; source: string; settings?: unknown }): ParseResult {
  const body = parseJsonObject(raw);
  if (!body.ok) return body;
  const event = body.value;
  const description = text(event.description) ?? "";
  if (!EVENTS.has(description)) return parseFailure("unsupported_event", `EasyPost event '${description}' is not handled`, { supported: [...EVENTS] });
  const tracker = event.result;
  if (!isRecord(tracker) || tracker.object !== "Tracker") return parseFailure("schema_mismatch", "EasyPost tracker event has no Tracker in result");
  const eventId = text(event.id);
  if (eventId === undefined) return parseFailure("schema_mismatch", "EasyPost event has no id; cannot deduplicate");
  const idempotencyKey = `${source}:${eventId}`;

  const mapped = mapTracker(tracker);
  if (typeof mapped === "string") return parseFailure("unsupported_event", mapped);
  const path = orderPath(settings);
  const orderId = idText(atPath(event, path));
  if (orderId === undefined) return parseFailure("order_id_missing", `No order id at ${path} (an EasyPost Tracker has no order reference of its own; configure the source's order_id path)`);

  const checked = validateEvents([
    { id: `${idempotencyKey}#0`, type: mapped.type, order_id: orderId, occurred_at: when(tracker, text(tracker.status) ?? ""), source, data: mapped.data },
  ]);
  if (!checked.ok) return checked;
  return { ok: true, idempotencyKey, orderId, events: checked.events };
}

export const easypost = {
  kind: "easypost",
  evidenceHeaders: ["x-hmac-signature", "user-agent"],
  verify,
  parse,
} satisfies SourceAdapter;
