import fc from "fast-check";
import { wooCommerceDeliveryHeaders } from "../../cli/sign";
import { decimal, instantArb, orderIdArb, proseArb, RawToken, type Json, type JsonObject } from "./arbitraries";

/**
 * Valid deliveries of the issue-18 senders for the fuzz suite, in their
 * documented shapes (test/fixtures/{woocommerce,adyen,easypost,hmac}): every
 * value here is one the engine must take (2xx). Adyen bodies are unsigned;
 * the fuzz harness signs each item at send time.
 */

const currencyArb = fc.constantFrom("USD", "EUR", "GBP", "JPY", "KWD");
const minorArb = fc.integer({ min: 0, max: 10_000_000 });
const contentTypeArb = fc.constantFrom("application/json", "application/json; charset=utf-8");

/** WooCommerce ids are JSON integers (big ones as raw digits); other order ids stay strings. */
function numericId(id: string): Json {
  return /^[1-9]\d*$/.test(id) ? new RawToken(id) : id;
}

/** `2026-11-20T19:28:02`: WooCommerce's *_gmt spelling of an instant (UTC, no offset). */
function gmt(iso: string): string {
  return new Date(Date.parse(iso)).toISOString().slice(0, 19);
}

export const wooArb = fc
  .record({
    topic: fc.constantFrom("order.created", "order.updated"),
    id: fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String),
    status: fc.constantFrom("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed"),
    currency: currencyArb,
    totalMinor: minorArb,
    at: instantArb,
    lines: fc.array(fc.record({ sku: fc.option(proseArb(16), { nil: "" }), product: fc.integer({ min: 1, max: 2 ** 31 }), quantity: fc.integer({ min: 1, max: 100 }), price: fc.integer({ min: 0, max: 10_000 }) }), { maxLength: 4 }),
    note: proseArb(120),
    delivery: fc.stringMatching(/^[0-9a-f]{40}$/),
    contentType: contentTypeArb,
  })
  .map(({ topic, id, status, currency, totalMinor, at, lines, note, delivery, contentType }) => {
    const when = gmt(at);
    const body: JsonObject = {
      id: numericId(id),
      status,
      currency,
      date_created_gmt: when,
      date_modified_gmt: when,
      total: decimal(totalMinor, currency),
      customer_note: note,
      billing: { first_name: "Ada", last_name: "Lovelace", email: "ada@example.com" },
      shipping: { first_name: "Ada", last_name: "Lovelace", address_1: "1 Loop Rd", city: "Lyon", state: "", postcode: "69001", country: "FR" },
      payment_method: "stripe",
      transaction_id: status === "pending" ? "" : `pi_${delivery.slice(0, 24)}`,
      date_paid_gmt: ["processing", "completed", "refunded"].includes(status) ? when : null,
      date_completed_gmt: status === "completed" ? when : null,
      line_items: lines.map((l, i) => ({ id: i + 1, name: `Item ${i}`, product_id: l.product, variation_id: 0, quantity: l.quantity, sku: l.sku, price: l.price })),
      refunds: status === "refunded" ? [{ id: 1, reason: "", total: `-${decimal(totalMinor, currency)}` }] : [],
    };
    const headers = { "content-type": contentType, ...wooCommerceDeliveryHeaders(topic, "7", delivery) };
    return { sender: "woocommerce" as const, body, headers };
  });

const ADYEN_EVENTS = [
  ["AUTHORISATION", "true"],
  ["AUTHORISATION", "false"],
  ["CAPTURE", "true"],
  ["CAPTURE", "false"],
  ["CAPTURE_FAILED", "true"],
  ["CANCELLATION", "true"],
  ["REFUND", "true"],
] as const;

const adyenItemArb = fc.record({
  event: fc.constantFrom(...ADYEN_EVENTS),
  psp: fc.stringMatching(/^[A-Z0-9]{16}$/),
  original: fc.stringMatching(/^[A-Z0-9]{16}$/),
  order: orderIdArb,
  currency: currencyArb,
  value: minorArb,
  at: instantArb,
  reason: fc.option(proseArb(60), { nil: "" }),
});

export const adyenArb = fc.record({ items: fc.uniqueArray(adyenItemArb, { minLength: 1, maxLength: 3, selector: (i) => `${i.event[0]}:${i.psp}` }), contentType: contentTypeArb }).map(({ items, contentType }) => {
  const notificationItems = items.map((i) => {
    const code = i.event[0];
    const success = i.event[1];
    const item: JsonObject = {
      additionalData: { authCode: "083212" },
      amount: { currency: i.currency, value: i.value },
      eventCode: code,
      eventDate: i.at,
      merchantAccountCode: "HandoffFuzzECOM",
      merchantReference: i.order,
      paymentMethod: "visa",
      pspReference: i.psp,
      reason: i.reason,
      success,
    };
    if (code !== "AUTHORISATION") item.originalReference = i.original;
    return { NotificationRequestItem: item };
  });
  return { sender: "adyen" as const, body: { live: "false", notificationItems }, headers: { "content-type": contentType } };
});

const TRACKER_STATUSES = ["in_transit", "out_for_delivery", "available_for_pickup", "delivered", "return_to_sender", "failure"] as const;

/** The fuzz tenant's EasyPost source reads the order id at $.result.tracking_code. */
export const easypostArb = fc
  .record({ id: fc.stringMatching(/^[0-9a-f]{32}$/), code: orderIdArb, status: fc.constantFrom(...TRACKER_STATUSES), at: instantArb, carrier: fc.constantFrom("USPS", "UPS", "FedEx", "DHLExpress"), contentType: contentTypeArb })
  .map(({ id, code, status, at, carrier, contentType }) => {
    const when = new Date(Date.parse(at)).toISOString();
    const body: JsonObject = {
      id: `evt_${id}`,
      object: "Event",
      mode: "test",
      description: "tracker.updated",
      previous_attributes: { status: "pre_transit" },
      created_at: when,
      updated_at: when,
      result: {
        id: `trk_${id}`,
        object: "Tracker",
        mode: "test",
        tracking_code: code,
        status,
        status_detail: "status_update",
        created_at: when,
        updated_at: when,
        weight: 17.5,
        carrier,
        tracking_details: [{ object: "TrackingDetail", message: "Update", status, status_detail: "status_update", datetime: when, source: carrier }],
        public_url: `https://track.easypost.com/${id}`,
      },
    };
    return { sender: "easypost" as const, body, headers: { "content-type": contentType } };
  });

/** Lemon Squeezy order events, as the fuzz tenant's `hmac` preset (test/fixtures/hmac) reads them. */
export const lemonArb = fc
  .record({ event: fc.constantFrom("order_created", "order_refunded"), order: orderIdArb, id: fc.integer({ min: 1, max: 2 ** 31 }), total: minorArb, currency: currencyArb, at: instantArb, contentType: contentTypeArb })
  .map(({ event, order, id, total, currency, at, contentType }) => ({
    sender: "hmac" as const,
    body: {
      meta: { test_mode: true, event_name: event, custom_data: { order_id: order } },
      data: { type: "orders", id: String(id), attributes: { identifier: `id-${id}`, order_number: id, currency, total, status: event === "order_refunded" ? "refunded" : "paid", created_at: at, updated_at: at } },
    },
    headers: { "content-type": contentType },
  }));


/**
 * WooCommerce product.created / product.updated (REST v3 product, as
 * test/fixtures/woocommerce/product.updated.json): a product that manages its
 * stock and has a SKU is a stock snapshot (a receipt from the SKU's inventory
 * object); one that does not manage stock, or has no SKU, is answered
 * 200 `{ ignored, reason }` (`ignored: true` here).
 */
export const wooProductArb = fc
  .record({
    topic: fc.constantFrom("product.created", "product.updated"),
    id: fc.integer({ min: 1, max: 2 ** 31 }),
    sku: fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:#-]{0,30}$/) }, { weight: 1, arbitrary: fc.constant("") }),
    manage: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    count: fc.integer({ min: -50, max: 100_000 }),
    type: fc.constantFrom("simple", "variation"),
    at: instantArb,
    delivery: fc.stringMatching(/^[0-9a-f]{40}$/),
    contentType: contentTypeArb,
  })
  .map(({ topic, id, sku, manage, count, type, at, delivery, contentType }) => {
    const when = gmt(at);
    const body: JsonObject = {
      id,
      name: `Product ${id}`,
      slug: `product-${id}`,
      date_created_gmt: when,
      date_modified_gmt: when,
      type,
      status: "publish",
      sku,
      price: "21.99",
      regular_price: "21.99",
      manage_stock: manage,
      // WooCommerce sends null for a product that does not manage its stock.
      stock_quantity: manage ? count : null,
      stock_status: count > 0 || !manage ? "instock" : "outofstock",
      backorders: count < 0 ? "notify" : "no",
      parent_id: type === "variation" ? id + 1 : 0,
      variations: [],
    };
    const headers = { "content-type": contentType, ...wooCommerceDeliveryHeaders(topic, "8", delivery) };
    return { sender: "woocommerce" as const, body, headers, ignored: !manage || sku === "" };
  });
