import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { standardHeaders } from "../../../cli/sign";
import { freshScenario } from "../../helpers/consumer";
import { handoffTenant } from "../../helpers/handoff";
import { ADMIN_TOKEN, call, expectError, json, SECRETS } from "../../helpers/http";
import { exampleRules } from "../../helpers/ownership";

interface Issued {
  api_key: string;
  prefix: string;
  scope: string;
  name: string;
  expires_at: string | null;
}

async function issue(tenant: string, token: string, body: Record<string, unknown>): Promise<Issued> {
  const res = await call("POST", `/v1/tenants/${tenant}/api-keys`, { token, body });
  expect(res.status).toBe(201);
  return json<Issued>(res);
}

describe("agencies own merchants (issue 15)", () => {
  it("creates an agency with the admin token, merchants with its key, and lists them", async () => {
    const res = await call("POST", "/v1/agencies", { token: ADMIN_TOKEN, body: { id: "ag-north", name: "Northwind Agency" } });
    expect(res.status).toBe(201);
    const agency = await json<{ agency: { id: string; name: string }; api_key: string; prefix: string; scope: string }>(res);
    expect(agency).toMatchObject({ agency: { id: "ag-north", name: "Northwind Agency" }, scope: "agency_admin" });
    expect(agency.api_key).toMatch(/^hka_ag-north_/);
    expect(agency.api_key.startsWith(agency.prefix)).toBe(true);
    await expectError(await call("POST", "/v1/agencies", { token: ADMIN_TOKEN, body: { id: "ag-north", name: "again" } }), 409, "conflict");

    const m = await call("POST", "/v1/agencies/ag-north/merchants", { token: agency.api_key, body: { id: "ag-shop-1", name: "Shop One", default_owner: "ops@shop-one.example" } });
    expect(m.status).toBe(201);
    const merchant = await json<{ tenant: Record<string, unknown>; api_key: string; scope: string }>(m);
    expect(merchant).toMatchObject({ tenant: { id: "ag-shop-1", name: "Shop One", agency: "ag-north", default_owner: "ops@shop-one.example" }, scope: "merchant_admin" });
    expect(merchant.api_key).toMatch(/^hk_ag-shop-1_/);
    expect((await call("POST", "/v1/agencies/ag-north/merchants", { token: agency.api_key, body: { id: "ag-shop-2", name: "Shop Two", default_owner: "ops@example.com" } })).status).toBe(201);
    await expectError(await call("POST", "/v1/agencies/ag-north/merchants", { token: agency.api_key, body: { id: "ag-shop-1", name: "dup", default_owner: "ops@example.com" } }), 409, "conflict");

    const list = await json<{ merchants: { id: string; agency: string }[] }>(await call("GET", "/v1/agencies/ag-north/merchants", { token: agency.api_key }));
    expect(list.merchants.map((t) => t.id)).toEqual(["ag-shop-1", "ag-shop-2"]);
    // The merchant's own key is not the agency's: 403 on the agency's routes.
    await expectError(await call("GET", "/v1/agencies/ag-north/merchants", { token: merchant.api_key }), 403, "forbidden_scope");
    await expectError(await call("POST", "/v1/agencies/ag-nobody/merchants", { token: ADMIN_TOKEN, body: { id: "ag-orphan", name: "x", default_owner: "ops@example.com" } }), 404, "not_found");
  });

  it("an agency key is merchant_admin on each of its merchants, and sees nothing of another agency's", async () => {
    const a = await json<{ api_key: string }>(await call("POST", "/v1/agencies", { token: ADMIN_TOKEN, body: { id: "ag-east", name: "East" } }));
    const b = await json<{ api_key: string }>(await call("POST", "/v1/agencies", { token: ADMIN_TOKEN, body: { id: "ag-west", name: "West" } }));
    await call("POST", "/v1/agencies/ag-east/merchants", { token: a.api_key, body: { id: "ag-east-1", name: "E1", default_owner: "ops@example.com" } });
    await call("POST", "/v1/agencies/ag-west/merchants", { token: b.api_key, body: { id: "ag-west-1", name: "W1", default_owner: "ops@example.com" } });

    expect((await call("PUT", "/v1/tenants/ag-east-1/sources/shop", { token: a.api_key, body: { kind: "shopify", secret: SECRETS.shopify } })).status).toBe(200);
    expect((await call("PUT", "/v1/tenants/ag-east-1/ownership", { token: a.api_key, body: exampleRules() })).status).toBe(200);
    expect((await call("GET", "/v1/tenants/ag-east-1/tasks", { token: a.api_key })).status).toBe(200);
    const minted = await issue("ag-east-1", a.api_key, { name: "east ops", scope: "operator" });
    expect(minted.scope).toBe("operator");
    // A merchant key cannot be minted above merchant_admin.
    await expectError(await call("POST", "/v1/tenants/ag-east-1/api-keys", { token: a.api_key, body: { name: "x", scope: "agency_admin" } }), 400, "validation_failed");

    await expectError(await call("GET", "/v1/tenants/ag-west-1/tasks", { token: a.api_key }), 404, "not_found");
    await expectError(await call("PUT", "/v1/tenants/ag-west-1/sources/shop", { token: a.api_key, body: { kind: "shopify", secret: SECRETS.shopify } }), 404, "not_found");
    await expectError(await call("GET", "/v1/agencies/ag-west/merchants", { token: a.api_key }), 404, "not_found");
  });
});

describe("scoped keys: issue, list, revoke, expire (issue 15)", () => {
  it("lists keys without their secrets; a revoked key gets 401 at once here, an expired one 401 on time", async () => {
    const admin = (await json<{ api_key: string }>(await call("POST", "/v1/tenants", { token: ADMIN_TOKEN, body: { id: "keys-co", name: "Keys Co", default_owner: "ops@example.com" } }))).api_key;
    const reader = await issue("keys-co", admin, { name: "looker", scope: "read" });
    const ops = await issue("keys-co", admin, { name: "alice", scope: "operator", expires_at: "2099-01-01T00:00:00+02:00" });
    expect(ops).toMatchObject({ name: "alice", scope: "operator", expires_at: "2098-12-31T22:00:00.000Z" });
    expect(ops.prefix).toMatch(/^hk_keys-co_[A-Za-z0-9_-]{8}$/);

    const listed = await call("GET", "/v1/tenants/keys-co/api-keys", { token: admin });
    const text = await listed.text();
    for (const k of [admin, reader.api_key, ops.api_key]) expect(text).not.toContain(k);
    const keys = (JSON.parse(text) as { api_keys: { prefix: string; name: string; scope: string; active: boolean; created_by: string | null }[] }).api_keys;
    expect(keys.map((k) => [k.name, k.scope, k.active]).sort()).toEqual([
      ["alice", "operator", true],
      ["first key", "merchant_admin", true],
      ["looker", "read", true],
    ]);
    expect(keys.find((k) => k.name === "alice")?.created_by).toBe("first key");
    expect(keys.find((k) => k.name === "first key")?.created_by).toBe("admin");

    // Read is GETs only; a key below a route's scope is 403, never 404 on its own tenant.
    expect((await call("GET", "/v1/tenants/keys-co/tasks", { token: reader.api_key })).status).toBe(200);
    await expectError(await call("POST", "/v1/tenants/keys-co/tasks/tsk_x/claim", { token: reader.api_key, body: {} }), 403, "forbidden_scope");
    await expectError(await call("GET", "/v1/tenants/keys-co/api-keys", { token: ops.api_key }), 403, "forbidden_scope");

    const del = await call("DELETE", `/v1/tenants/keys-co/api-keys/${reader.prefix}`, { token: admin });
    expect(del.status).toBe(200);
    expect((await json<{ api_key: { active: boolean; revoked_at: string | null } }>(del)).api_key).toMatchObject({ active: false });
    await expectError(await call("GET", "/v1/tenants/keys-co/tasks", { token: reader.api_key }), 401, "unauthorized");
    await expectError(await call("DELETE", `/v1/tenants/keys-co/api-keys/${reader.prefix}`, { token: admin }), 404, "not_found");

    await expectError(await call("POST", "/v1/tenants/keys-co/api-keys", { token: admin, body: { name: "late", scope: "read", expires_at: "2020-01-01T00:00:00Z" } }), 400, "validation_failed");
    const brief = await issue("keys-co", admin, { name: "temp", scope: "read", expires_at: new Date(Date.now() + 1200).toISOString() });
    expect((await call("GET", "/v1/tenants/keys-co/tasks", { token: brief.api_key })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1300));
    const expired = await expectError(await call("GET", "/v1/tenants/keys-co/tasks", { token: brief.api_key }), 401, "unauthorized");
    expect(expired.message).toContain("expired");
  });
});

describe("a name on every action (issue 15)", () => {
  it("records the acting key's name on a claim, whatever `by` the body says; admin changes go on a verified chain", async () => {
    const admin = await handoffTenant("named-co", freshScenario("wms"), freshScenario("carrier"));
    const bad = JSON.stringify({ type: "shipment.shipped", order_id: "n-1", occurred_at: "last tuesday", data: {} });
    await call("POST", "/v1/tenants/named-co/webhooks/carrier", { raw: bad, headers: await standardHeaders({ body: bad, secret: SECRETS.standard, id: "msg_named_1" }) });
    const tasks = await json<{ tasks: { task_id: string }[] }>(await call("GET", "/v1/tenants/named-co/tasks?type=schema_rejection", { token: admin }));
    const id = tasks.tasks[0]?.task_id ?? "";
    const alice = await issue("named-co", admin, { name: "alice@agency.example", scope: "operator" });
    const claimed = await call("POST", `/v1/tenants/named-co/tasks/${id}/claim`, { token: alice.api_key, body: { by: "mallory" } });
    expect(claimed.status).toBe(200);
    expect((await json<{ task: { claimed_by: string } }>(claimed)).task.claimed_by).toBe("alice@agency.example");
    // `by` may be left out altogether.
    const resolved = await call("POST", `/v1/tenants/named-co/tasks/${id}/resolve`, { token: alice.api_key, body: { action: "close", resolution: "sender fixed", justification: "confirmed with the carrier" } });
    expect((await json<{ task: { resolved_by: string } }>(resolved)).task.resolved_by).toBe("alice@agency.example");

    expect((await call("DELETE", `/v1/tenants/named-co/api-keys/${alice.prefix}`, { token: admin })).status).toBe(200);
    const audit = await json<{ entries: { seq: number; type: string; actor: string; data: Record<string, unknown> }[]; chain_valid: boolean }>(
      await call("GET", "/v1/tenants/named-co/admin-audit", { token: admin }),
    );
    expect(audit.chain_valid).toBe(true);
    expect(audit.entries.map((e) => [e.type, e.actor])).toEqual([
      ["tenant.created", "admin"],
      ["key.issued", "admin"],
      ["source.put", "admin"],
      ["source.put", "admin"],
      ["source.put", "admin"],
      ["source.put", "admin"],
      ["rules.put", "admin"],
      ["key.issued", "first key"],
      ["key.revoked", "first key"],
    ]);
    expect(audit.entries.at(-1)?.data).toMatchObject({ prefix: alice.prefix, name: "alice@agency.example" });
    // The analytics exports carry the same entries, for the notebooks.
    const exported = await call("GET", "/v1/tenants/named-co/exports/admin.ndjson", { token: admin });
    expect(exported.headers.get("x-export-rows")).toBe(String(audit.entries.length));
    const rows = (await exported.text()).trim().split("\n").map((l) => JSON.parse(l) as { seq: number; type: string; actor: string; via: string });
    expect(rows.map((r) => [r.seq, r.type, r.actor])).toEqual(audit.entries.map((e) => [e.seq, e.type, e.actor]));
    expect(rows.at(-1)?.via).toMatch(/^hk_named-co_/);
    // The database refuses rewrites.
    await expect(env.DB.prepare("UPDATE admin_audit SET actor = 'x' WHERE tenant_id = 'named-co'").run()).rejects.toThrow(/append-only/);
  });
});
