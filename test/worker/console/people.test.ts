import { describe, expect, it } from "vitest";
import { consumerUrl, freshScenario, script } from "../../helpers/consumer";
import { handoffTenant } from "../../helpers/handoff";
import { ADMIN_TOKEN, call } from "../../helpers/http";
import { contact, drainNotifier, withNotifier } from "../../helpers/notify";
import { ConsoleClient, html } from "./helpers";
import { rejectedOrder } from "./seed";

describe("the console shows who tasks reach", () => {
  it("People lists contacts (fingerprints only) and rotations with who is on call; a task page lists who was notified, when and how", async () => {
    const slack = freshScenario("slack-console");
    await script(slack, [], { status: 200, body: "ok" });
    const r = await rejectedOrder("con-people", "pp-1");
    const hook = `${consumerUrl(slack)}/services/T0/B0/SECRETPART`;
    await contact("con-people", "routing@agency.example", { name: "Routing desk", channels: [{ type: "slack", webhook_url: hook }] });
    await contact("con-people", "ana", { name: "Ana <script>", channels: [{ type: "email", address: "ana@acme.example" }] });
    const rot = await call("PUT", "/v1/tenants/con-people/rotations/agency-oncall", {
      token: ADMIN_TOKEN,
      body: { members: ["ana", "routing@agency.example"], shift: "P7D", starts_at: new Date(Date.now() - 3_600_000).toISOString() },
    });
    expect(rot.status).toBe(200);

    // The task was opened before its owner became a contact: the notifier says it reached nobody.
    await drainNotifier("con-people");
    const client = new ConsoleClient();
    await client.session("con-people", r.key, "alice");
    const people = await html(await client.get("/console/people"));
    expect(people).toContain("Routing desk");
    expect(people).toContain("agency-oncall");
    expect(people).toMatch(/On call now[\s\S]*ana/);
    expect(people).toContain("Ana &lt;script&gt;");
    expect(people).not.toContain("SECRETPART");
    expect(people).toMatch(/sha256:[0-9a-f]{8}/);

    const page = await html(await client.get(`/console/tasks/${r.task.task_id}`));
    expect(page).toContain("Notified");
    expect(page).toContain("unreachable");
    expect(page).toContain("&#39;routing@agency.example&#39; is neither a contact nor a rotation");
  });

  it("the Notified card shows each attempt as the audit trail holds it, with its place on the verified chain", async () => {
    const tenant = "con-notified";
    const wms = freshScenario("wms");
    const slack = freshScenario("slack-notified");
    const key = await handoffTenant(tenant, wms, freshScenario("carrier"));
    await script(wms, [{ status: 422, body: '{"error":"unknown SKU MUG-01"}' }]);
    await script(slack, [{ status: 500 }], { status: 200, body: "ok" });
    await contact(tenant, "routing@agency.example", { name: "Routing desk", channels: [{ type: "slack", webhook_url: consumerUrl(slack) }] });
    const r = await rejectedOrder(tenant, "pn-1", { existingKey: key });
    await drainNotifier(tenant);
    // The 500 is retried after its backoff: run the notifier again once that is due.
    await withNotifier(tenant, (o) => {
      o.clock = () => Date.now() + 10 * 60_000;
    });
    await drainNotifier(tenant);

    const client = new ConsoleClient();
    await client.session(tenant, key, "alice");
    const page = await html(await client.get(`/console/tasks/${r.task.task_id}`));
    expect(page).toContain("✓ on the audit trail, chain verified");
    expect(page).toMatch(/#1 HTTP 500 → retry<div class="muted mono">seq 1 · [0-9a-f]{8}<\/div>/);
    expect(page).toMatch(/#2 HTTP 200 → delivered<div class="muted mono">seq 2 · [0-9a-f]{8}<\/div>/);
    expect(page).not.toContain("not yet on the audit trail");
  });
});
