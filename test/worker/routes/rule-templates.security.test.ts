import { beforeAll, describe, expect, it } from "vitest";
import { call, expectError, json } from "../../helpers/http";
import { EXAMPLE_CONSUMER_SECRETS, exampleRules } from "../../helpers/ownership";
import { agencyWithMerchants, type AgencySetup, inherit, putTemplate } from "../../helpers/rule-templates";

let a: AgencySetup;
let b: AgencySetup;
let reader = "";
let operator = "";

async function issued(res: Response): Promise<string> {
  expect(res.status).toBe(201);
  return (await json<{ api_key: string }>(res)).api_key;
}

beforeAll(async () => {
  a = await agencyWithMerchants("tps-a", ["tps-a1"]);
  b = await agencyWithMerchants("tps-b", ["tps-b1"]);
  expect((await putTemplate(a, "base", exampleRules())).status).toBe(200);
  const owner = a.merchants["tps-a1"] ?? "";
  reader = await issued(await call("POST", "/v1/tenants/tps-a1/api-keys", { token: owner, body: { name: "looker", scope: "read" } }));
  operator = await issued(await call("POST", "/v1/tenants/tps-a1/api-keys", { token: owner, body: { name: "alice", scope: "operator" } }));
});

describe("rule templates: who may do what (issue 15)", () => {
  it("a merchant's keys are 403 on its agency's templates; another agency's key sees nothing (404)", async () => {
    const merchant = a.merchants["tps-a1"] ?? "";
    for (const token of [merchant, operator, reader]) {
      await expectError(await call("GET", "/v1/agencies/tps-a/rule-templates", { token }), 403, "forbidden_scope");
      await expectError(await call("GET", "/v1/agencies/tps-a/rule-templates/base", { token }), 403, "forbidden_scope");
      await expectError(await putTemplate(a, "base", exampleRules(), token), 403, "forbidden_scope");
      await expectError(await call("POST", "/v1/agencies/tps-a/rule-templates/base/preview", { token, body: { rules: exampleRules() } }), 403, "forbidden_scope");
    }
    await expectError(await call("GET", "/v1/agencies/tps-a/rule-templates/base", { token: b.agencyKey }), 404, "not_found");
    await expectError(await putTemplate(a, "base", exampleRules(), b.agencyKey), 404, "not_found");
    await expectError(await call("GET", "/v1/agencies/tps-a/rule-templates", { token: b.merchants["tps-b1"] }), 404, "not_found");
    const unchanged = await json<{ template: { version: number } }>(await call("GET", "/v1/agencies/tps-a/rule-templates/base", { token: a.agencyKey }));
    expect(unchanged.template.version).toBe(1);
  });

  it("a merchant's own setting needs merchant_admin (its own or its agency's key); reading it, read", async () => {
    await expectError(await inherit("tps-a1", operator, "base"), 403, "forbidden_scope");
    await expectError(await inherit("tps-a1", reader, "base"), 403, "forbidden_scope");
    await expectError(await inherit("tps-a1", b.agencyKey, "base"), 404, "not_found");
    await expectError(await inherit("tps-a1", b.merchants["tps-b1"] ?? "", "base"), 404, "not_found");
    expect((await inherit("tps-a1", a.agencyKey, "base")).status).toBe(200);
    expect((await call("GET", "/v1/tenants/tps-a1/rule-template", { token: reader })).status).toBe(200);
    await expectError(await call("DELETE", "/v1/tenants/tps-a1/rule-template", { token: operator }), 403, "forbidden_scope");
    await expectError(await call("GET", "/v1/tenants/tps-a1/rule-template", { token: b.agencyKey }), 404, "not_found");
  });

  it("no response and no admin audit entry carries a consumer secret", async () => {
    const texts = [
      await (await call("GET", "/v1/agencies/tps-a/rule-templates", { token: a.agencyKey })).text(),
      await (await call("GET", "/v1/agencies/tps-a/rule-templates/base", { token: a.agencyKey })).text(),
      await (await call("POST", "/v1/agencies/tps-a/rule-templates/base/preview", { token: a.agencyKey, body: { rules: exampleRules() } })).text(),
      await (await putTemplate(a, "base", exampleRules())).text(),
      await (await call("GET", "/v1/tenants/tps-a1/admin-audit", { token: reader })).text(),
      await (await call("GET", "/v1/tenants/agency:tps-a/admin-audit", { token: a.agencyKey })).text(),
    ];
    for (const text of texts) for (const secret of Object.values(EXAMPLE_CONSUMER_SECRETS)) expect(text).not.toContain(secret);
  });
});
