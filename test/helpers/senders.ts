import { easypostHeaders, presetHeaders, signAdyenNotification, wooCommerceHeaders } from "../../cli/sign";
import { HmacPresetConfig } from "../../domain/webhooks/preset";
import { adyenFixtures, easypostFixtures, lemonSqueezyOrderCreated, lemonSqueezyPreset, wooFixtures, wooTopic } from "./fixtures";
import { call, putSource, SECRETS } from "./http";

/**
 * The senders of issue 18 as a tenant configures them and as they post:
 * WooCommerce (`woo`), Adyen (`adyen`), EasyPost (`easypost`, orders keyed by
 * the tracker's tracking code) and Lemon Squeezy as an `hmac` preset (`lemon`).
 */
export const EASYPOST_CONFIG = { order_id: "$.result.tracking_code" };
export const LEMON_PRESET = HmacPresetConfig.parse(lemonSqueezyPreset);

export async function putNewSenders(tenant: string): Promise<void> {
  await putSource(tenant, "woo", "woocommerce", SECRETS.woocommerce);
  await putSource(tenant, "adyen", "adyen", SECRETS.adyen);
  await putSource(tenant, "easypost", "easypost", SECRETS.easypost, EASYPOST_CONFIG);
  await putSource(tenant, "lemon", "hmac", SECRETS.hmac, { ...(lemonSqueezyPreset as object), sample: JSON.parse(lemonSqueezyOrderCreated) as unknown });
}

export async function woo(tenant: string, key: keyof typeof wooFixtures, o: { body?: string; deliveryId?: string } = {}): Promise<Response> {
  const body = o.body ?? wooFixtures[key];
  const headers = await wooCommerceHeaders({ topic: wooTopic(key), body, secret: SECRETS.woocommerce, deliveryId: o.deliveryId ?? `dlv-${key}` });
  return call("POST", `/v1/tenants/${tenant}/webhooks/woo`, { raw: body, headers });
}

/** An Adyen notification with every item signed (as Adyen would); `sign` may replace the signer (e.g. Adyen's own library). */
export async function adyen(tenant: string, key: keyof typeof adyenFixtures, sign: (body: string) => Promise<string> | string = (b) => signAdyenNotification(b, SECRETS.adyen)): Promise<Response> {
  const body = await sign(adyenFixtures[key]);
  return call("POST", `/v1/tenants/${tenant}/webhooks/adyen`, { raw: body, headers: { "content-type": "application/json" } });
}

export async function easypost(tenant: string, key: keyof typeof easypostFixtures): Promise<Response> {
  const body = easypostFixtures[key];
  return call("POST", `/v1/tenants/${tenant}/webhooks/easypost`, { raw: body, headers: await easypostHeaders({ body, secret: SECRETS.easypost }) });
}

export async function lemon(tenant: string, body = lemonSqueezyOrderCreated): Promise<Response> {
  return call("POST", `/v1/tenants/${tenant}/webhooks/lemon`, { raw: body, headers: await presetHeaders(LEMON_PRESET, { body, secret: SECRETS.hmac }) });
}
