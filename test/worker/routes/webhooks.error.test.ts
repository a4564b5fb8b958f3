import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { fromBase64, sha256Hex } from "../../../domain/crypto";
import { MAX_BODY_BYTES, UNVERIFIED_BODY_BYTES } from "../../../worker/routes/webhooks";
import { ORDER_ID, SHOPIFY, shopify, standard, STANDARD, stripe, STRIPE } from "../../helpers/deliveries";
import { call, expectError, json, SECRETS, seedTenant, settleAlarms } from "../../helpers/http";
import { shopifyHeaders, standardHeaders } from "../../../cli/sign";

interface RejectionList {
  rejections: {
    id: string;
    source: string;
    status: number;
    code: string;
    reason: string;
    headers: Record<string, string>;
    body_sha256: string;
    body_bytes: number;
    body_truncated: boolean;
  }[];
  counts: { source: string; code: string; count: number }[];
  next_cursor: string | null;
}

let key = "";
beforeAll(async () => {
  key = await seedTenant("acme");
});
afterEach(settleAlarms);

async function rejectionFor(id: string) {
  const res = await call("GET", `/v1/tenants/acme/rejections/${id}`, { token: key });
  expect(res.status).toBe(200);
  return (
    await json<{ rejection: { code: string; body_base64: string; body_sha256: string; headers: Record<string, string>; source: string; signature_verified: boolean } }>(res)
  ).rejection;
}

/**
 * Asserts the error, then the stored record: the hash of the whole body always;
 * the whole body once the signature verified, only its first 8 KiB before.
 */
async function expectRecorded(res: Response, status: number, code: string, body: string) {
  const err = await expectError(res, status, code);
  const id = (err.details as { rejection_id?: string } | undefined)?.rejection_id;
  expect(id).toMatch(/^rej_/);
  const rec = await rejectionFor(id ?? "");
  expect(rec.code).toBe(code);
  const bytes = new TextEncoder().encode(body);
  const kept = status === 401 || code === "source_not_found" ? bytes.subarray(0, UNVERIFIED_BODY_BYTES) : bytes;
  expect(fromBase64(rec.body_base64)).toEqual(kept);
  expect(rec.body_sha256).toBe(await sha256Hex(bytes));
  return rec;
}

describe("signature failures → 401, recorded", () => {
  it("Shopify: tampered body", async () => {
    const headers = await shopifyHeaders({ topic: "orders/create", body: SHOPIFY["orders/create"], secret: SECRETS.shopify });
    const tampered = SHOPIFY["orders/create"].replace('"199.00"', '"1.00"');
    const res = await call("POST", "/v1/tenants/acme/webhooks/shop", { raw: tampered, headers });
    const rec = await expectRecorded(res, 401, "signature_invalid", tampered);
    expect(rec.signature_verified).toBe(false);
    expect(rec.headers["x-shopify-topic"]).toBe("orders/create");
    // A stored signature could be replayed (Shopify's carry no timestamp): only a fingerprint is kept.
    expect(rec.headers["x-shopify-hmac-sha256"]).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(JSON.stringify(rec.headers)).not.toContain(headers["x-shopify-hmac-sha256"]);
  });

  it("Shopify: wrong secret and missing header", async () => {
    await expectRecorded(await shopify("acme", "orders/paid", { secret: "not-the-secret" }), 401, "signature_invalid", SHOPIFY["orders/paid"]);
    const res = await call("POST", "/v1/tenants/acme/webhooks/shop", {
      raw: SHOPIFY["orders/paid"],
      headers: { "x-shopify-topic": "orders/paid", "content-type": "application/json" },
    });
    await expectRecorded(res, 401, "signature_missing", SHOPIFY["orders/paid"]);
  });

  it("Stripe: stale and future timestamps beyond 5 minutes", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRecorded(await stripe("acme", "payment_intent.succeeded", { timestampSec: now - 301 }), 401, "timestamp_stale", STRIPE["payment_intent.succeeded"]);
    await expectRecorded(await stripe("acme", "payment_intent.succeeded", { timestampSec: now + 400 }), 401, "timestamp_stale", STRIPE["payment_intent.succeeded"]);
  });

  it("Standard Webhooks: stale timestamp, tampered id", async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = STANDARD["shipment.shipped"];
    await expectRecorded(await standard("acme", "carrier", "shipment.shipped", { timestampSec: now - 600 }), 401, "timestamp_stale", body);
    const headers = await standardHeaders({ body, secret: SECRETS.standard, id: "msg_a" });
    const res = await call("POST", "/v1/tenants/acme/webhooks/carrier", { raw: body, headers: { ...headers, "webhook-id": "msg_b" } });
    await expectRecorded(res, 401, "signature_invalid", body);
  });

  it("a valid signature for one source does not pass for another", async () => {
    const body = STANDARD["fulfillment.accepted"];
    const headers = await standardHeaders({ body, secret: "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB" });
    await expectRecorded(await call("POST", "/v1/tenants/acme/webhooks/wms", { raw: body, headers }), 401, "signature_invalid", body);
  });
});

describe("bad bodies → 400 / 422, recorded", () => {
  it("unparseable JSON with a valid signature → 400 invalid_json", async () => {
    const body = '{"id": 1,';
    await expectRecorded(await shopify("acme", "orders/create", { body }), 400, "invalid_json", body);
  });

  it.each(["[]", "1e400", "null"])("JSON %s that is not an object → 422 schema_mismatch", async (body) => {
    await expectRecorded(await shopify("acme", "orders/create", { body }), 422, "schema_mismatch", body);
  });

  it("valid JSON that maps to no canonical event → 422", async () => {
    const wrongShape = JSON.stringify({ type: "shipment.shipped", order_id: ORDER_ID, occurred_at: "yesterday", data: {} });
    const rec = await expectRecorded(await standard("acme", "carrier", "shipment.shipped", { body: wrongShape, id: "msg_bad1" }), 422, "schema_mismatch", wrongShape);
    expect(rec.source).toBe("carrier");
    // Refused after the signature verified: the stored body is genuine, so it can be replayed.
    expect(rec.signature_verified).toBe(true);

    const unknownType = JSON.stringify({ type: "order.teleported", order_id: ORDER_ID, occurred_at: "2026-11-20T10:00:00Z", data: {} });
    await expectRecorded(await standard("acme", "wms", "shipment.shipped", { body: unknownType, id: "msg_bad2" }), 422, "unsupported_event", unknownType);

    const noOrder = STRIPE["payment_intent.succeeded"].replace(`"order_id": "${ORDER_ID}"`, '"other": "x"');
    expect(noOrder).not.toBe(STRIPE["payment_intent.succeeded"]);
    await expectRecorded(await stripe("acme", "payment_intent.succeeded", { body: noOrder }), 422, "order_id_missing", noOrder);
  });

  it("an unsupported Shopify topic → 422 unsupported_event", async () => {
    const body = JSON.stringify({ id: 1, email: "a@b.c" });
    const headers = await shopifyHeaders({ topic: "customers/create", body, secret: SECRETS.shopify });
    await expectRecorded(await call("POST", "/v1/tenants/acme/webhooks/shop", { raw: body, headers }), 422, "unsupported_event", body);
  });

  it("a body over 1 MiB → 413, recorded (unverified, so only its first 8 KiB)", async () => {
    const big = `{"pad":"${"x".repeat(MAX_BODY_BYTES)}"}`;
    const res = await shopify("acme", "orders/create", { body: big });
    const err = await expectError(res, 413, "payload_too_large");
    const id = (err.details as { rejection_id: string }).rejection_id;
    const list = await json<RejectionList>(await call("GET", "/v1/tenants/acme/rejections?code=payload_too_large", { token: key }));
    const rec = list.rejections.find((r) => r.id === id);
    expect(rec).toMatchObject({ body_truncated: true, status: 413 });
    expect(rec?.body_bytes).toBeGreaterThan(MAX_BODY_BYTES);
    const full = await rejectionFor(id);
    expect(fromBase64(full.body_base64)?.length).toBe(UNVERIFIED_BODY_BYTES);
  });
});

describe("unknown tenant or source → 404", () => {
  it("an unknown tenant is not recorded (there is nobody to record it for)", async () => {
    const before = await env.DB.prepare("SELECT COUNT(*) AS n FROM rejections").first<{ n: number }>();
    await expectError(await shopify("ghost", "orders/create"), 404, "tenant_not_found");
    const after = await env.DB.prepare("SELECT COUNT(*) AS n FROM rejections").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it("an unknown source of a known tenant is recorded", async () => {
    const body = JSON.stringify({ hello: "world" });
    await expectRecorded(await call("POST", "/v1/tenants/acme/webhooks/erp", { raw: body, headers: { "content-type": "application/json" } }), 404, "source_not_found", body);
  });
});

describe("GET /rejections", () => {
  it("lists refusals newest first with counts per source and code, paginated", async () => {
    const all = await json<RejectionList>(await call("GET", "/v1/tenants/acme/rejections", { token: key }));
    expect(all.rejections.length).toBeGreaterThanOrEqual(12);
    const codes = new Set(all.rejections.map((r) => r.code));
    for (const c of ["signature_invalid", "signature_missing", "timestamp_stale", "invalid_json", "schema_mismatch", "unsupported_event", "order_id_missing", "payload_too_large", "source_not_found"]) {
      expect(codes).toContain(c);
    }
    expect(all.counts.find((c) => c.source === "shop" && c.code === "signature_invalid")?.count).toBe(2);
    const total = all.counts.reduce((n, c) => n + c.count, 0);
    expect(total).toBe(all.rejections.length);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: RejectionList = await json<RejectionList>(
        await call("GET", `/v1/tenants/acme/rejections?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token: key }),
      );
      expect(page.rejections.length).toBeLessThanOrEqual(5);
      seen.push(...page.rejections.map((r) => r.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.rejections.map((r) => r.id));
  });

  it("validates its query", async () => {
    await expectError(await call("GET", "/v1/tenants/acme/rejections?limit=0", { token: key }), 400, "validation_failed");
  });

  it("no rejected delivery created an order", async () => {
    const res = await call("GET", `/v1/tenants/acme/orders/${ORDER_ID}`, { token: key });
    await expectError(res, 404, "order_not_found");
  });
});
