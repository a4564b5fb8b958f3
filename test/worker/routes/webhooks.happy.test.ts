import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ORDER_ID, shopify, standard, stripe } from "../../helpers/deliveries";
import { call, json, seedTenant, settleAlarms } from "../../helpers/http";

interface ReceiptBody {
  receipt: { id: string; order_id: string; events: string[]; duplicate: boolean; received_at: string };
}
interface OrderBody {
  order: {
    id: string;
    state: string;
    locked: boolean;
    milestones: Record<string, string>;
    receipts: { id: string; source: string; idempotency_key: string }[];
    value: { amount_minor: number; currency: string } | null;
    outbox: { pending: number };
  };
}
interface AuditBody {
  entries: { seq: number; type: string; data: Record<string, unknown> }[];
  chain_valid: boolean;
  pending: number;
}

let key = "";
beforeAll(async () => {
  key = await seedTenant("acme");
});
afterEach(settleAlarms);

describe("POST /webhooks: a signed delivery is durably acknowledged", () => {
  it("answers 202 with a receipt for a signed Shopify order, and the order is readable", async () => {
    const res = await shopify("acme", "orders/create");
    expect(res.status).toBe(202);
    const { receipt } = await json<ReceiptBody>(res);
    expect(receipt).toMatchObject({ order_id: ORDER_ID, events: ["order.created", "payment.authorized"], duplicate: false });
    expect(receipt.id).toMatch(/^rcpt_/);

    const order = await json<OrderBody>(await call("GET", `/v1/tenants/acme/orders/${ORDER_ID}`, { token: key }));
    expect(order.order).toMatchObject({ id: ORDER_ID, state: "authorized", locked: false, value: { amount_minor: 19900, currency: "USD" } });
    expect(order.order.receipts.map((r) => r.id)).toEqual([receipt.id]);
  });

  it("answers a redelivery with 200 and the original receipt", async () => {
    const first = await json<ReceiptBody>(await shopify("acme", "orders/updated", { id: "redeliver-1" }));
    const again = await shopify("acme", "orders/updated", { id: "redeliver-1" });
    expect(again.status).toBe(200);
    const dup = await json<ReceiptBody>(again);
    expect(dup.receipt).toEqual({ ...first.receipt, duplicate: true });
  });

  it("dedupes Stripe by event id even when the signature (timestamp) differs", async () => {
    const a = await stripe("acme", "payment_intent.amount_capturable_updated", { timestampSec: Math.floor(Date.now() / 1000) - 100 });
    const b = await stripe("acme", "payment_intent.amount_capturable_updated");
    expect([a.status, b.status]).toEqual([202, 200]);
    expect((await json<ReceiptBody>(b)).receipt.id).toBe((await json<ReceiptBody>(a)).receipt.id);
  });

  it("plays a whole lifecycle across senders and locks the order at capture", async () => {
    await json(await stripe("acme", "payment_intent.succeeded"));
    await standard("acme", "wms", "fulfillment.accepted");
    await standard("acme", "carrier", "shipment.shipped");
    const last = await standard("acme", "carrier", "shipment.delivered");
    expect(last.status).toBe(202);
    const { order } = await json<OrderBody>(await call("GET", `/v1/tenants/acme/orders/${ORDER_ID}`, { token: key }));
    expect(order.state).toBe("delivered");
    expect(order.locked).toBe(true);
    expect(Object.keys(order.milestones)).toEqual(
      expect.arrayContaining(["created_at", "authorized_at", "captured_at", "accepted_at", "shipped_at", "delivered_at"]),
    );
  });

  it("writes a verifiable audit trail to D1", async () => {
    const res = await call("GET", `/v1/tenants/acme/orders/${ORDER_ID}/audit`, { token: key });
    expect(res.status).toBe(200);
    const audit = await json<AuditBody>(res);
    expect(audit.chain_valid).toBe(true);
    expect(audit.pending).toBe(0);
    expect(audit.entries.map((e) => e.seq)).toEqual(audit.entries.map((_, i) => i + 1));
    expect(audit.entries[0]?.type).toBe("receipt.recorded");
    expect(audit.entries.some((e) => e.type === "order.locked")).toBe(true);
    expect(audit.entries.filter((e) => e.type === "receipt.recorded")).toHaveLength(7);
  });
});

describe("out-of-order delivery converges", () => {
  it("payment before order and shipped before accepted end where in-order delivery ends", async () => {
    const inOrder = await seedTenant("inorder");
    const shuffled = await seedTenant("shuffled");
    await shopify("inorder", "orders/create");
    await stripe("inorder", "payment_intent.succeeded");
    await standard("inorder", "wms", "fulfillment.accepted");
    await standard("inorder", "carrier", "shipment.shipped");

    await standard("shuffled", "carrier", "shipment.shipped");
    await stripe("shuffled", "payment_intent.succeeded");
    await standard("shuffled", "wms", "fulfillment.accepted");
    await stripe("shuffled", "payment_intent.succeeded");
    await shopify("shuffled", "orders/create");

    const a = await json<OrderBody>(await call("GET", `/v1/tenants/inorder/orders/${ORDER_ID}`, { token: inOrder }));
    const b = await json<OrderBody>(await call("GET", `/v1/tenants/shuffled/orders/${ORDER_ID}`, { token: shuffled }));
    const strip = (o: OrderBody["order"]) => {
      const { receipts: _r, outbox: _o, audit_head: _h, tenant: _t, ...rest } = o as OrderBody["order"] & { audit_head: unknown; tenant: string };
      return rest;
    };
    expect(strip(b.order)).toEqual(strip(a.order));
    expect(b.order.state).toBe("shipped");
  });
});
