import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { utf8 } from "../../../domain/crypto";
import { HmacPresetConfig } from "../../../domain/webhooks/preset";
import { hmac } from "../../../worker/sources/hmac";
import { headerGetter, presetHeaders } from "../../../cli/sign";
import { FIXTURE_ORDER_ID, lemonSqueezyOrderCreated, lemonSqueezyPreset } from "../../helpers/fixtures";

const SECRET = "ls_webhook_signing_secret";
const NOW = Date.UTC(2026, 10, 20, 20);
const lemon = HmacPresetConfig.parse(lemonSqueezyPreset);

const verify = (body: string, headers: Record<string, string>, settings: unknown = lemon, now = NOW) =>
  hmac.verify({ raw: utf8(body), headers: headerGetter(headers), secret: SECRET, now, settings });
const parse = (body: string, headers: Record<string, string> = {}, settings: unknown = lemon) =>
  hmac.parse({ raw: utf8(body), headers: headerGetter(headers), source: "lemon", settings });

describe("hmac preset: the signature is whatever the tenant configured", () => {
  it("a Lemon Squeezy delivery (X-Signature: hex HMAC-SHA256 of the body) verifies and maps", async () => {
    const signature = createHmac("sha256", SECRET).update(lemonSqueezyOrderCreated).digest("hex");
    expect(await verify(lemonSqueezyOrderCreated, { "x-signature": signature })).toEqual({ ok: true });
    expect(parse(lemonSqueezyOrderCreated)).toMatchObject({
      ok: true,
      orderId: FIXTURE_ORDER_ID,
      idempotencyKey: "lemon:order_created:1:2026-11-20T19:28:02.000000Z",
      events: [
        {
          type: "payment.captured",
          occurred_at: "2026-11-20T19:28:02.000Z",
          data: { amount: { amount_minor: 1199, currency: "USD" } },
        },
      ],
    });
  });

  it("sha1/sha512, base64, a prefix and a signed timestamp with its own tolerance", async () => {
    const config = HmacPresetConfig.parse({
      ...(lemonSqueezyPreset as object),
      signature: { header: "X-Acme-Signature", algorithm: "sha512", encoding: "base64", prefix: "v1=", signed_payload: "{timestamp}.{body}" },
      timestamp: { header: "X-Acme-Timestamp", tolerance_seconds: 60 },
    });
    const ts = Math.floor(NOW / 1000);
    const mac = createHmac("sha512", SECRET).update(`${ts}.${lemonSqueezyOrderCreated}`).digest("base64");
    const headers = { "x-acme-signature": `v1=${mac}`, "x-acme-timestamp": String(ts) };
    expect(await verify(lemonSqueezyOrderCreated, headers, config)).toEqual({ ok: true });
    expect(await presetHeaders(config, { body: lemonSqueezyOrderCreated, secret: SECRET, timestampSec: ts })).toMatchObject(headers);
    expect(await verify(lemonSqueezyOrderCreated, headers, config, NOW + 61_000)).toMatchObject({ ok: false, code: "timestamp_stale", authentic: true });
    expect(await verify(lemonSqueezyOrderCreated, { ...headers, "x-acme-signature": mac }, config)).toMatchObject({ ok: false, code: "signature_invalid" });
    expect(await verify(lemonSqueezyOrderCreated, { "x-acme-signature": `v1=${mac}` }, config)).toMatchObject({ ok: false, code: "signature_missing" });
    const sha1 = HmacPresetConfig.parse({ ...(lemonSqueezyPreset as object), signature: { header: "X-Hub-Signature", algorithm: "sha1", prefix: "sha1=" } });
    const hub = `sha1=${createHmac("sha1", SECRET).update(lemonSqueezyOrderCreated).digest("hex")}`;
    expect(await verify(lemonSqueezyOrderCreated, { "x-hub-signature": hub }, sha1)).toEqual({ ok: true });
  });

  it("refuses a wrong or missing signature", async () => {
    expect(await verify(lemonSqueezyOrderCreated, {})).toMatchObject({ ok: false, code: "signature_missing" });
    const other = createHmac("sha256", "not it").update(lemonSqueezyOrderCreated).digest("hex");
    expect(await verify(lemonSqueezyOrderCreated, { "x-signature": other })).toMatchObject({ ok: false, code: "signature_invalid" });
    expect(await verify(lemonSqueezyOrderCreated, { "x-signature": "zz" })).toMatchObject({ ok: false, code: "signature_invalid" });
  });

  it("maps unknown sender types, missing ids and bad amounts to the documented refusals", () => {
    const refunded = lemonSqueezyOrderCreated.replace('"event_name": "order_created"', '"event_name": "subscription_created"');
    expect(parse(refunded)).toMatchObject({ ok: false, code: "unsupported_event" });
    expect(parse(lemonSqueezyOrderCreated.replace('"order_id": "820982911946154508"', '"order_id": null'))).toMatchObject({ ok: false, code: "order_id_missing" });
    expect(parse(lemonSqueezyOrderCreated.replace('"total": 1199,', '"total": -5,'))).toMatchObject({ ok: false, code: "schema_mismatch" });
    expect(parse(lemonSqueezyOrderCreated.replace('"id": "1",', '"id": null,'))).toMatchObject({ ok: false, code: "schema_mismatch" });
  });

  it("validates the configuration itself: paths, names, and a timestamp that is signed but not configured", () => {
    const base = lemonSqueezyPreset as Record<string, unknown>;
    expect(HmacPresetConfig.safeParse({ ...base, mapping: { ...(base.mapping as object), order_id: "meta.x" } }).success).toBe(false);
    expect(HmacPresetConfig.safeParse({ ...base, signature: { header: "X Bad Header" } }).success).toBe(false);
    expect(HmacPresetConfig.safeParse({ ...base, signature: { header: "X-Sig", algorithm: "md5" } }).success).toBe(false);
    expect(HmacPresetConfig.safeParse({ ...base, signature: { header: "X-Sig", signed_payload: "{timestamp}.{body}" } }).success).toBe(false);
    expect(HmacPresetConfig.safeParse({ ...base, signature: { header: "X-Sig", signed_payload: "{timestamp}" }, timestamp: { header: "X-Ts" } }).success).toBe(false);
  });
});
