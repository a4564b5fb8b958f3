import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, expectError, json, seedTenant } from "../../helpers/http";

/** Every answer names its request; every error envelope repeats the name (tracing off here: no OTLP endpoint). */
describe("request ids", () => {
  it("are minted for each request and returned in the header and the envelope", async () => {
    const a = await expectError(await call("GET", "/v1/nowhere"), 404, "not_found");
    const b = await expectError(await call("GET", "/v1/nowhere"), 404, "not_found");
    expect(a.request_id).toMatch(/^req_[0-9a-f]{24}$/);
    expect(b.request_id).not.toBe(a.request_id);
    expect((await call("GET", "/healthz")).headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{24}$/);
  });

  it("honour a sane inbound x-request-id and replace anything else", async () => {
    const kept = await expectError(await call("GET", "/v1/nowhere", { headers: { "x-request-id": "lb-7f3a9c21:01" } }), 404, "not_found");
    expect(kept.request_id).toBe("lb-7f3a9c21:01");
    for (const hostile of ["short", "x".repeat(129), "has spaces in it", "semi;colon=1234", "<script>alert(1)</script>"]) {
      const e = await expectError(await call("GET", "/v1/nowhere", { headers: { "x-request-id": hostile } }), 404, "not_found");
      expect(e.request_id).toMatch(/^req_[0-9a-f]{24}$/);
    }
  });

  it("reach validation, auth, webhook and analytics errors alike", async () => {
    await expectError(await call("POST", "/v1/tenants", { token: ADMIN_TOKEN, body: { id: "" } }), 400, "validation_failed");
    await expectError(await call("POST", "/v1/tenants", { token: ADMIN_TOKEN, raw: "{not json", headers: { "content-type": "application/json" } }), 400, "invalid_json");
    await expectError(await call("GET", "/v1/tenants/rid/orders/o-1"), 401, "unauthorized");
    const key = await seedTenant("rid");
    const refused = await expectError(await call("POST", "/v1/tenants/rid/webhooks/wms", { raw: "{}", headers: { "x-request-id": "sender-delivery-0042" } }), 401, "signature_missing");
    expect(refused.request_id).toBe("sender-delivery-0042");
    await expectError(await call("GET", "/v1/tenants/rid/exports/nothing.csv", { token: key }), 404, "not_found");
  });

  it("are on the console's pages too (as a header: its errors are HTML for people)", async () => {
    const res = await call("GET", "/console/queue");
    await res.body?.cancel();
    expect(res.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{24}$/);
  });

  it("are required by the OpenAPI error schema", async () => {
    const doc = await json<{ components: { schemas: { Error: { properties: { error: { required: string[]; properties: Record<string, unknown> } } } } } }>(
      await call("GET", "/openapi.json"),
    );
    const error = doc.components.schemas.Error.properties.error;
    expect(error.required).toEqual(expect.arrayContaining(["code", "message", "request_id"]));
    expect(error.properties).toHaveProperty("request_id");
  });
});
