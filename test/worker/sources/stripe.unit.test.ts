import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { utf8 } from "../../../domain/crypto";
import { stripe } from "../../../worker/sources/stripe";
import type { ParseResult } from "../../../worker/sources/types";
import { FIXTURE_ORDER_ID, stripeFixtures } from "../../helpers/fixtures";
import { headerGetter, signStripe } from "../../../cli/sign";

const SECRET = "whsec_test_stripe_0123456789abcdef";
const T = 1795186830; // 2026-11-20T15:00:30Z
const NOW = T * 1000;
const PI = "pi_3QxYzA2eZvKYlo2C1aBcDeFg";
const stripeLib = new Stripe("sk_test_x");

function parse(body: string): ParseResult {
  return stripe.parse({ raw: utf8(body), headers: headerGetter({}), source: "stripe" });
}

function verify(body: string, signature: string | null, opts: { secret?: string; now?: number } = {}) {
  const headers: Record<string, string> = signature === null ? {} : { "Stripe-Signature": signature };
  return stripe.verify({ raw: utf8(body), headers: headerGetter(headers), secret: opts.secret ?? SECRET, now: opts.now ?? NOW });
}

function event(eventId: string, type: string, occurred_at: string, data: Record<string, unknown>) {
  return {
    ok: true,
    idempotencyKey: `stripe:${eventId}`,
    orderId: FIXTURE_ORDER_ID,
    events: [{ id: `stripe:${eventId}#0`, type, order_id: FIXTURE_ORDER_ID, occurred_at, source: "stripe", data }],
  };
}

const usd = (amount_minor: number) => ({ amount_minor, currency: "USD" });

const expected: Record<keyof typeof stripeFixtures, ReturnType<typeof event>> = {
  "payment_intent.amount_capturable_updated": event("evt_3QxYzA2eZvKYlo2C1Au7hCap", "payment.authorized", "2026-11-20T15:00:30.000Z", {
    amount: usd(19900),
    payment_id: PI,
    gateway: "stripe",
  }),
  "payment_intent.succeeded": event("evt_3QxYzA2eZvKYlo2C1Sc8dSuc", "payment.captured", "2026-11-20T19:30:05.000Z", {
    amount: usd(19900),
    payment_id: PI,
    gateway: "stripe",
  }),
  "charge.captured": event("evt_3QxYzA2eZvKYlo2C1Cp9tChc", "payment.captured", "2026-11-20T19:30:04.000Z", {
    amount: usd(19900),
    payment_id: PI,
    gateway: "stripe",
  }),
  "payment_intent.payment_failed": event("evt_3QxYzA2eZvKYlo2C0Fa1lPmt", "payment.failed", "2026-11-20T15:00:28.000Z", {
    amount: usd(19900),
    payment_id: PI,
    gateway: "stripe",
    reason: "Your card has insufficient funds.",
  }),
  "charge.refunded": event("evt_3QxYzA2eZvKYlo2C1Rf4nDrf", "payment.refunded", "2026-11-28T16:00:12.000Z", {
    amount: usd(4500),
    payment_id: PI,
    gateway: "stripe",
    full: false,
    cumulative: true,
  }),
};

describe("stripe adapter: mapping the fixtures", () => {
  for (const type of Object.keys(stripeFixtures) as (keyof typeof stripeFixtures)[]) {
    it(`${type} verifies and maps to the canonical event`, async () => {
      const body = stripeFixtures[type];
      expect(await verify(body, await signStripe(body, SECRET, T))).toEqual({ ok: true });
      expect(parse(body)).toEqual(expected[type]);
    });
  }

  it("a full refund says so", () => {
    const body = stripeFixtures["charge.refunded"]
      .replace('"amount_refunded": 4500', '"amount_refunded": 19900')
      .replace('"refunded": false', '"refunded": true');
    const res = parse(body);
    expect(res.ok && res.events[0]?.data).toEqual({ amount: usd(19900), payment_id: PI, gateway: "stripe", full: true, cumulative: true });
  });

  it("a refund's amount is the charge's running total, marked cumulative, with the newest embedded refund's id", () => {
    const refunds = {
      object: "list",
      data: [
        { id: "re_older", object: "refund", amount: 1500, created: 1795800000 },
        { id: "re_newest", object: "refund", amount: 3000, created: 1795881610 },
        { id: "re_middle", object: "refund", amount: 0, created: 1795850000 },
      ],
    };
    const body = stripeFixtures["charge.refunded"].replace('"refunded": false,', `"refunded": false, "refunds": ${JSON.stringify(refunds)},`);
    const res = parse(body);
    expect(res.ok && res.events[0]?.data).toEqual({
      amount: usd(4500),
      payment_id: PI,
      gateway: "stripe",
      full: false,
      cumulative: true,
      refund_id: "re_newest",
    });
  });

  it("a refunded legacy charge without a PaymentIntent is tallied under the charge id", () => {
    const body = stripeFixtures["charge.refunded"].replace(`"payment_intent": "${PI}"`, '"payment_intent": null');
    const res = parse(body);
    expect(res.ok && res.events[0]?.data).toMatchObject({ payment_id: "ch_3QxYzA2eZvKYlo2C1hIjKlMn", cumulative: true });
  });

  it("takes expires_at from an expanded latest_charge's capture_before", () => {
    const fixture = stripeFixtures["payment_intent.amount_capturable_updated"];
    const body = fixture.replace(
      '"latest_charge": "ch_3QxYzA2eZvKYlo2C1hIjKlMn"',
      '"latest_charge": {"id": "ch_3QxYzA2eZvKYlo2C1hIjKlMn", "object": "charge", "payment_method_details": {"type": "card", "card": {"capture_before": 1795791629}}}',
    );
    expect(body).not.toBe(fixture);
    const res = parse(body);
    expect(res.ok && res.events[0]?.data).toEqual({
      amount: usd(19900),
      payment_id: PI,
      gateway: "stripe",
      expires_at: "2026-11-27T15:00:29.000Z",
    });
  });

  it("a legacy charge without a PaymentIntent uses the charge id", () => {
    const body = stripeFixtures["charge.captured"].replace(`"payment_intent": "${PI}"`, '"payment_intent": null');
    const res = parse(body);
    expect(res.ok && res.events[0]?.data).toMatchObject({ payment_id: "ch_3QxYzA2eZvKYlo2C1hIjKlMn" });
  });
});

describe("stripe adapter: refusals", () => {
  it("an unhandled type → unsupported_event", () => {
    const body = stripeFixtures["payment_intent.succeeded"].replace('"type": "payment_intent.succeeded"', '"type": "customer.created"');
    expect(parse(body)).toMatchObject({ ok: false, code: "unsupported_event" });
    expect(parse('{"id": "evt_1"}')).toMatchObject({ ok: false, code: "unsupported_event" });
  });

  it.each(["{", ""])("body %j → invalid_json", (body) => {
    expect(parse(body)).toMatchObject({ ok: false, code: "invalid_json" });
  });

  it.each(["[]", "42"])("JSON body %j that is not an object → schema_mismatch", (body) => {
    expect(parse(body)).toMatchObject({ ok: false, code: "schema_mismatch" });
  });

  it("no metadata.order_id → order_id_missing", () => {
    const body = stripeFixtures["payment_intent.succeeded"].replaceAll(`"order_id": "${FIXTURE_ORDER_ID}"`, '"order_id": ""');
    expect(parse(body)).toMatchObject({ ok: false, code: "order_id_missing" });
    const noMeta = JSON.stringify({ id: "evt_1", type: "charge.captured", created: T, data: { object: { id: "ch_1", metadata: {} } } });
    expect(parse(noMeta)).toMatchObject({ ok: false, code: "order_id_missing" });
  });

  it("no event id or data.object → schema_mismatch", () => {
    const noId = stripeFixtures["payment_intent.succeeded"].replace('"id": "evt_3QxYzA2eZvKYlo2C1Sc8dSuc"', '"id": null');
    expect(parse(noId)).toMatchObject({ ok: false, code: "schema_mismatch" });
    expect(parse('{"id": "evt_1", "type": "charge.captured", "data": {}}')).toMatchObject({ ok: false, code: "schema_mismatch" });
  });

  it("an amount that is not integer minor units → schema_mismatch with zod issues", () => {
    const body = stripeFixtures["payment_intent.succeeded"].replace('"amount_received": 19900', '"amount_received": "199.00"');
    expect(parse(body)).toMatchObject({
      ok: false,
      code: "schema_mismatch",
      details: { issues: [{ event: 0, type: "payment.captured", path: "data.amount.amount_minor" }] },
    });
  });
});

describe("stripe adapter: signature", () => {
  const body = stripeFixtures["payment_intent.amount_capturable_updated"];

  it("accepts headers made by Stripe's own library (sync and async)", async () => {
    const sync = stripeLib.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: T });
    const async_ = await stripeLib.webhooks.generateTestHeaderStringAsync({ payload: body, secret: SECRET, timestamp: T });
    expect(await verify(body, sync)).toEqual({ ok: true });
    expect(await verify(body, async_)).toEqual({ ok: true });
  });

  it("signs exactly as Stripe's library verifies", async () => {
    const header = await signStripe(body, SECRET, T);
    const evt = stripeLib.webhooks.constructEvent(body, header, SECRET, 300, undefined, NOW);
    expect(evt.id).toBe("evt_3QxYzA2eZvKYlo2C1Au7hCap");
  });

  it("accepts any matching v1 while a secret rolls, and ignores v0", async () => {
    const good = (await signStripe(body, SECRET, T)).split(",v1=")[1] ?? "";
    const other = (await signStripe(body, "whsec_old", T)).split(",v1=")[1] ?? "";
    expect(await verify(body, `t=${T},v1=${other},v1=${good},v0=abcd`)).toEqual({ ok: true });
  });

  it("rejects a tampered body and a wrong secret", async () => {
    const header = await signStripe(body, SECRET, T);
    expect(await verify(body.replace("19900", "19800"), header)).toMatchObject({ ok: false, code: "signature_invalid" });
    expect(await verify(body, header, { secret: "whsec_wrong" })).toMatchObject({ ok: false, code: "signature_invalid" });
  });

  it("rejects a signature over a different timestamp", async () => {
    const header = await signStripe(body, SECRET, T);
    expect(await verify(body, header.replace(`t=${T}`, `t=${T + 1}`))).toMatchObject({ ok: false, code: "signature_invalid" });
  });

  it("missing header or no v1 → signature_missing", async () => {
    expect(await verify(body, null)).toMatchObject({ ok: false, code: "signature_missing" });
    expect(await verify(body, "")).toMatchObject({ ok: false, code: "signature_missing" });
    expect(await verify(body, `t=${T},v0=abcdef`)).toMatchObject({ ok: false, code: "signature_missing" });
  });

  it.each(["garbage", `v1=abcd`, `t=soon,v1=abcd`, `t=${T},v1=zz`])("malformed header %j → signature_invalid", async (header) => {
    expect(await verify(body, header)).toMatchObject({ ok: false, code: "signature_invalid" });
  });

  it("tolerates 300 s of skew either way and refuses more as timestamp_stale", async () => {
    const header = await signStripe(body, SECRET, T);
    expect(await verify(body, header, { now: NOW + 300_000 })).toEqual({ ok: true });
    expect(await verify(body, header, { now: NOW - 300_000 })).toEqual({ ok: true });
    expect(await verify(body, header, { now: NOW + 301_000 })).toMatchObject({ ok: false, code: "timestamp_stale" });
    expect(await verify(body, header, { now: NOW - 301_000 })).toMatchObject({ ok: false, code: "timestamp_stale" });
  });
});
