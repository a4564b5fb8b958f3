import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createTenant, expectError, keyFor } from "../../helpers/http";
import { exampleRules } from "../../helpers/ownership";
import { putOwnership } from "../../helpers/ownership-api";

const READS = ["/ownership", "/ownership/history", "/ownership.csv"];

describe("ownership rules: auth (security)", () => {
  it("PUT needs merchant_admin (or the admin token): an operator or read key is 403, a wrong token or none 401", async () => {
    const key = await createTenant("own-auth");
    const path = "/v1/tenants/own-auth/ownership";
    await expectError(await call("PUT", path, { body: exampleRules() }), 401, "unauthorized");
    await expectError(await call("PUT", path, { token: "nope", body: exampleRules() }), 401, "unauthorized");
    await expectError(await call("PUT", path, { token: await keyFor("own-auth", "ops", "operator"), body: exampleRules() }), 403, "forbidden_scope");
    await expectError(await call("PUT", path, { token: await keyFor("own-auth", "viewer", "read"), body: exampleRules() }), 403, "forbidden_scope");
    expect((await call("PUT", path, { token: key, body: exampleRules() })).status).toBe(200);
    // Auth is decided before the body is looked at: an invalid body without a token is still 401.
    await expectError(await call("PUT", path, { body: { steps: {} } }), 401, "unauthorized");
  });

  it("reads accept the tenant's own key and the admin token", async () => {
    const key = await createTenant("own-read");
    await putOwnership("own-read");
    for (const p of READS) {
      expect((await call("GET", `/v1/tenants/own-read${p}`, { token: key })).status).toBe(200);
      expect((await call("GET", `/v1/tenants/own-read${p}`, { token: ADMIN_TOKEN })).status).toBe(200);
    }
  });

  it("another tenant's key gets 404, no or an unknown key 401", async () => {
    await createTenant("own-victim");
    await putOwnership("own-victim");
    const other = await createTenant("own-other");
    for (const p of READS) {
      await expectError(await call("GET", `/v1/tenants/own-victim${p}`, { token: other }), 404, "not_found");
      await expectError(await call("GET", `/v1/tenants/own-victim${p}`), 401, "unauthorized");
      await expectError(await call("GET", `/v1/tenants/own-victim${p}`, { token: "hk_own-victim_forged" }), 401, "unauthorized");
    }
  });
});
