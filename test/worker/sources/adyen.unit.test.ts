import { hmacValidator as HmacValidator } from "@adyen/api-library";
import { describe, expect, it } from "vitest";
import { utf8 } from "../../../domain/crypto";
import { adyenSigningString, signAdyen } from "../../../domain/webhooks/adyen";
import { adyen } from "../../../worker/sources/adyen";
import { headerGetter, signAdyenNotification } from "../../../cli/sign";
import { ADYEN_SECOND_ORDER_ID, adyenFixtures, FIXTURE_ORDER_ID } from "../../helpers/fixtures";

// A 32-byte key in hex, as the Customer Area generates one.
const KEY = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";
const NOW = Date.UTC(2026, 10, 20, 20);

type Item = Record<string, unknown> & { additionalData: Record<string, string> };
interface Notification {
  live: string;
  notificationItems: { NotificationRequestItem: Item }[];
}

/** Signs every item with Adyen's own library, as Adyen would. */
function signWithLibrary(fixture: string, key = KEY): string {
  const body = JSON.parse(fixture) as Notification;
  const validator = new HmacValidator();
  for (const { NotificationRequestItem: item } of body.notificationItems) {
    // The library's types want its NotificationRequestItem model; the JSON is exactly that shape.
    item.additionalData.hmacSignature = validator.calculateHmac(item as unknown as Parameters<HmacValidator["calculateHmac"]>[0], key);
  }
  return JSON.stringify(body);
}

const verify = (body: string, secret = KEY) => adyen.verify({ raw: utf8(body), headers: headerGetter({}), secret, now: NOW });
const parse = (body: string) => adyen.parse({ raw: utf8(body), headers: headerGetter({}), source: "adyen" });

describe("Adyen: each NotificationRequestItem is signed on its own", () => {
  it("signs the eight fields exactly as @adyen/api-library's HmacValidator does", async () => {
    const item = (JSON.parse(adyenFixtures.capture) as Notification).notificationItems[0]?.NotificationRequestItem;
    if (item === undefined) throw new Error("fixture has no item");
    const validator = new HmacValidator();
    expect(adyenSigningString(item)).toBe("V4HZ4RBFJGXXGN82:QFQTPCQ8HXSKGK82:HandoffDemoECOM:820982911946154508:2935:USD:CAPTURE:true");
    expect(await signAdyen(item, KEY)).toBe(validator.calculateHmac(item as unknown as Parameters<HmacValidator["calculateHmac"]>[0], KEY));
    // An absent originalReference is an empty field, as the library joins it.
    const auth = (JSON.parse(adyenFixtures.authorisation) as Notification).notificationItems[0]?.NotificationRequestItem;
    if (auth === undefined) throw new Error("fixture has no item");
    expect(await signAdyen(auth, KEY)).toBe(validator.calculateHmac(auth as unknown as Parameters<HmacValidator["calculateHmac"]>[0], KEY));
  });

  it("accepts a batch the library signed, and what our CLI signs verifies with the library", async () => {
    expect(await verify(signWithLibrary(adyenFixtures["batch-two-orders"]))).toEqual({ ok: true });
    const ours = JSON.parse(await signAdyenNotification(adyenFixtures.refund, KEY)) as Notification;
    const item = ours.notificationItems[0]?.NotificationRequestItem;
    expect(new HmacValidator().validateHMAC(item as unknown as Parameters<HmacValidator["validateHMAC"]>[0], KEY)).toBe(true);
  });

  it("refuses a batch in which any item is unsigned, forged, or signed with another key", async () => {
    const signed = JSON.parse(signWithLibrary(adyenFixtures["batch-two-orders"])) as Notification;
    const second = signed.notificationItems[1]?.NotificationRequestItem;
    if (second === undefined) throw new Error("fixture has two items");
    second.amount = { currency: "USD", value: 1 };
    expect(await verify(JSON.stringify(signed))).toMatchObject({ ok: false, code: "signature_invalid" });
    second.additionalData = {};
    expect(await verify(JSON.stringify(signed))).toMatchObject({ ok: false, code: "signature_missing" });
    const otherKey = "00".repeat(32);
    expect(await verify(signWithLibrary(adyenFixtures.capture, otherKey))).toMatchObject({ ok: false, code: "signature_invalid" });
    expect(await verify("{")).toMatchObject({ ok: false, code: "signature_missing" });
    expect(await verify('{"live":"false","notificationItems":[]}')).toMatchObject({ ok: false, code: "signature_missing" });
    expect(await verify(signWithLibrary(adyenFixtures.capture), "not hex at all")).toMatchObject({ ok: false, code: "signature_invalid" });
  });
});

describe("Adyen: event codes map to payment events, each item its own delivery", () => {
  const one = (key: keyof typeof adyenFixtures) => {
    const r = parse(adyenFixtures[key]);
    if (!r.ok || !("batch" in r)) throw new Error(JSON.stringify(r));
    return r.batch;
  };

  it("AUTHORISATION success → payment.authorized, refused → payment.failed with Adyen's reason", () => {
    const [auth] = one("authorisation");
    expect(auth).toMatchObject({
      orderId: FIXTURE_ORDER_ID,
      idempotencyKey: "adyen:AUTHORISATION:QFQTPCQ8HXSKGK82:true",
      events: [
        {
          type: "payment.authorized",
          occurred_at: "2026-11-20T19:28:09.000Z",
          data: { amount: { amount_minor: 2935, currency: "USD" }, payment_id: "QFQTPCQ8HXSKGK82", gateway: "adyen" },
        },
      ],
    });
    expect(one("authorisation-refused")[0]?.events[0]).toMatchObject({ type: "payment.failed", data: { reason: "Refused" } });
  });

  it("CAPTURE → captured, CAPTURE_FAILED and CANCELLATION → failed, REFUND → refunded: all on the original payment", () => {
    expect(one("capture")[0]?.events[0]).toMatchObject({ type: "payment.captured", data: { payment_id: "QFQTPCQ8HXSKGK82" } });
    expect(one("capture_failed")[0]?.events[0]).toMatchObject({ type: "payment.failed", data: { payment_id: "QFQTPCQ8HXSKGK82", reason: "Insufficient balance on card" } });
    expect(one("cancellation")[0]?.events[0]).toMatchObject({ type: "payment.failed", data: { reason: "authorisation cancelled" } });
    expect(one("refund")[0]?.events[0]).toMatchObject({
      type: "payment.refunded",
      data: { amount: { amount_minor: 1000, currency: "USD" }, payment_id: "QFQTPCQ8HXSKGK82", refund_id: "ZC4R4RBFJGXXGN82", full: false, cumulative: false },
    });
  });

  it("a batch for two orders is two deliveries", () => {
    expect(one("batch-two-orders").map((d) => d.orderId)).toEqual([FIXTURE_ORDER_ID, ADYEN_SECOND_ORDER_ID]);
  });

  it("refuses the whole batch when one item cannot be mapped, naming the item", () => {
    const body = JSON.parse(adyenFixtures["batch-two-orders"]) as Notification;
    const second = body.notificationItems[1]?.NotificationRequestItem;
    if (second === undefined) throw new Error("fixture has two items");
    second.eventCode = "REPORT_AVAILABLE";
    expect(parse(JSON.stringify(body))).toMatchObject({ ok: false, code: "unsupported_event", details: { item: 1 } });
    delete second.merchantReference;
    second.eventCode = "CAPTURE";
    expect(parse(JSON.stringify(body))).toMatchObject({ ok: false, code: "order_id_missing", details: { item: 1 } });
    second.merchantReference = "820982911946154509";
    second.amount = { currency: "usd", value: 10 };
    expect(parse(JSON.stringify(body))).toMatchObject({ ok: false, code: "schema_mismatch" });
  });
});
