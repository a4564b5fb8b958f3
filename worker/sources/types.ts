import type { CanonicalEvent } from "../../domain/events/canonical";
import type { InventoryEvent } from "../../domain/inventory/events";

/** Case-insensitive header lookup; adapters never see a platform Request. */
export type HeaderGetter = (name: string) => string | null;

export interface VerifyInput {
  raw: Uint8Array;
  headers: HeaderGetter;
  secret: string;
  /** Milliseconds since epoch; injected so tolerance windows are testable. */
  now: number;
  /** The source's stored configuration (the `hmac` preset, EasyPost's order-id path); null when it has none. */
  settings?: unknown;
}

export type VerifyFailure = {
  ok: false;
  code: "signature_missing" | "signature_invalid" | "timestamp_stale";
  message: string;
  /**
   * The signature itself matched (only the signed timestamp is out of
   * tolerance): the refusal is recorded as signature-verified, because it is.
   */
  authentic?: true;
};
export type VerifyResult = { ok: true } | VerifyFailure;

export interface ParseInput {
  raw: Uint8Array;
  headers: HeaderGetter;
  /** The sender's name inside the tenant (e.g. `shop`, `wms`); prefixes idempotency keys. */
  source: string;
  /** As in VerifyInput. */
  settings?: unknown;
}

export type ParseFailure = {
  ok: false;
  /** invalid_json → 400; the rest → 422 */
  code: "invalid_json" | "unsupported_event" | "order_id_missing" | "schema_mismatch" | "topic_mismatch";
  message: string;
  details?: unknown;
};
/** Stock facts about one SKU (no order id): routed to the SKU's inventory object, not an order's. */
export interface InventoryParse {
  ok: true;
  idempotencyKey: string;
  sku: string;
  events: InventoryEvent[];
  /** The sender named its own stock item, not a SKU: `sku` is a placeholder until the tenant's mapping resolves it. */
  item?: { system: "shopify"; id: string };
}

/** A well-formed, verified delivery that says nothing Handoff records (a WooCommerce product without stock management): 200, no receipt. */
export interface Ignored {
  ok: true;
  ignored: string;
}

/** One delivery's events for one order: what the order's object commits under one receipt. */
export interface Delivery {
  idempotencyKey: string;
  orderId: string;
  events: CanonicalEvent[];
  /**
   * What the sender said the body is, when the signature does not cover it
   * (Shopify's X-Shopify-Topic). The order object refuses the same bytes
   * under a second topic: a captured body must not be re-labelled.
   */
  topic?: string;
}
export type ParseResult = ({ ok: true } & Delivery) | ParseFailure;

/**
 * What one request held. Most senders post one delivery; Adyen posts a batch,
 * each item its own receipt, possibly for different orders.
 */
export type Received = ParseResult | { ok: true; batch: Delivery[] };

export const SOURCE_KINDS = ["shopify", "stripe", "standard", "woocommerce", "adyen", "easypost", "hmac"] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface SourceAdapter {
  kind: SourceKind;
  /** Header names worth keeping on a rejection record (lower-case). */
  evidenceHeaders: readonly string[];
  /** Headers named by the source's configuration (the `hmac` preset's): kept as evidence, signatures only as a fingerprint. */
  configuredHeaders?(settings: unknown): { evidence: string[]; signatures: string[] };
  /**
   * A request that is not a delivery and that the sender sends unsigned
   * (WooCommerce's ping when a webhook is saved): answered 200 before
   * verification, recording nothing. Null for everything else.
   */
  ping?(raw: Uint8Array, headers: HeaderGetter): string | null;
  verify(input: VerifyInput): Promise<VerifyResult>;
  parse(input: ParseInput): Received;
  /**
   * Stock messages, asked before `parse`: null when the body is not one (then
   * `parse` decides), else the SKU's stock events, why they were refused, or
   * why the message was ignored.
   */
  parseStock?(input: ParseInput): InventoryParse | Ignored | ParseFailure | null;
  /** The body the sender needs once everything is durable (Adyen: `[accepted]`); the receipt JSON when absent. */
  acceptedBody?: string;
}

/** Every delivery a parsed request holds. */
export function deliveriesOf(r: Exclude<Received, { ok: false }>): Delivery[] {
  return "batch" in r ? r.batch : [r];
}
