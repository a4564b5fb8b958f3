import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { InventoryReceipt } from "../../domain/inventory/object";
import { Receipt } from "../../domain/order/object";
import type { AppEnv, Env } from "../env";
import { ApiError, errorResponses, type ErrorCode } from "../errors";
import { sha256Hex } from "../../domain/crypto";
import { commitStock } from "../inventory";
import { commitToOrder } from "../orders";
import { checkPathNames, SourceName, TenantId } from "../names";
import { anyOf, SenderHeaders } from "../openapi";
import { METRICS, SPANS } from "../telemetry/tracer";
import { reject } from "../rejections";
import { adapters } from "../sources";
import { deliveriesOf, type SourceAdapter } from "../sources/types";
import { sourceConfig, tenantExists, type SourceConfig } from "../tenancy";
import { readCapped } from "../lib/read-capped";

export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * What we keep of a body whose signature was never verified: enough to see
 * what a misconfigured sender is posting, not enough for anyone who knows a
 * tenant id to fill D1 with megabytes of noise.
 */
export const UNVERIFIED_BODY_BYTES = 8 * 1024;
/** Signature values are replaced by a fingerprint: a stored one could be replayed (Shopify's carry no timestamp). */
const SIGNATURE_HEADERS = ["x-shopify-hmac-sha256", "stripe-signature", "webhook-signature", "x-wc-webhook-signature", "x-hmac-signature"];

const GENERIC_EVIDENCE = ["content-type", "content-length", "user-agent"];

async function pickHeaders(req: Request, names: readonly string[], signatures: ReadonlySet<string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = req.headers.get(n);
    if (v === null) continue;
    out[n] = signatures.has(n) ? `sha256:${(await sha256Hex(v)).slice(0, 16)}` : v.slice(0, 1024);
  }
  return out;
}

/** A source's evidence headers and which of them are signatures (the `hmac` preset names its own). */
function evidenceOf(adapter: SourceAdapter | null, settings: unknown): { names: string[]; signatures: Set<string> } {
  const configured = adapter?.configuredHeaders?.(settings) ?? { evidence: [], signatures: [] };
  return {
    names: [...new Set([...GENERIC_EVIDENCE, ...(adapter?.evidenceHeaders ?? []), ...configured.evidence])],
    signatures: new Set([...SIGNATURE_HEADERS, ...configured.signatures]),
  };
}

type Outcome = { res: Response; outcome: "acked" | "duplicate" | "ping" | "ignored" };

async function ingest(c: Context<AppEnv>, env: Env, tenant: string, source: string): Promise<Outcome> {
  const now = Date.now();
  checkPathNames({ tenant: { value: tenant, schema: TenantId }, source: { value: source, schema: SourceName } });
  let exists: boolean;
  let config: SourceConfig | null;
  try {
    exists = await tenantExists(env, tenant);
    config = exists ? await sourceConfig(env, tenant, source) : null;
  } catch (err) {
    console.error("tenant config unavailable", err);
    throw new ApiError("unavailable", "Configuration store unavailable; retry later", undefined, { "retry-after": "5" });
  }
  if (!exists) throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);

  const body = await readCapped(c.req.raw, MAX_BODY_BYTES);
  const adapter = config ? adapters[config.kind] : null;
  const evidence = evidenceOf(adapter, config?.settings ?? null);
  let signatureVerified = false;
  const refuse = async (code: ErrorCode, reason: string, details?: unknown): Promise<never> => {
    const keep = signatureVerified ? body.bytes : body.bytes.subarray(0, UNVERIFIED_BODY_BYTES);
    throw await reject(env, {
      tenant,
      source,
      code,
      reason,
      details,
      headers: await pickHeaders(c.req.raw, evidence.names, evidence.signatures),
      body: keep,
      bodySha256: await sha256Hex(body.bytes),
      bodyBytes: body.total,
      truncated: body.truncated || keep.length < body.bytes.length,
      signatureVerified,
      now,
      // Source names an attacker invents share one budget; a configured source has its own.
      budget: config ? { source } : "unknown_source",
    });
  };

  if (!config || !adapter) return refuse("source_not_found", `Unknown source '${source}' for tenant '${tenant}'`);
  if (body.truncated) return refuse("payload_too_large", `Body exceeds ${MAX_BODY_BYTES} bytes`);
  if (body.incomplete) return refuse("body_incomplete", `The connection was lost after ${body.bytes.length} bytes of the body; send it again`);

  const headers = (name: string) => c.req.raw.headers.get(name);
  // WooCommerce pings a new webhook unsigned and keeps it only on a 200; nothing is recorded.
  const ping = adapter.ping?.(body.bytes, headers) ?? null;
  if (ping !== null) return { res: c.json({ ping: true, webhook_id: ping }, 200), outcome: "ping" };

  const settings = config.settings;
  const verified = await adapter.verify({ raw: body.bytes, headers, secret: config.secret, now, settings });
  if (!verified.ok) {
    signatureVerified = verified.authentic === true;
    return refuse(verified.code, verified.message);
  }
  signatureVerified = true;

  const stock = adapter.parseStock?.({ raw: body.bytes, headers, source, settings }) ?? null;
  if (stock !== null) {
    if (!stock.ok) return refuse(stock.code, stock.message, stock.details);
    // Authentic but about nothing we track: the sender gets its 200 (or it retries), the span and a counter say why.
    if ("ignored" in stock) {
      c.get("webhookSpan").set({ ignored: stock.ignored });
      return { res: c.json({ ignored: true, reason: stock.ignored }, 200), outcome: "ignored" };
    }
    c.get("webhookSpan").set({ sku: stock.sku, events: stock.events.map((e) => e.type).join(",") });
    const committed = await commitStock(env, tenant, source, stock, await sha256Hex(body.bytes));
    if (!committed.ok) return refuse(committed.code, committed.message);
    const duplicate = committed.receipt.duplicate;
    return { res: c.json({ receipt: committed.receipt }, duplicate ? 200 : 202), outcome: duplicate ? "duplicate" : "acked" };
  }

  const parsed = adapter.parse({ raw: body.bytes, headers, source, settings });
  if (!parsed.ok) return refuse(parsed.code, parsed.message, parsed.details);
  const deliveries = deliveriesOf(parsed);

  c.get("webhookSpan").set({
    order_id: [...new Set(deliveries.map((d) => d.orderId))].join(","),
    events: deliveries.flatMap((d) => d.events.map((e) => e.type)).join(","),
  });
  const rawSha256 = await sha256Hex(body.bytes);
  const trace = { requestId: c.get("requestId"), traceparent: c.get("webhookSpan").traceparent() };
  // One at a time, in the sender's order: the answer waits until every item is durable, and an item
  // that fails leaves those before it recorded (the sender's retry finds them as duplicates).
  const receipts: Receipt[] = [];
  for (const delivery of deliveries) {
    const result = await commitToOrder(env, tenant, source, delivery, rawSha256, trace);
    if (!result.ok) return refuse(result.code, result.message, deliveries.length > 1 ? { item: receipts.length } : undefined);
    receipts.push(result.receipt);
  }
  const duplicate = receipts.every((r) => r.duplicate);
  const status = duplicate ? 200 : 202;
  const outcome = duplicate ? "duplicate" : "acked";
  if (adapter.acceptedBody !== undefined) {
    return { res: c.text(adapter.acceptedBody, status, { "x-handoff-receipts": receipts.map((r) => r.id).join(",") }), outcome };
  }
  const [receipt, ...more] = receipts;
  return { res: c.json(more.length === 0 ? { receipt } : { receipt, receipts }, status), outcome };
}

/** An order's receipt, or (for `inventory.*` stock messages, which name no order) the SKU's. */
const WebhookReceipt = z.object({ receipt: z.union([Receipt, InventoryReceipt]) });

export const webhooks = new OpenAPIHono<AppEnv>();

webhooks.openAPIRegistry.registerPath({
  method: "post",
  path: "/v1/tenants/{tenant}/webhooks/{source}",
  operationId: "receiveWebhook",
  security: anyOf("shopifyHmac", "stripeSignature", "standardWebhooks", "wooCommerceSignature", "easypostSignature", "hmacPreset"),
  tags: ["webhooks"],
  summary: "Receive a signed webhook from a sender",
  description:
    "Verifies the signature on the raw bytes (Shopify `X-Shopify-Hmac-Sha256`; Stripe `Stripe-Signature`; Standard Webhooks `webhook-id`/`webhook-timestamp`/`webhook-signature`), maps the payload to canonical events and answers only after the order's Durable Object committed them. Every refusal after the tenant and source are known is recorded as a rejection; a tenant or source name that cannot exist is refused first (400 `invalid_path`), unrecorded. Stock messages (`inventory.snapshot`, `inventory.adjusted`; Shopify `inventory_levels/update`, whose inventory_item_id must be mapped to a SKU first, else 422 `schema_mismatch`) carry no order id: they are committed by the SKU's inventory object and answered with its receipt. A Shopify body that disagrees with its topic is refused (422 `topic_mismatch`), as is a body already accepted under another topic (422 `topic_conflict`). WooCommerce's unsigned `webhook_id=<n>` ping gets 200 `{ ping, webhook_id }` and is recorded nowhere. WooCommerce `product.created`/`product.updated` with `manage_stock` and a SKU is an `inventory.snapshot` (on_hand = `stock_quantity`); without either it gets 200 `{ ignored, reason }`. An Adyen notification is a batch: every item must verify and map, each becomes its own receipt, and the answer is `[accepted]` (text/plain, receipt ids in `x-handoff-receipts`) once all are durable.",
  request: {
    params: z.object({ tenant: TenantId, source: SourceName }),
    headers: SenderHeaders,
    body: { content: { "application/json": { schema: z.record(z.string(), z.unknown()) } }, required: true },
  },
  responses: {
    200: {
      description:
        "Duplicate delivery: the original receipt (Adyen: `[accepted]`); or WooCommerce's ping, recorded nowhere; or a verified delivery with nothing to record (`{ ignored, reason }`: a WooCommerce product without stock management or SKU)",
      content: {
        "application/json": {
          schema: z.union([WebhookReceipt, z.object({ ping: z.literal(true), webhook_id: z.string() }), z.object({ ignored: z.literal(true), reason: z.string() })]),
        },
        "text/plain": { schema: z.literal("[accepted]") },
      },
    },
    202: {
      description: "Durably recorded (Adyen sources: the text `[accepted]`, receipt ids in `x-handoff-receipts`)",
      content: { "application/json": { schema: WebhookReceipt }, "text/plain": { schema: z.literal("[accepted]") } },
    },
    ...errorResponses(400, 401, 404, 413, 422, 429, 503),
  },
});

// Not an openapi() route on purpose: the signature must be checked on the exact
// raw bytes, so no validator may read or re-serialise the body first.
webhooks.post("/v1/tenants/:tenant/webhooks/:source", async (c) => {
  const tenant = c.req.param("tenant");
  const source = c.req.param("source");
  const telemetry = c.get("telemetry");
  const span = telemetry.span(SPANS.webhook, { tenant, source, request_id: c.get("requestId") }, c.get("requestSpan").context());
  c.set("webhookSpan", span);
  try {
    const { res, outcome } = await ingest(c, c.env, tenant, source);
    if (outcome !== "ping") telemetry.count(outcome === "duplicate" ? METRICS.duplicates : outcome === "ignored" ? METRICS.ignored : METRICS.acks, { tenant, source });
    span.set({ outcome });
    return res;
  } catch (err) {
    const code = err instanceof ApiError ? err.code : "internal";
    telemetry.count(METRICS.rejections, { tenant, source, code });
    span.set({ outcome: "rejected", "error.code": code });
    span.error(code);
    throw err;
  } finally {
    span.end();
  }
});
