import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, json } from "../../helpers/http";
import { exampleRules } from "../../helpers/ownership";
import { ConsoleClient, html } from "./helpers";

async function agency(id: string, merchants: string[]): Promise<{ key: string; merchantKeys: string[] }> {
  const key = (await json<{ api_key: string }>(await call("POST", "/v1/agencies", { token: ADMIN_TOKEN, body: { id, name: id } }))).api_key;
  const merchantKeys: string[] = [];
  for (const m of merchants) merchantKeys.push((await json<{ api_key: string }>(await call("POST", `/v1/agencies/${id}/merchants`, { token: key, body: { id: m, name: `Shop ${m}`, default_owner: "ops@example.com" } }))).api_key);
  return { key, merchantKeys };
}

describe("the console for an agency (issue 15)", () => {
  it("signs in with the agency id, lists every merchant, and puts only its own merchants in view", async () => {
    const north = await agency("con-ag-north", ["con-ag-n1", "con-ag-n2"]);
    await agency("con-ag-south", ["con-ag-s1"]);
    const client = new ConsoleClient();
    const csrf = await client.session("con-ag-north", north.key, "Ines");
    const overview = await html(await client.get("/console/agency"));
    expect(overview).toContain('data-merchant="con-ag-n1"');
    expect(overview).toContain('data-merchant="con-ag-n2"');
    expect(overview).not.toContain("con-ag-s1");

    const moved = await client.post("/console/merchant", { _csrf: csrf, merchant: "con-ag-n2", return_to: "/console/today" });
    expect([moved.status, moved.headers.get("location")]).toEqual([303, "/console/today"]);
    expect(await html(await client.get("/console/today"))).toContain("con-ag-north › con-ag-n2");
    // Another agency's merchant is not found, and the view stays where it was.
    await html(await client.post("/console/merchant", { _csrf: csrf, merchant: "con-ag-s1" }), 404);
    expect(await html(await client.get("/console/queue"))).toContain("con-ag-north › con-ag-n2");
  });

  it("a merchant key signs in to its merchant only; an agency without merchants is told so", async () => {
    const { merchantKeys } = await agency("con-ag-west", ["con-ag-w1"]);
    const client = new ConsoleClient();
    await client.session("con-ag-w1", merchantKeys[0] ?? "", "Noor");
    await html(await client.get("/console/agency"), 404);
    const refused = new ConsoleClient();
    expect((await refused.signIn("con-ag-west", merchantKeys[0] ?? "", "Noor")).status).toBe(401);
    const empty = await agency("con-ag-empty", []);
    const none = new ConsoleClient();
    expect(await html(await none.signIn("con-ag-empty", empty.key, "Ines"), 400)).toContain("no merchants yet");
  });

  it("lists the agency's rule templates and which merchants inherit each, marking one a version skipped", async () => {
    const { key, merchantKeys } = await agency("con-ag-tpl", ["con-ag-t1", "con-ag-t2"]);
    expect((await call("PUT", "/v1/agencies/con-ag-tpl/rule-templates/standard", { token: key, body: { rules: exampleRules() } })).status).toBe(200);
    expect((await call("PUT", "/v1/agencies/con-ag-tpl/rule-templates/unused", { token: key, body: { rules: exampleRules() } })).status).toBe(200);
    for (const m of ["con-ag-t1", "con-ag-t2"]) expect((await call("PUT", `/v1/tenants/${m}/rule-template`, { token: key, body: { template_id: "standard" } })).status).toBe(200);
    // t2 gets a contact, so the template's free-text names no longer resolve for it: v2 skips it.
    expect((await call("PUT", "/v1/tenants/con-ag-t2/contacts/ops@t2.example", { token: merchantKeys[1], body: { name: "Ops", channels: [{ type: "email", address: "ops@t2.example" }] } })).status).toBe(200);
    const v2 = exampleRules();
    v2.steps.payment.sla = "P3D";
    expect((await call("PUT", "/v1/agencies/con-ag-tpl/rule-templates/standard", { token: key, body: { rules: v2 } })).status).toBe(200);

    const client = new ConsoleClient();
    await client.session("con-ag-tpl", key, "Ines");
    const page = await html(await client.get("/console/agency"));
    const row = /<tr data-template="standard">([\s\S]*?)<\/tr>/.exec(page)?.[1] ?? "";
    expect(row).toContain("v2");
    expect(row).toMatch(/class="badge" data-inherits="con-ag-t1"/);
    expect(row).toMatch(/class="badge b-red" data-inherits="con-ag-t2"[^>]*>Shop con-ag-t2 · v1, skipped v2/);
    expect(/<tr data-template="unused">([\s\S]*?)<\/tr>/.exec(page)?.[1]).toContain("no merchant yet");
  });
});
