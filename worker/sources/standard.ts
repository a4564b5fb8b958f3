import { EVENT_TYPES, type EventType } from "../../domain/events/canonical";
import { INVENTORY_EVENT_TYPES } from "../../domain/inventory/events";
import { STANDARD_HEADERS, verifyStandard } from "../../domain/webhooks/standard";
import {
  firstInstant,
  idText,
  parseFailure,
  parseJsonObject,
  text,
  validateEvents,
} from "./common";
import { inventoryEvents, isStockType } from "./inventory";
import type { HeaderGetter, InventoryParse, ParseFailure, ParseResult, SourceAdapter } from "./types";

/**
 * Standard Webhooks senders (OMS/WMS/carrier/CRM): the signature is checked by
 * the one Standard Webhooks codec (domain/webhooks/standard.ts); their body is
 * already a canonical envelope, which this adapter only checks.
 */

function isEventType(t: string): t is EventType {
  return (EVENT_TYPES as readonly string[]).includes(t);
}

function parse({ raw, headers, source }: { raw: Uint8Array; headers: HeaderGetter; source: string }): ParseResult {
  const body = parseJsonObject(raw);
  if (!body.ok) return body;
  const env = body.value;

  const type = text(env.type);
  if (type === undefined) return parseFailure("unsupported_event", "Envelope has no type");
  if (!isEventType(type)) {
    return parseFailure("unsupported_event", `Event type '${type}' is not a canonical type`, { supported: [...EVENT_TYPES, ...INVENTORY_EVENT_TYPES] });
  }

  const msgId = text(headers("webhook-id"));
  if (msgId === undefined) return parseFailure("schema_mismatch", "webhook-id header is missing; cannot deduplicate");
  const idempotencyKey = `${source}:${msgId.trim()}`;

  const orderId = idText(env.order_id);
  if (orderId === undefined) return parseFailure("order_id_missing", "Envelope has no order_id");

  const checked = validateEvents([
    {
      id: `${idempotencyKey}#0`,
      type,
      order_id: orderId,
      // A valid instant is normalised to UTC like every other sender's; anything else reaches the schema untouched.
      occurred_at: firstInstant(env.occurred_at) ?? env.occurred_at,
      source,
      data: env.data,
    },
  ]);
  if (!checked.ok) return checked;
  return { ok: true, idempotencyKey, orderId, events: checked.events };
}

/** `inventory.snapshot` / `inventory.adjusted`: the same envelope with `data.sku` and no order id. */
function parseStock({ raw, headers, source }: { raw: Uint8Array; headers: HeaderGetter; source: string }): InventoryParse | ParseFailure | null {
  const body = parseJsonObject(raw);
  if (!body.ok) return null;
  const type = text(body.value.type);
  if (type === undefined || !isStockType(type)) return null;
  const msgId = text(headers("webhook-id"));
  if (msgId === undefined) return parseFailure("schema_mismatch", "webhook-id header is missing; cannot deduplicate");
  const data = body.value.data;
  const sku = typeof data === "object" && data !== null && "sku" in data ? data.sku : undefined;
  return inventoryEvents(`${source}:${msgId.trim()}`, source, [{ type, sku, occurred_at: body.value.occurred_at, data }]);
}

export const standard = {
  parseStock,
  kind: "standard",
  evidenceHeaders: [...STANDARD_HEADERS],
  verify: verifyStandard,
  parse,
} satisfies SourceAdapter;
