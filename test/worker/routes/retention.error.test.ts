import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createTenant, expectError, settleAlarms } from "../../helpers/http";
import { putRetention } from "../../helpers/retention";

afterEach(settleAlarms);

let key = "";
let otherKey = "";
beforeAll(async () => {
  key = await createTenant("ret-err");
  otherKey = await createTenant("ret-err-other");
});

describe("retention policy input is refused with the field and the reason", () => {
  const refused = async (body: unknown, path: string, message: RegExp) => {
    const err = await expectError(await putRetention("ret-err", body), 400, "validation_failed");
    expect(err.details).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringMatching(message) })]));
  };

  it("below the floor: nobody deletes yesterday by mistake", async () => {
    await refused({ rejections_days: 1 }, "rejections_days", /below the floor of 7 days/);
    await refused({ audit_days: "P30D" }, "audit_days", /below the floor of 90 days/);
    await refused({ resolved_tasks_days: 0 }, "resolved_tasks_days", /below the floor of 30 days/);
  });

  it("units that are not whole days, fractions, nonsense and unknown fields", async () => {
    await refused({ audit_days: "PT2400H" }, "audit_days", /not a whole number of days/);
    await refused({ audit_days: "P1Y" }, "audit_days", /not a whole number of days/);
    await refused({ audit_days: 120.5 }, "audit_days", /not a whole number of days/);
    await refused({ audit_days: true }, "audit_days", /expected a whole number of days/);
    await refused({ audit_days: 99_999 }, "audit_days", /ceiling of 3650/);
    const err = await expectError(await putRetention("ret-err", { receipts_days: 30 }), 400, "validation_failed");
    expect(JSON.stringify(err.details)).toContain("receipts_days");
  });

  it("is not JSON", async () => {
    await expectError(await call("PUT", "/v1/tenants/ret-err/retention", { token: ADMIN_TOKEN, raw: "{", headers: { "content-type": "application/json" } }), 400, "invalid_json");
  });
});

describe("who may set and read it", () => {
  it("a tenant key cannot set its own policy (403 forbidden_scope, issue 15); only the admin token can", async () => {
    await expectError(await call("PUT", "/v1/tenants/ret-err/retention", { token: key, body: { audit_days: 90 } }), 403, "forbidden_scope");
    await expectError(await call("PUT", "/v1/tenants/ret-err/retention", { body: { audit_days: 90 } }), 401, "unauthorized");
  });

  it("another tenant's key gets 404, an unknown tenant 404", async () => {
    await expectError(await call("GET", "/v1/tenants/ret-err/retention", { token: otherKey }), 404, "not_found");
    await expectError(await call("GET", "/v1/tenants/ret-err/archive/2026-03-02", { token: otherKey }), 404, "not_found");
    await expectError(await call("GET", "/v1/tenants/ret-err/archive/2026-03-02/audit_log/manifest.json", { token: otherKey }), 404, "not_found");
    await expectError(await call("GET", "/v1/tenants/ret-err/archive/2026-03-02/audit_log/manifest.json"), 401, "unauthorized");
    await expectError(await putRetention("ret-nobody", { audit_days: 90 }), 404, "tenant_not_found");
  });
});

describe("archive reads", () => {
  it("a day with nothing archived is 404; a malformed day or file name 400", async () => {
    await expectError(await call("GET", "/v1/tenants/ret-err/archive/2026-03-02", { token: key }), 404, "not_found");
    await expectError(await call("GET", "/v1/tenants/ret-err/archive/2026-02-30", { token: key }), 400, "validation_failed");
    await expectError(await call("GET", "/v1/tenants/ret-err/archive/yesterday", { token: key }), 400, "validation_failed");
    await expectError(await call("GET", "/v1/tenants/ret-err/archive/2026-03-02/audit_log/..%2Fother.json", { token: key }), 400, "validation_failed");
    await expectError(await call("GET", "/v1/tenants/ret-err/archive/2026-03-02/orders/manifest.json", { token: key }), 400, "validation_failed");
    await expectError(await call("GET", "/v1/tenants/ret-err/archive/2026-03-02/audit_log/0001.ndjson.gz", { token: key }), 404, "not_found");
  });
});
