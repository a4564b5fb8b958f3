import EasyPostClient from "@easypost/api";
import { describe, expect, it } from "vitest";
import { utf8 } from "../../../domain/crypto";
import { easypost } from "../../../worker/sources/easypost";
import { easypostHeaders, headerGetter } from "../../../cli/sign";
import { EASYPOST_TRACKING_CODE, easypostFixtures } from "../../helpers/fixtures";

// Composed characters: EasyPost keys the HMAC with the secret's NFKD form, so "é" and "e + ◌́" must agree.
const SECRET = "h\u00e9ndoff-\ufb01xture-secret";
const NOW = Date.UTC(2026, 10, 22, 15);
const BY_TRACKING_CODE = { order_id: "$.result.tracking_code" };

const verify = (body: string, headers: Record<string, string>, secret = SECRET) =>
  easypost.verify({ raw: utf8(body), headers: headerGetter(headers), secret, now: NOW });
const parse = (key: keyof typeof easypostFixtures, settings: unknown = BY_TRACKING_CODE) =>
  easypost.parse({ raw: utf8(easypostFixtures[key]), headers: headerGetter({}), source: "easypost", settings });

describe("EasyPost: X-Hmac-Signature is hmac-sha256-hex= over the raw body, keyed with the NFKD secret", () => {
  it("what we sign is what @easypost/api's own validateWebhook accepts, and we accept it", async () => {
    const body = easypostFixtures["tracker.updated-delivered"];
    const headers = await easypostHeaders({ body, secret: SECRET });
    const client = new EasyPostClient("EZTK_unused_in_validation");
    expect(client.Utils.validateWebhook(Buffer.from(body), { "X-Hmac-Signature": headers["x-hmac-signature"] }, SECRET)).toMatchObject({ id: expect.stringMatching(/^evt_/) });
    expect(await verify(body, headers)).toEqual({ ok: true });
    // The same secret typed decomposed keys the same HMAC.
    expect(await verify(body, headers, SECRET.normalize("NFD"))).toEqual({ ok: true });
  });

  it("refuses a missing, foreign or malformed signature", async () => {
    const body = easypostFixtures["tracker.updated-delivered"];
    const { "x-hmac-signature": good = "" } = await easypostHeaders({ body, secret: SECRET });
    expect(await verify(body, {})).toMatchObject({ ok: false, code: "signature_missing" });
    expect(await verify(body, { "x-hmac-signature": good.replace("hmac-sha256-hex=", "sha256=") })).toMatchObject({ ok: false, code: "signature_invalid" });
    expect(await verify(body, { "x-hmac-signature": good }, "another secret")).toMatchObject({ ok: false, code: "signature_invalid" });
    expect(await verify(`${body} `, { "x-hmac-signature": good })).toMatchObject({ ok: false, code: "signature_invalid" });
  });
});

describe("EasyPost: tracker statuses become shipment events", () => {
  it("in_transit and out_for_delivery → shipped, delivered → delivered, with carrier, tracking code and the scan's time", () => {
    const transit = parse("tracker.updated-in_transit");
    expect(transit).toMatchObject({
      ok: true,
      orderId: EASYPOST_TRACKING_CODE,
      events: [
        {
          type: "shipment.shipped",
          occurred_at: "2026-11-21T09:14:00.000Z",
          data: { carrier: "USPS", tracking_number: EASYPOST_TRACKING_CODE, tracking_url: expect.stringMatching(/^https:\/\/track\.easypost\.com\//) },
        },
      ],
    });
    expect(parse("tracker.updated-out_for_delivery")).toMatchObject({ events: [{ type: "shipment.shipped", occurred_at: "2026-11-22T07:02:00.000Z" }] });
    expect(parse("tracker.updated-delivered")).toMatchObject({ events: [{ type: "shipment.delivered", occurred_at: "2026-11-22T14:38:00.000Z" }] });
  });

  it("return_to_sender and failure need a person: fulfillment.rejected with the status as the reason", () => {
    expect(parse("tracker.updated-return_to_sender")).toMatchObject({ events: [{ type: "fulfillment.rejected", data: { code: "other", reason: "return_to_sender: return" } }] });
    expect(parse("tracker.updated-failure")).toMatchObject({ events: [{ type: "fulfillment.rejected", data: { reason: "failure: unknown" } }] });
  });

  it("the order id comes from the configured path; without one, from result.reference, else order_id_missing", () => {
    expect(parse("tracker.updated-delivered", null)).toMatchObject({ ok: false, code: "order_id_missing" });
    const withReference = easypostFixtures["tracker.updated-delivered"].replace('"object": "Tracker",', '"object": "Tracker",\n    "reference": "820982911946154508",');
    expect(easypost.parse({ raw: utf8(withReference), headers: headerGetter({}), source: "easypost", settings: null })).toMatchObject({ ok: true, orderId: "820982911946154508" });
  });

  it("refuses other events and statuses with no canonical meaning", () => {
    const created = easypostFixtures["tracker.updated-delivered"].replace('"description": "tracker.updated"', '"description": "batch.updated"');
    expect(easypost.parse({ raw: utf8(created), headers: headerGetter({}), source: "easypost", settings: BY_TRACKING_CODE })).toMatchObject({ ok: false, code: "unsupported_event" });
    const pre = easypostFixtures["tracker.updated-in_transit"].replace('"status": "in_transit",\n    "status_detail"', '"status": "pre_transit",\n    "status_detail"');
    expect(pre).not.toBe(easypostFixtures["tracker.updated-in_transit"]);
    expect(easypost.parse({ raw: utf8(pre), headers: headerGetter({}), source: "easypost", settings: BY_TRACKING_CODE })).toMatchObject({ ok: false, code: "unsupported_event" });
  });
});
