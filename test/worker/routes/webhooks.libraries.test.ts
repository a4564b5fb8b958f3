import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ORDER_ID, STANDARD, STRIPE } from "../../helpers/deliveries";
import { call, SECRETS, seedTenant, settleAlarms } from "../../helpers/http";

// Signatures made by the senders' own libraries, through the real HTTP path in workerd.
beforeAll(async () => {
  await seedTenant("libs");
});
afterEach(settleAlarms);

describe("signatures from the senders' own libraries are accepted", () => {
  it("Stripe's Node library (generateTestHeaderStringAsync)", async () => {
    const stripe = new Stripe("sk_test_unused");
    const payload = STRIPE["payment_intent.amount_capturable_updated"];
    const header = await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: SECRETS.stripe });
    const res = await call("POST", "/v1/tenants/libs/webhooks/stripe", {
      raw: payload,
      headers: { "content-type": "application/json", "stripe-signature": header },
    });
    expect(res.status).toBe(202);
  });

  it("the standardwebhooks library", async () => {
    const payload = STANDARD["fulfillment.accepted"];
    const id = "msg_lib_1";
    const at = new Date();
    const signature = new Webhook(SECRETS.standard).sign(id, at, payload);
    const res = await call("POST", "/v1/tenants/libs/webhooks/wms", {
      raw: payload,
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
        "webhook-signature": signature,
      },
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { receipt: { order_id: string } };
    expect(body.receipt.order_id).toBe(ORDER_ID);
  });
});
