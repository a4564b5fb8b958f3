import { beforeAll, describe, expect, it } from "vitest";
import { call, createTenant, expectError, json } from "../../helpers/http";
import { exampleRules } from "../../helpers/ownership";
import { agencyWithMerchants, type AgencySetup, currentRulesOf, inherit, putTemplate } from "../../helpers/rule-templates";

let a: AgencySetup;
let b: AgencySetup;
const keyOf = (s: AgencySetup, id: string) => s.merchants[id] ?? "";

beforeAll(async () => {
  a = await agencyWithMerchants("tpe-a", ["tpe-a1", "tpe-a2"]);
  b = await agencyWithMerchants("tpe-b", ["tpe-b1"]);
  expect((await putTemplate(a, "base", exampleRules())).status).toBe(200);
  expect((await putTemplate(b, "b-only", exampleRules())).status).toBe(200);
});

describe("rule templates: bad input and unknown names (issue 15)", () => {
  it("an override that breaks the rules is a 400 naming each field, and nothing is stored", async () => {
    const key = keyOf(a, "tpe-a1");
    const missing = await expectError(await inherit("tpe-a1", key, "base", { steps: { payment: { owner: null } } }), 400, "validation_failed");
    expect(missing.message).toContain("steps.payment.owner");
    const bad = await expectError(await inherit("tpe-a1", key, "base", { steps: { payment: { sla: "soon" }, routing: { consumer: { secret: "hunter2" } } } }), 400, "validation_failed");
    expect((bad.details as { path: string }[]).map((d) => d.path).sort()).toEqual(["steps.payment.sla", "steps.routing.consumer.secret"]);
    const typo = await expectError(await inherit("tpe-a1", key, "base", { steps: { payment: { ownr: "x@y.example" } } }), 400, "validation_failed");
    expect(typo.message).toContain("steps.payment");
    // Overrides are an object (a merge patch), not a list or a string.
    await expectError(await inherit("tpe-a1", key, "base", ["steps"]), 400, "validation_failed");
    await expectError(await call("PUT", "/v1/tenants/tpe-a1/rule-template", { token: key, body: { overrides: {} } }), 400, "validation_failed");
    await expectError(await call("PUT", "/v1/tenants/tpe-a1/rule-template", { token: key, raw: "{", headers: { "content-type": "application/json" } }), 400, "invalid_json");
    await expectError(await call("GET", "/v1/tenants/tpe-a1/rule-template", { token: key }), 404, "not_found");
    await expectError(await call("GET", "/v1/tenants/tpe-a1/ownership", { token: key }), 404, "not_found");
  });

  it("a template's rules are validated as a tenant's are", async () => {
    const rules = exampleRules() as unknown as { steps: Record<string, Record<string, unknown>> };
    delete rules.steps.payment?.exception_path;
    const err = await expectError(await call("PUT", "/v1/agencies/tpe-a/rule-templates/base", { token: a.agencyKey, body: { rules } }), 400, "validation_failed");
    expect(JSON.stringify(err.details)).toContain("exception_path");
    await expectError(await call("PUT", "/v1/agencies/tpe-a/rule-templates/base", { token: a.agencyKey, body: {} }), 400, "validation_failed");
    await expectError(await call("POST", "/v1/agencies/tpe-a/rule-templates/base/preview", { token: a.agencyKey, body: { rules } }), 400, "validation_failed");
    // Template ids are bounded path names.
    await expectError(await call("PUT", "/v1/agencies/tpe-a/rule-templates/Not%20An%20Id", { token: a.agencyKey, body: { rules: exampleRules() } }), 400, "validation_failed");
    const got = await json<{ template: { version: number } }>(await call("GET", "/v1/agencies/tpe-a/rule-templates/base", { token: a.agencyKey }));
    expect(got.template.version).toBe(1);
  });

  it("an unknown template, or another agency's, is 404 template_not_found; so is a stand-alone tenant's", async () => {
    await expectError(await inherit("tpe-a2", keyOf(a, "tpe-a2"), "nope"), 404, "template_not_found");
    await expectError(await inherit("tpe-a2", keyOf(a, "tpe-a2"), "b-only"), 404, "template_not_found");
    await expectError(await call("GET", "/v1/agencies/tpe-a/rule-templates/nope", { token: a.agencyKey }), 404, "template_not_found");
    await expectError(await call("GET", "/v1/agencies/tpe-a/rule-templates/b-only", { token: a.agencyKey }), 404, "template_not_found");
    await expectError(await call("POST", "/v1/agencies/tpe-a/rule-templates/nope/preview", { token: a.agencyKey, body: { rules: exampleRules() } }), 404, "template_not_found");
    const solo = await createTenant("tpe-solo");
    await expectError(await inherit("tpe-solo", solo, "base"), 404, "template_not_found");
    await expectError(await call("DELETE", "/v1/tenants/tpe-a2/rule-template", { token: keyOf(a, "tpe-a2") }), 404, "not_found");
  });

  it("a merchant whose directory lacks a name the template uses is refused with every missing name", async () => {
    const key = keyOf(a, "tpe-a2");
    expect((await call("PUT", "/v1/tenants/tpe-a2/contacts/ops@tpe-a2.example", { token: key, body: { name: "Ops", channels: [{ type: "email", address: "ops@tpe-a2.example" }] } })).status).toBe(200);
    const err = await expectError(await inherit("tpe-a2", key, "base"), 400, "validation_failed");
    const paths = (err.details as { path: string }[]).map((d) => d.path);
    expect(paths).toContain("steps.payment.owner");
    expect(paths).toContain("steps.fulfillment.exception_path.contact_id");
    // Nothing was stored: the merchant neither inherits nor has rules.
    await expectError(await call("GET", "/v1/tenants/tpe-a2/rule-template", { token: key }), 404, "not_found");
    await expectError(await call("GET", "/v1/tenants/tpe-a2/ownership", { token: key }), 404, "not_found");
  });

  it("overrides can be changed later: the merchant's rules follow, as a new version", async () => {
    const key = keyOf(a, "tpe-a1");
    expect((await inherit("tpe-a1", key, "base")).status).toBe(200);
    const again = await json<{ status: string; rules_version: number | null }>(await inherit("tpe-a1", key, "base"));
    expect(again).toMatchObject({ status: "unchanged", rules_version: null });
    const changed = await json<{ status: string; rules_version: number; changes: { path: string }[] }>(await inherit("tpe-a1", key, "base", { steps: { delivery: { sla: "P7D" } } }));
    expect(changed).toMatchObject({ status: "applied", rules_version: 2, changes: [{ path: "steps.delivery.sla" }] });
    expect((await currentRulesOf("tpe-a1", key)).rules.steps.delivery.sla).toBe("P7D");
  });
});
