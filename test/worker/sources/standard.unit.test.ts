import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { toBase64, utf8 } from "../../../domain/crypto";
import { standard } from "../../../worker/sources/standard";
import type { ParseResult } from "../../../worker/sources/types";
import { FIXTURE_ORDER_ID, standardFixtures } from "../../helpers/fixtures";
import { headerGetter, nowSeconds, signStandard, standardHeaders } from "../../../cli/sign";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const T = 1795203900; // 2026-11-20T19:45:00Z
const NOW = T * 1000;
const MSG = "msg_2k7ZqQ0cC3v8mN1pX4";

type Headers = Record<string, string>;

function parse(body: string, headers: Headers = { "webhook-id": MSG }): ParseResult {
  return standard.parse({ raw: utf8(body), headers: headerGetter(headers), source: "wms" });
}

function verify(body: string | Uint8Array, headers: Headers, opts: { secret?: string; now?: number } = {}) {
  const raw = typeof body === "string" ? utf8(body) : body;
  return standard.verify({ raw, headers: headerGetter(headers), secret: opts.secret ?? SECRET, now: opts.now ?? NOW });
}

function ok(type: string, occurred_at: string, data: Record<string, unknown>) {
  return {
    ok: true,
    idempotencyKey: `wms:${MSG}`,
    orderId: FIXTURE_ORDER_ID,
    events: [{ id: `wms:${MSG}#0`, type, order_id: FIXTURE_ORDER_ID, occurred_at, source: "wms", data }],
  };
}

const tracking = { fulfillment_id: "WMS-FO-55012", carrier: "UPS", tracking_number: "1Z999AA10123456784" };
const expected: Record<keyof typeof standardFixtures, ReturnType<typeof ok>> = {
  "fulfillment.accepted": ok("fulfillment.accepted", "2026-11-20T19:45:00.000Z", {
    fulfillment_id: "WMS-FO-55012",
    location: "DC-EAST-1",
    export_id: "exp_820982911946154508_v1",
  }),
  "fulfillment.rejected": ok("fulfillment.rejected", "2026-11-20T19:45:00.000Z", {
    fulfillment_id: "WMS-FO-55012",
    location: "DC-EAST-1",
    export_id: "exp_820982911946154508_v1",
    code: "out_of_stock",
    reason: "CASE-LEATHER-PREM: 1 of 2 available",
  }),
  "shipment.shipped": ok("shipment.shipped", "2026-11-21T14:15:00.000Z", {
    ...tracking,
    tracking_url: "https://www.ups.com/WebTracking?loc=en_US&requester=ST&trackNums=1Z999AA10123456784",
  }),
  "shipment.delivered": ok("shipment.delivered", "2026-11-23T21:40:00.000Z", tracking),
  "attribution.updated": ok("attribution.updated", "2026-11-22T08:00:00.000Z", {
    attribution: { utm_source: "newsletter", utm_medium: "email", utm_campaign: "bf-2026", channel: "email", campaign_id: "cmp_8841" },
  }),
};

describe("standard adapter: mapping the fixtures", () => {
  for (const type of Object.keys(standardFixtures) as (keyof typeof standardFixtures)[]) {
    it(`${type} verifies and passes through as the canonical event`, async () => {
      const body = standardFixtures[type];
      const headers = await standardHeaders({ body, secret: SECRET, id: MSG, timestampSec: T });
      expect(await verify(body, headers)).toEqual({ ok: true });
      expect(parse(body, headers)).toEqual(expected[type]);
    });
  }

  it("applies the schema's defaults and drops unknown fields", () => {
    const body = JSON.stringify({
      type: "fulfillment.rejected",
      order_id: "o-1",
      occurred_at: "2026-11-20T20:45:00+01:00",
      data: { reason: "address not found", internal_score: 7 },
      extra: true,
    });
    const res = parse(body);
    expect(res.ok && res.events[0]).toEqual({
      id: `wms:${MSG}#0`,
      type: "fulfillment.rejected",
      order_id: "o-1",
      occurred_at: "2026-11-20T19:45:00.000Z",
      source: "wms",
      data: { code: "other", reason: "address not found" },
    });
  });
});

describe("standard adapter: refusals", () => {
  it("an unknown or missing type → unsupported_event", () => {
    expect(parse('{"type": "order.teleported", "order_id": "o-1", "occurred_at": "2026-11-20T19:45:00Z", "data": {}}')).toMatchObject({
      ok: false,
      code: "unsupported_event",
    });
    expect(parse('{"order_id": "o-1"}')).toMatchObject({ ok: false, code: "unsupported_event" });
  });

  it.each(["{", ""])("body %j → invalid_json", (body) => {
    expect(parse(body)).toMatchObject({ ok: false, code: "invalid_json" });
  });

  it.each(["[]", "true"])("JSON body %j that is not an object → schema_mismatch", (body) => {
    expect(parse(body)).toMatchObject({ ok: false, code: "schema_mismatch" });
  });

  it("no order_id → order_id_missing", () => {
    const body = standardFixtures["shipment.shipped"].replace(`"order_id": "${FIXTURE_ORDER_ID}"`, '"order_id": ""');
    expect(parse(body)).toMatchObject({ ok: false, code: "order_id_missing" });
  });

  it("data that does not match the type → schema_mismatch with zod issues", () => {
    const body = standardFixtures["fulfillment.rejected"].replace('"code": "out_of_stock"', '"code": "lost_in_space"');
    expect(parse(body)).toMatchObject({
      ok: false,
      code: "schema_mismatch",
      details: { issues: [{ event: 0, type: "fulfillment.rejected", path: "data.code", code: "invalid_value" }] },
    });
  });

  it("an occurred_at without an offset → schema_mismatch", () => {
    const body = standardFixtures["shipment.delivered"].replace('"2026-11-23T21:40:00Z"', '"2026-11-23 21:40"');
    expect(parse(body)).toMatchObject({ ok: false, code: "schema_mismatch", details: { issues: [{ path: "occurred_at" }] } });
  });

  it("no webhook-id → schema_mismatch (nothing to deduplicate on)", () => {
    expect(parse(standardFixtures["shipment.shipped"], {})).toMatchObject({ ok: false, code: "schema_mismatch" });
  });
});

describe("standard adapter: signature", () => {
  const body = standardFixtures["fulfillment.accepted"];

  it("accepts signatures made by the standardwebhooks library", async () => {
    const signature = new Webhook(SECRET).sign(MSG, new Date(NOW), body);
    expect(await verify(body, { "webhook-id": MSG, "webhook-timestamp": String(T), "webhook-signature": signature })).toEqual({ ok: true });
  });

  it("signs exactly as the standardwebhooks library verifies", async () => {
    const headers = await standardHeaders({ body, secret: SECRET, id: MSG, timestampSec: nowSeconds() });
    expect(new Webhook(SECRET).verify(body, headers)).toMatchObject({ type: "fulfillment.accepted" });
  });

  it("accepts a bare base64 secret, any matching v1 among several, and ignores other versions", async () => {
    const bare = SECRET.slice("whsec_".length);
    const good = await signStandard(MSG, T, body, SECRET);
    const stale = await signStandard(MSG, T, body, `whsec_${toBase64(utf8("an older key"))}`);
    const headers = { "webhook-id": MSG, "webhook-timestamp": String(T), "webhook-signature": `v1a,AAAA ${stale} ${good}` };
    expect(await verify(body, headers)).toEqual({ ok: true });
    expect(await verify(body, headers, { secret: bare })).toEqual({ ok: true });
  });

  it("rejects a tampered body, a wrong secret, and a signature moved to another message id", async () => {
    const headers = await standardHeaders({ body, secret: SECRET, id: MSG, timestampSec: T });
    expect(await verify(body.replace("DC-EAST-1", "DC-WEST-2"), headers)).toMatchObject({ ok: false, code: "signature_invalid" });
    expect(await verify(body, headers, { secret: `whsec_${toBase64(utf8("wrong"))}` })).toMatchObject({ ok: false, code: "signature_invalid" });
    expect(await verify(body, { ...headers, "webhook-id": "msg_other" })).toMatchObject({ ok: false, code: "signature_invalid" });
  });

  it.each(["webhook-id", "webhook-timestamp", "webhook-signature"])("missing %s → signature_missing", async (name) => {
    const headers: Headers = await standardHeaders({ body, secret: SECRET, id: MSG, timestampSec: T });
    delete headers[name];
    const res = await verify(body, headers);
    expect(res).toMatchObject({ ok: false, code: "signature_missing" });
    expect(!res.ok && res.message).toContain(name);
  });

  it("no v1 signature → signature_missing; malformed timestamp or secret → signature_invalid", async () => {
    const headers = await standardHeaders({ body, secret: SECRET, id: MSG, timestampSec: T });
    expect(await verify(body, { ...headers, "webhook-signature": "v1a,AAAA" })).toMatchObject({ ok: false, code: "signature_missing" });
    expect(await verify(body, { ...headers, "webhook-timestamp": "yesterday" })).toMatchObject({ ok: false, code: "signature_invalid" });
    expect(await verify(body, headers, { secret: "whsec_!!!" })).toMatchObject({ ok: false, code: "signature_invalid" });
  });

  it("tolerates 300 s of skew either way and refuses more as timestamp_stale", async () => {
    const headers = await standardHeaders({ body, secret: SECRET, id: MSG, timestampSec: T });
    expect(await verify(body, headers, { now: NOW + 300_000 })).toEqual({ ok: true });
    expect(await verify(body, headers, { now: NOW - 300_000 })).toEqual({ ok: true });
    expect(await verify(body, headers, { now: NOW + 301_000 })).toMatchObject({ ok: false, code: "timestamp_stale" });
    expect(await verify(body, headers, { now: NOW - 301_000 })).toMatchObject({ ok: false, code: "timestamp_stale" });
  });

  it("property: any body and key verify, and any single-byte change does not", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (raw, keyBytes, pos, flip) => {
          const secret = `whsec_${toBase64(keyBytes)}`;
          const headers = { "webhook-id": MSG, "webhook-timestamp": String(T), "webhook-signature": await signStandard(MSG, T, raw, secret) };
          expect(await verify(raw, headers, { secret })).toEqual({ ok: true });
          const mutated = raw.slice();
          const i = pos % mutated.length;
          mutated[i] = (mutated[i] ?? 0) ^ flip;
          expect(await verify(mutated, headers, { secret })).toMatchObject({ ok: false, code: "signature_invalid" });
        },
      ),
      { numRuns: 200 },
    );
  });
});
