import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createTenant, expectError, json, keyFor } from "../../helpers/http";
import { contact, putContact } from "../../helpers/notify";
import { exampleRules } from "../../helpers/ownership";
import { putOwnership } from "../../helpers/ownership-api";

const SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX";
const PD_KEY = "R0UTINGKEY0123456789abcdef012345";
const WH_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("contacts", () => {
  it("PUT stores channels sealed; GET and list show fingerprints, never a URL, key or secret", async () => {
    const key = await createTenant("ct-happy");
    const res = await putContact("ct-happy", "ops@acme.example", {
      name: "Ops",
      channels: [
        { type: "slack", webhook_url: SLACK_URL },
        { type: "pagerduty", routing_key: PD_KEY },
        { type: "email", address: "ops@acme.example" },
        { type: "webhook", url: "https://hooks.acme.example/handoff?token=abc", secret: WH_SECRET },
      ],
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const s of [SLACK_URL, PD_KEY, WH_SECRET, "token=abc", "XXXXSECRETXXXX"]) expect(text).not.toContain(s);
    const got = await json<{ contact: { channels: Record<string, string>[] } }>(await call("GET", "/v1/tenants/ct-happy/contacts/ops%40acme.example", { token: key }));
    expect(got.contact.channels).toEqual([
      { type: "slack", webhook_url: expect.stringMatching(/^sha256:[0-9a-f]{8}$/), host: "hooks.slack.com" },
      { type: "pagerduty", routing_key: expect.stringMatching(/^sha256:[0-9a-f]{8}$/), events_url: "https://events.pagerduty.com/v2/enqueue" },
      { type: "email", address: "ops@acme.example" },
      { type: "webhook", url: expect.stringMatching(/^sha256:/), host: "hooks.acme.example", secret: expect.stringMatching(/^sha256:/) },
    ]);
    const list = await json<{ contacts: { contact_id: string }[] }>(await call("GET", "/v1/tenants/ct-happy/contacts", { token: key }));
    expect(list.contacts.map((c) => c.contact_id)).toEqual(["ops@acme.example"]);
    expect(JSON.stringify(list)).not.toContain(PD_KEY);
  });

  it("bad channels are refused naming the field; an operator key cannot write (merchant_admin configures, issue 15); another tenant's key gets 404", async () => {
    const key = await createTenant("ct-err");
    const other = await createTenant("ct-err-other");
    const bad = await expectError(await putContact("ct-err", "x", { name: "X", channels: [{ type: "webhook", url: "https://x.example", secret: "nope" }] }), 400, "validation_failed");
    expect(JSON.stringify(bad.details)).toContain("channels.0.secret");
    await expectError(await putContact("ct-err", "x", { name: "X", channels: [{ type: "fax", number: "1" }] }), 400, "validation_failed");
    // Credentials in a channel URL would be dropped by fetch without a word: refused at the PUT, naming the field.
    const creds = await expectError(await putContact("ct-err", "x", { name: "X", channels: [{ type: "slack", webhook_url: "https://bot:pw@hooks.example/x" }] }), 400, "validation_failed");
    expect(creds.details).toEqual([expect.objectContaining({ path: "channels.0.webhook_url", message: expect.stringContaining("must not carry credentials; they would not be sent") })]);
    const operator = await keyFor("ct-err", "floor", "operator");
    await expectError(await call("PUT", "/v1/tenants/ct-err/contacts/x", { token: operator, body: { name: "X" } }), 403, "forbidden_scope");
    await expectError(await call("DELETE", "/v1/tenants/ct-err/contacts/x", { token: operator }), 403, "forbidden_scope");
    await contact("ct-err", "x", { name: "X", channels: [] });
    // Who changed the people notices reach is on the admin audit (issue 15), channel types only.
    const audit = await json<{ entries: { type: string; data: Record<string, unknown> }[]; chain_valid: boolean }>(await call("GET", "/v1/tenants/ct-err/admin-audit", { token: key }));
    expect(audit.entries.at(-1)).toMatchObject({ type: "contact.put", data: { contact_id: "x", name: "X", channels: [] } });
    expect(audit.chain_valid).toBe(true);
    await expectError(await call("GET", "/v1/tenants/ct-err/contacts/x", { token: other }), 404, "not_found");
    await expectError(await call("GET", "/v1/tenants/ct-err/contacts/nobody", { token: key }), 404, "not_found");
    await expectError(await putContact("no-such-tenant", "x", { name: "X" }), 404, "tenant_not_found");
  });
});

describe("rotations", () => {
  it("PUT resolves who is on call now; members and overrides must be contacts; names are one namespace", async () => {
    const key = await createTenant("rot-happy");
    await contact("rot-happy", "ana", { name: "Ana", channels: [{ type: "email", address: "ana@acme.example" }] });
    await contact("rot-happy", "ben", { name: "Ben", channels: [{ type: "email", address: "ben@acme.example" }] });
    const now = Date.now();
    const starts = new Date(now - 7 * 86_400_000 - 1000).toISOString();
    const res = await call("PUT", "/v1/tenants/rot-happy/rotations/acme-oncall", { token: ADMIN_TOKEN, body: { members: ["ana", "ben"], shift: "P7D", starts_at: starts } });
    expect(res.status).toBe(200);
    // One full shift has passed since the start: the second member's turn.
    expect((await json<{ rotation: { on_call_now: string } }>(res)).rotation.on_call_now).toBe("ben");
    const withOverride = await call("PUT", "/v1/tenants/rot-happy/rotations/acme-oncall", {
      token: ADMIN_TOKEN,
      body: { members: ["ana", "ben"], shift: "P7D", starts_at: starts, overrides: [{ contact_id: "ana", from: new Date(now - 60_000).toISOString(), to: new Date(now + 3_600_000).toISOString() }] },
    });
    expect((await json<{ rotation: { on_call_now: string } }>(withOverride)).rotation.on_call_now).toBe("ana");
    const list = await json<{ rotations: { rotation_id: string }[] }>(await call("GET", "/v1/tenants/rot-happy/rotations", { token: key }));
    expect(list.rotations.map((r) => r.rotation_id)).toEqual(["acme-oncall"]);

    const missing = await expectError(await call("PUT", "/v1/tenants/rot-happy/rotations/r2", { token: ADMIN_TOKEN, body: { members: ["ana", "zed"], shift: "P1D", starts_at: starts } }), 400, "validation_failed");
    expect(missing.message).toContain("members.1 'zed'");
    await expectError(await call("PUT", "/v1/tenants/rot-happy/rotations/r3", { token: ADMIN_TOKEN, body: { members: ["ana"], shift: "P1M", starts_at: starts } }), 400, "validation_failed");
    await expectError(await putContact("rot-happy", "acme-oncall", { name: "clash" }), 409, "conflict");
    await expectError(await call("DELETE", "/v1/tenants/rot-happy/contacts/ana", { token: ADMIN_TOKEN }), 409, "conflict");
    expect((await call("DELETE", "/v1/tenants/rot-happy/rotations/acme-oncall", { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await call("DELETE", "/v1/tenants/rot-happy/contacts/ana", { token: ADMIN_TOKEN })).status).toBe(200);
  });
});

describe("ownership rules name contacts or rotations", () => {
  it("a tenant without contacts keeps free-text names (legacy); once it has any, an unknown name is a 400 naming the field", async () => {
    await createTenant("own-names");
    await putOwnership("own-names"); // no contacts yet: accepted as before
    const rules = exampleRules();
    const names = new Set<string>();
    for (const s of Object.values(rules.steps)) [s.owner, s.backup, s.on_call, s.exception_path?.contact_id].forEach((n) => n && names.add(n));
    const all = [{ type: "email", address: "x@acme.example" }, { type: "slack", webhook_url: SLACK_URL }, { type: "pagerduty", routing_key: PD_KEY }];
    for (const n of names) if (n !== "lead@agency.example") await contact("own-names", n, { name: n, channels: all });
    const err = await expectError(await call("PUT", "/v1/tenants/own-names/ownership", { token: ADMIN_TOKEN, body: rules }), 400, "validation_failed");
    expect(err.message).toMatch(/^steps\.routing\.backup: 'lead@agency\.example' is neither a contact nor a rotation/);
    expect(err.details).toEqual([{ path: "steps.routing.backup", message: expect.any(String) }]);
    await contact("own-names", "lead@agency.example", { name: "Lead", channels: [] });
    await putOwnership("own-names", rules);
  });
});
