import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createTenant, expectError, json, keyFor, seedTenant } from "../../helpers/http";

const HOUR = 3_600_000;

function body(over: Record<string, unknown> = {}) {
  const t0 = Date.now();
  return { id: "sale", name: "Sale", starts_at: new Date(t0 + HOUR).toISOString(), ends_at: new Date(t0 + 25 * HOUR).toISOString(), expected: { shop: { per_hour: 50 } }, signed_off_by: "Ana", ...over };
}

const post = (tenant: string, b: unknown, token = ADMIN_TOKEN) => call("POST", `/v1/tenants/${tenant}/campaigns`, { token, body: b });

describe("campaign pre-flight refuses what it cannot honour", () => {
  it("400s: ends before it starts, already over, per_hour not positive, unknown source, unknown field", async () => {
    const key = await seedTenant("camp-400");
    const t0 = Date.now();
    const bad = async (b: unknown, path: string) => {
      const e = await expectError(await post("camp-400", b), 400, "validation_failed");
      expect(JSON.stringify(e.details)).toContain(path);
    };
    await bad(body({ ends_at: new Date(t0).toISOString(), starts_at: new Date(t0 + HOUR).toISOString() }), "ends_at");
    await bad(body({ starts_at: new Date(t0 - 5 * HOUR).toISOString(), ends_at: new Date(t0 - HOUR).toISOString() }), "ends_at");
    await bad(body({ expected: { shop: { per_hour: 0 } } }), "expected");
    await bad(body({ expected: { shop: { per_hour: -1 } } }), "expected");
    await bad(body({ expected: { shop: { per_hour: 10 }, tiktok: { per_hour: 5 } } }), "expected.tiktok");
    await bad({ ...body(), budget: 1000 }, "budget");
    const list = await json<{ campaigns: unknown[] }>(await call("GET", "/v1/tenants/camp-400/campaigns", { token: key }));
    expect(list.campaigns).toEqual([]);
  });

  it("409s: the same id with a different body, and a second live campaign for the same source and time", async () => {
    await seedTenant("camp-409");
    const first = body();
    expect((await post("camp-409", first)).status).toBe(201);
    const e = await expectError(await post("camp-409", { ...first, expected: { shop: { per_hour: 60 } } }), 409, "conflict");
    expect(e.details).toMatchObject({ stored: { expected: { shop: { per_hour: 50 } } } });
    const clash = await expectError(await post("camp-409", body({ id: "flash", starts_at: new Date(Date.parse(first.starts_at) + 2 * HOUR).toISOString() })), 409, "campaign_overlap");
    expect(clash.details).toEqual({ campaign: "sale", source: "shop" });
    // Another source at the same time is fine, and so is the same source once the first is cancelled.
    expect((await post("camp-409", body({ id: "pay", expected: { stripe: { per_hour: 40 } } }))).status).toBe(201);
    expect((await call("POST", "/v1/tenants/camp-409/campaigns/sale/cancel", { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await post("camp-409", body({ id: "flash" }))).status).toBe(201);
  });

  it("404s and scopes: unknown campaign or tenant, another tenant's key, a read key cannot sign off or cancel", async () => {
    const key = await seedTenant("camp-scope");
    const other = await createTenant("camp-scope-other");
    const reader = await keyFor("camp-scope", "analyst", "read");
    await expectError(await call("GET", "/v1/tenants/camp-scope/campaigns/nope", { token: key }), 404, "not_found");
    await expectError(await call("POST", "/v1/tenants/camp-scope/campaigns/nope/cancel", { token: ADMIN_TOKEN }), 404, "not_found");
    await expectError(await post("no-such-tenant", body()), 404, "tenant_not_found");
    await expectError(await post("camp-scope", body(), reader), 403, "forbidden_scope");
    await expectError(await post("camp-scope", body(), other), 404, "not_found");
    await expectError(await call("POST", "/v1/tenants/camp-scope/campaigns", { body: body() }), 401, "unauthorized");
    expect((await post("camp-scope", body())).status).toBe(201);
    await expectError(await call("POST", "/v1/tenants/camp-scope/campaigns/sale/cancel", { token: reader }), 403, "forbidden_scope");
    expect((await call("GET", "/v1/tenants/camp-scope/campaigns/sale", { token: reader })).status).toBe(200);
    await expectError(await call("GET", "/v1/tenants/camp-scope/campaigns/bad:id", { token: key }), 400, "validation_failed");
  });
});
