import { describe, expect, it } from "vitest";
import { call, json } from "../../helpers/http";
import { EXAMPLE_CONSUMER_SECRETS, exampleRules } from "../../helpers/ownership";
import { agencyWithMerchants, currentRulesOf, inherit, putTemplate } from "../../helpers/rule-templates";

interface Outcome {
  tenant: string;
  status: string;
  rules_version: number | null;
  steps?: string[];
  changes?: { path: string; from: unknown; to: unknown }[];
  issues?: { path: string; message: string }[];
}
interface TemplateBody {
  template: { template_id: string; version: number; created_by: string; merchants: { tenant: string; applied_version: number }[] };
  merchants: Outcome[];
}
interface AuditBody {
  entries: { type: string; actor: string; data: Record<string, unknown> }[];
  chain_valid: boolean;
}

const byTenant = (list: Outcome[]) => Object.fromEntries(list.map((o) => [o.tenant, o]));

describe("ownership-rule templates: inherit, preview, apply (issue 15)", () => {
  it("merchants inherit with overrides; a new version is previewed, then applied per merchant, skipping the one it is invalid for", async () => {
    const s = await agencyWithMerchants("tpl-ag", ["tpl-m1", "tpl-m2", "tpl-m3"]);
    const k = s.merchants;
    const v1 = exampleRules();
    const put1 = await putTemplate(s, "standard", v1);
    expect(put1.status).toBe(200);
    const text1 = await put1.text();
    for (const secret of Object.values(EXAMPLE_CONSUMER_SECRETS)) expect(text1).not.toContain(secret);
    const body1 = JSON.parse(text1) as TemplateBody;
    expect(body1.template).toMatchObject({ template_id: "standard", version: 1, created_by: "first key", merchants: [] });
    expect(body1.merchants).toEqual([]);

    // Inherit as is (the merchant's own key), and with overrides (the agency's key, acting as the merchant's merchant_admin).
    const i1 = await json<{ status: string; rules_version: number; inheritance: { template_version: number; up_to_date: boolean } }>(await inherit("tpl-m1", k["tpl-m1"] ?? "", "standard"));
    expect(i1).toMatchObject({ status: "applied", rules_version: 1, inheritance: { template_version: 1, up_to_date: true } });
    const m1 = await currentRulesOf("tpl-m1", k["tpl-m1"] ?? "");
    expect(m1.rules.steps.payment.owner).toBe(v1.steps.payment.owner);
    expect(m1.rules.steps.fulfillment).toEqual(v1.steps.fulfillment);

    const overrides = { steps: { payment: { owner: "cfo@tpl-m2.example" }, shipping: { sla: "P2D" } } };
    const i2 = await inherit("tpl-m2", s.agencyKey, "standard", overrides);
    expect(i2.status).toBe(200);
    const m2 = await currentRulesOf("tpl-m2", k["tpl-m2"] ?? "");
    expect(m2.rules.steps.payment.owner).toBe("cfo@tpl-m2.example");
    expect(m2.rules.steps.shipping.sla).toBe("P2D");
    expect(m2.rules.steps.routing.owner).toBe(v1.steps.routing.owner);

    // m3 inherits while it has no contacts (free-text names), then adds one: names must now be its contacts.
    expect((await inherit("tpl-m3", k["tpl-m3"] ?? "", "standard")).status).toBe(200);
    const contact = await call("PUT", "/v1/tenants/tpl-m3/contacts/ops@tpl-m3.example", { token: k["tpl-m3"], body: { name: "Ops", channels: [{ type: "email", address: "ops@tpl-m3.example" }] } });
    expect(contact.status).toBe(200);

    const v2 = exampleRules();
    v2.steps.payment.sla = "P3D";
    v2.steps.fulfillment.owner = "night-shift@3pl-acme.example";
    const preview = await call("POST", "/v1/agencies/tpl-ag/rule-templates/standard/preview", { token: s.agencyKey, body: { rules: v2 } });
    expect(preview.status).toBe(200);
    const p = await json<{ version: number; merchants: Outcome[] }>(preview);
    expect(p.version).toBe(1);
    const pv = byTenant(p.merchants);
    expect(pv["tpl-m1"]).toEqual({
      tenant: "tpl-m1",
      status: "changes",
      steps: ["fulfillment", "payment"],
      changes: [
        { path: "steps.fulfillment.owner", from: v1.steps.fulfillment.owner, to: "night-shift@3pl-acme.example" },
        { path: "steps.payment.sla", from: "P4D", to: "P3D" },
      ],
    });
    // m2's own payment owner stays: only the fields it does not override change.
    expect(pv["tpl-m2"]?.changes?.map((c) => c.path)).toEqual(["steps.fulfillment.owner", "steps.payment.sla"]);
    expect(pv["tpl-m3"]?.status).toBe("invalid");
    expect(pv["tpl-m3"]?.issues?.map((i) => i.path)).toContain("steps.payment.owner");
    // A preview writes nothing.
    expect((await currentRulesOf("tpl-m1", k["tpl-m1"] ?? "")).version).toBe(1);

    const put2 = await json<TemplateBody>(await putTemplate(s, "standard", v2));
    expect(put2.template.version).toBe(2);
    const applied = byTenant(put2.merchants);
    expect(applied["tpl-m1"]).toMatchObject({ status: "applied", rules_version: 2, steps: ["fulfillment", "payment"] });
    expect(applied["tpl-m2"]).toMatchObject({ status: "applied", rules_version: 2 });
    expect(applied["tpl-m3"]).toMatchObject({ status: "skipped", rules_version: null });
    expect(applied["tpl-m3"]?.issues?.length).toBeGreaterThan(0);
    expect((await currentRulesOf("tpl-m2", k["tpl-m2"] ?? "")).rules.steps.payment).toMatchObject({ owner: "cfo@tpl-m2.example", sla: "P3D" });
    expect((await currentRulesOf("tpl-m3", k["tpl-m3"] ?? "")).version).toBe(1);
    expect(put2.template.merchants).toEqual([
      { tenant: "tpl-m1", applied_version: 2 },
      { tenant: "tpl-m2", applied_version: 2 },
      { tenant: "tpl-m3", applied_version: 1 },
    ]);
    const m3 = await json<{ inheritance: { applied_version: number; template_version: number; up_to_date: boolean } }>(await call("GET", "/v1/tenants/tpl-m3/rule-template", { token: k["tpl-m3"] }));
    expect(m3.inheritance).toMatchObject({ applied_version: 1, template_version: 2, up_to_date: false });

    // Each merchant's admin audit names the acting key; the skipped one says why.
    const audit1 = await json<AuditBody>(await call("GET", "/v1/tenants/tpl-m1/admin-audit", { token: k["tpl-m1"] }));
    expect(audit1.chain_valid).toBe(true);
    expect(audit1.entries.filter((e) => e.type === "rules.put").map((e) => [e.actor, e.data.version, e.data.template_version])).toEqual([
      ["first key", 1, 1],
      ["first key", 2, 2],
    ]);
    const audit3 = await json<AuditBody>(await call("GET", "/v1/tenants/tpl-m3/admin-audit", { token: k["tpl-m3"] }));
    expect(audit3.entries.find((e) => e.type === "rules.template_skipped")?.data).toMatchObject({ template_id: "standard", template_version: 2 });

    // The same rules again: a new template version, no new rules version anywhere.
    const put3 = byTenant((await json<TemplateBody>(await putTemplate(s, "standard", v2))).merchants);
    expect([put3["tpl-m1"]?.status, put3["tpl-m2"]?.status, put3["tpl-m3"]?.status]).toEqual(["unchanged", "unchanged", "skipped"]);
    expect((await currentRulesOf("tpl-m1", k["tpl-m1"] ?? "")).version).toBe(2);

    const list = await json<{ templates: { template_id: string; version: number; merchants: { tenant: string }[] }[] }>(await call("GET", "/v1/agencies/tpl-ag/rule-templates", { token: s.agencyKey }));
    expect(list.templates.map((t) => [t.template_id, t.version, t.merchants.length])).toEqual([["standard", 3, 3]]);
  });

  it("a merchant's own consumer (secret included) is an override: sealed, and shown only as a fingerprint", async () => {
    const s = await agencyWithMerchants("tpl-sec", ["tpl-sec-1"]);
    const key = s.merchants["tpl-sec-1"] ?? "";
    expect((await putTemplate(s, "base", exampleRules())).status).toBe(200);
    const own = "whsec_b3duLW1lcmNoYW50LXNlY3JldC0xMjM0NTY3OA==";
    const res = await inherit("tpl-sec-1", key, "base", { steps: { routing: { consumer: { url: "https://wms.tpl-sec-1.example/handoff", secret: own } } } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(own);
    const body = JSON.parse(text) as { changes: { path: string; from: string; to: string }[]; inheritance: { overrides: { steps: { routing: { consumer: { secret: string } } } } } };
    const secretChange = body.changes.find((c) => c.path === "steps.routing.consumer.secret");
    expect(secretChange?.to).toMatch(/^sha256:[0-9a-f]{8}$/);
    expect(body.inheritance.overrides.steps.routing.consumer.secret).toBe(secretChange?.to);
    const got = await call("GET", "/v1/tenants/tpl-sec-1/rule-template", { token: key });
    expect(await got.text()).not.toContain(own);
    const rules = await currentRulesOf("tpl-sec-1", key);
    expect(rules.rules.steps.routing.consumer?.url).toBe("https://wms.tpl-sec-1.example/handoff");
    expect(rules.rules.steps.routing.consumer?.secret).toBe(secretChange?.to);

    // Stop inheriting: the rules stay, and later template versions leave the merchant alone.
    expect((await call("DELETE", "/v1/tenants/tpl-sec-1/rule-template", { token: key })).status).toBe(200);
    const next = exampleRules();
    next.steps.payment.sla = "P1D";
    expect((await json<TemplateBody>(await putTemplate(s, "base", next))).merchants).toEqual([]);
    expect((await currentRulesOf("tpl-sec-1", key)).version).toBe(1);
  });
});
