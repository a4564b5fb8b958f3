/// <reference types="vite/client" />
/**
 * Sender fixtures as their exact bytes. Import these rather than the parsed
 * JSON: Shopify ids such as 820982911946154508 exceed 2^53, so
 * JSON.stringify(JSON.parse(…)) would sign and send a different order id.
 * `?raw` is resolved by vite, so this works in Node and in workerd tests.
 */
import shopifyFulfillmentsCreate from "../fixtures/shopify/fulfillments-create.json?raw";
import shopifyFulfillmentsUpdateDelivered from "../fixtures/shopify/fulfillments-update-delivered.json?raw";
import shopifyOrdersCancelled from "../fixtures/shopify/orders-cancelled.json?raw";
import shopifyOrdersCreatePaid from "../fixtures/shopify/orders-create-paid.json?raw";
import shopifyOrdersCreate from "../fixtures/shopify/orders-create.json?raw";
import shopifyOrdersPaid from "../fixtures/shopify/orders-paid.json?raw";
import shopifyOrdersUpdated from "../fixtures/shopify/orders-updated.json?raw";
import shopifyOrdersCancelledRefunded from "../fixtures/shopify/orders-cancelled-refunded.json?raw";
import shopifyOrdersCreatePresentment from "../fixtures/shopify/orders-create-presentment.json?raw";
import shopifyOrdersUpdatedEdited from "../fixtures/shopify/orders-updated-edited.json?raw";
import shopifyRefundsCreate from "../fixtures/shopify/refunds-create.json?raw";
import standardAttributionUpdated from "../fixtures/standard/attribution.updated.json?raw";
import standardFulfillmentAccepted from "../fixtures/standard/fulfillment.accepted.json?raw";
import standardFulfillmentRejected from "../fixtures/standard/fulfillment.rejected.json?raw";
import standardShipmentDelivered from "../fixtures/standard/shipment.delivered.json?raw";
import standardShipmentShipped from "../fixtures/standard/shipment.shipped.json?raw";
import standardInventoryAdjusted from "../fixtures/standard/inventory.adjusted.json?raw";
import standardInventorySnapshot from "../fixtures/standard/inventory.snapshot.json?raw";
import stripeChargeCaptured from "../fixtures/stripe/charge.captured.json?raw";
import stripeChargeRefunded from "../fixtures/stripe/charge.refunded.json?raw";
import stripeAmountCapturableUpdated from "../fixtures/stripe/payment_intent.amount_capturable_updated.json?raw";
import stripePaymentFailed from "../fixtures/stripe/payment_intent.payment_failed.json?raw";
import stripePaymentSucceeded from "../fixtures/stripe/payment_intent.succeeded.json?raw";
import stripePartialCapture from "../fixtures/stripe/payment_intent.succeeded-partial-capture.json?raw";

import wooOrderCreated from "../fixtures/woocommerce/order.created.json?raw";
import wooUpdatedProcessing from "../fixtures/woocommerce/order.updated-processing.json?raw";
import wooUpdatedOnHold from "../fixtures/woocommerce/order.updated-on-hold.json?raw";
import wooUpdatedCompleted from "../fixtures/woocommerce/order.updated-completed.json?raw";
import wooUpdatedCancelled from "../fixtures/woocommerce/order.updated-cancelled.json?raw";
import wooUpdatedFailed from "../fixtures/woocommerce/order.updated-failed.json?raw";
import wooUpdatedRefunded from "../fixtures/woocommerce/order.updated-refunded.json?raw";
import wooProductUpdated from "../fixtures/woocommerce/product.updated.json?raw";
import wooProductUnmanaged from "../fixtures/woocommerce/product.updated-unmanaged.json?raw";
import adyenAuthorisation from "../fixtures/adyen/authorisation.json?raw";
import adyenAuthorisationRefused from "../fixtures/adyen/authorisation-refused.json?raw";
import adyenCapture from "../fixtures/adyen/capture.json?raw";
import adyenCaptureFailed from "../fixtures/adyen/capture_failed.json?raw";
import adyenCancellation from "../fixtures/adyen/cancellation.json?raw";
import adyenRefund from "../fixtures/adyen/refund.json?raw";
import adyenBatch from "../fixtures/adyen/batch-two-orders.json?raw";
import easypostInTransit from "../fixtures/easypost/tracker.updated-in_transit.json?raw";
import easypostOutForDelivery from "../fixtures/easypost/tracker.updated-out_for_delivery.json?raw";
import easypostDelivered from "../fixtures/easypost/tracker.updated-delivered.json?raw";
import easypostReturnToSender from "../fixtures/easypost/tracker.updated-return_to_sender.json?raw";
import easypostFailure from "../fixtures/easypost/tracker.updated-failure.json?raw";
import lemonSqueezyOrderCreatedRaw from "../fixtures/hmac/lemonsqueezy-order_created.json?raw";
import lemonSqueezyPresetRaw from "../fixtures/hmac/lemonsqueezy.config.json?raw";
/** The one order every fixture belongs to (Shopify's own sample order id; Stripe carries it in metadata.order_id). */
export const FIXTURE_ORDER_ID = "820982911946154508";

/** Keyed by the X-Shopify-Topic each body is sent with (two bodies exist for orders/create). */
export const shopifyFixtures = {
  "orders/create": shopifyOrdersCreate,
  "orders/create (paid)": shopifyOrdersCreatePaid,
  "orders/updated": shopifyOrdersUpdated,
  "orders/paid": shopifyOrdersPaid,
  "orders/cancelled": shopifyOrdersCancelled,
  "fulfillments/create": shopifyFulfillmentsCreate,
  "fulfillments/update (delivered)": shopifyFulfillmentsUpdateDelivered,
  "refunds/create": shopifyRefundsCreate,
} as const;

/** The topic header for a shopifyFixtures key. */
export function shopifyTopic(key: keyof typeof shopifyFixtures): string {
  return key.replace(/ \(.*\)$/, "");
}

/** Keyed by Stripe event type. */
export const stripeFixtures = {
  "payment_intent.amount_capturable_updated": stripeAmountCapturableUpdated,
  "payment_intent.succeeded": stripePaymentSucceeded,
  "charge.captured": stripeChargeCaptured,
  "payment_intent.payment_failed": stripePaymentFailed,
  "charge.refunded": stripeChargeRefunded,
} as const;

/** Keyed by canonical event type. */
export const standardFixtures = {
  "fulfillment.accepted": standardFulfillmentAccepted,
  "fulfillment.rejected": standardFulfillmentRejected,
  "shipment.shipped": standardShipmentShipped,
  "shipment.delivered": standardShipmentDelivered,
  "attribution.updated": standardAttributionUpdated,
} as const;

/** Stock messages from a Standard Webhooks WMS: no order id, routed to the SKU's inventory object. */
export const standardStockFixtures = {
  "inventory.snapshot": standardInventorySnapshot,
  "inventory.adjusted": standardInventoryAdjusted,
} as const;

/**
 * Payloads in shapes no one here chose. Shopify's own sample order 450789469
 * (its REST reference and the shopify-app-js tests) after an edit and a
 * partial refund: total_price 598.94 but current_total_price 199.65, three
 * lines of quantity 1 with current_quantity 0/1/0, one refund of 209.00; the
 * same order cancelled with that refund in `refunds[]`; a multi-currency order
 * (shop USD, presentment EUR); and a Stripe partial capture (amount 199.00,
 * amount_received 150.00, as Stripe documents capturing less than authorized).
 */
export const EDITED_ORDER_ID = "450789469";
export const PRESENTMENT_ORDER_ID = "820982911946154601";
export const thirdPartyShopify = {
  "orders/updated (edited)": shopifyOrdersUpdatedEdited,
  "orders/cancelled (refunded)": shopifyOrdersCancelledRefunded,
  "orders/create (presentment)": shopifyOrdersCreatePresentment,
} as const;
export const thirdPartyStripe = {
  "payment_intent.succeeded (partial capture)": stripePartialCapture,
} as const;

/** WooCommerce's REST v3 order (its docs' order 727) and product (its docs' product 794), keyed by `topic` or `topic-variant`. */
export const WOO_ORDER_ID = "727";
export const wooFixtures = {
  "order.created": wooOrderCreated,
  "order.updated-processing": wooUpdatedProcessing,
  "order.updated-on-hold": wooUpdatedOnHold,
  "order.updated-completed": wooUpdatedCompleted,
  "order.updated-cancelled": wooUpdatedCancelled,
  "order.updated-failed": wooUpdatedFailed,
  "order.updated-refunded": wooUpdatedRefunded,
  "product.updated": wooProductUpdated,
  "product.updated-unmanaged": wooProductUnmanaged,
} as const;
/** The SKU and stock_quantity of the product.updated fixture. */
export const WOO_PRODUCT_SKU = "WOO-PQ-19";
export const WOO_PRODUCT_ON_HAND = 12;

/** The X-WC-Webhook-Topic a wooFixtures key is sent with. */
export function wooTopic(key: keyof typeof wooFixtures): string {
  return key.replace(/-.*$/, "");
}

/**
 * Adyen standard notifications for the shared fixture order (merchantReference),
 * unsigned: `additionalData.hmacSignature` is set at send time (cli/sign.ts,
 * or @adyen/api-library's HmacValidator in the tests). The batch holds two orders.
 */
export const ADYEN_SECOND_ORDER_ID = "820982911946154509";
export const adyenFixtures = {
  authorisation: adyenAuthorisation,
  "authorisation-refused": adyenAuthorisationRefused,
  capture: adyenCapture,
  capture_failed: adyenCaptureFailed,
  cancellation: adyenCancellation,
  refund: adyenRefund,
  "batch-two-orders": adyenBatch,
} as const;

/** EasyPost Events whose result is one USPS test Tracker (EZ2000000002) as it progresses. */
export const EASYPOST_TRACKING_CODE = "EZ2000000002";
export const easypostFixtures = {
  "tracker.updated-in_transit": easypostInTransit,
  "tracker.updated-out_for_delivery": easypostOutForDelivery,
  "tracker.updated-delivered": easypostDelivered,
  "tracker.updated-return_to_sender": easypostReturnToSender,
  "tracker.updated-failure": easypostFailure,
} as const;

/**
 * A sender with no adapter of its own, configured as an `hmac` preset: Lemon
 * Squeezy (X-Signature: hex HMAC-SHA256 of the body), its order_created event
 * with the shop's order id in meta.custom_data (what its checkout passes through).
 */
export const lemonSqueezyOrderCreated = lemonSqueezyOrderCreatedRaw;
export const lemonSqueezyPreset: unknown = JSON.parse(lemonSqueezyPresetRaw);
