import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createTenant, expectError, json, SECRETS } from "../../helpers/http";

describe("admin: tenants, keys and sources", () => {
  it("creates a tenant and shows its key once, storing only a hash", async () => {
    const res = await call("POST", "/v1/tenants", { token: ADMIN_TOKEN, body: { id: "acme", name: "Acme", default_owner: "ops@acme.example" } });
    expect(res.status).toBe(201);
    const body = await json<{ tenant: { id: string; name: string; created_at: string }; api_key: string }>(res);
    expect(body.tenant).toMatchObject({ id: "acme", name: "Acme", default_owner: "ops@acme.example" });
    expect(body.api_key).toMatch(/^hk_acme_/);
    const stored = await env.DB.prepare("SELECT key_hash, prefix FROM api_keys WHERE tenant_id = 'acme'").all<{ key_hash: string; prefix: string }>();
    expect(stored.results).toHaveLength(1);
    expect(JSON.stringify(stored.results)).not.toContain(body.api_key);
    expect(stored.results[0]?.key_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a duplicate tenant with 409", async () => {
    await createTenant("dup-co");
    await expectError(await call("POST", "/v1/tenants", { token: ADMIN_TOKEN, body: { id: "dup-co", name: "x", default_owner: "ops@x.example" } }), 409, "conflict");
  });

  it("names the failing field when validation fails", async () => {
    const err = await expectError(
      await call("POST", "/v1/tenants", { token: ADMIN_TOKEN, body: { id: "Bad Id!", name: "" } }),
      400,
      "validation_failed",
    );
    expect(JSON.stringify(err.details)).toContain("id");
    expect(JSON.stringify(err.details)).toContain("name");
  });

  it("answers malformed JSON with invalid_json", async () => {
    await expectError(
      await call("POST", "/v1/tenants", { token: ADMIN_TOKEN, raw: "{nope", headers: { "content-type": "application/json" } }),
      400,
      "invalid_json",
    );
  });

  it("stores a source secret sealed, never echoing it", async () => {
    await createTenant("sealed");
    const res = await call("PUT", "/v1/tenants/sealed/sources/shop", { token: ADMIN_TOKEN, body: { kind: "shopify", secret: SECRETS.shopify } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(SECRETS.shopify);
    expect(JSON.parse(text)).toMatchObject({ source: { tenant: "sealed", name: "shop", kind: "shopify" } });
    const row = await env.DB.prepare("SELECT * FROM sources WHERE tenant_id = 'sealed'").first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain(SECRETS.shopify);
  });

  it("refuses a Standard Webhooks secret that is not whsec_ base64", async () => {
    await createTenant("badsecret");
    const err = await expectError(
      await call("PUT", "/v1/tenants/badsecret/sources/wms", { token: ADMIN_TOKEN, body: { kind: "standard", secret: "not base64 !!!" } }),
      400,
      "validation_failed",
    );
    expect(JSON.stringify(err.details)).toContain("secret");
  });

  it("404s a source for an unknown tenant", async () => {
    await expectError(
      await call("PUT", "/v1/tenants/ghost/sources/shop", { token: ADMIN_TOKEN, body: { kind: "shopify", secret: SECRETS.shopify } }),
      404,
      "tenant_not_found",
    );
  });

  it("issues additional keys that work for reads", async () => {
    await createTenant("rotate");
    const res = await call("POST", "/v1/tenants/rotate/api-keys", { token: ADMIN_TOKEN, body: { name: "reporting", scope: "read" } });
    expect(res.status).toBe(201);
    const { api_key } = await json<{ api_key: string }>(res);
    const read = await call("GET", "/v1/tenants/rotate/rejections", { token: api_key });
    expect(read.status).toBe(200);
  });
});

describe("admin auth (security)", () => {
  it("401s without a token and with a wrong one", async () => {
    await expectError(await call("POST", "/v1/tenants", { body: { id: "x1", name: "x", default_owner: "ops@example.com" } }), 401, "unauthorized");
    await expectError(await call("POST", "/v1/tenants", { token: "nope", body: { id: "x1", name: "x", default_owner: "ops@example.com" } }), 401, "unauthorized");
    await expectError(await call("PUT", "/v1/tenants/x1/sources/s", { token: "nope", body: { kind: "shopify", secret: "abcdefgh" } }), 401, "unauthorized");
  });

  it("does not accept a tenant API key as admin: a live key outside its scope is 403", async () => {
    const key = await createTenant("notadmin");
    await expectError(await call("POST", "/v1/tenants", { token: key, body: { id: "x2", name: "x", default_owner: "ops@example.com" } }), 403, "forbidden_scope");
  });

  it("serves an OpenAPI document that names the contract's paths", async () => {
    const res = await call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const doc = await json<{ paths: Record<string, unknown> }>(res);
    for (const p of [
      "/v1/tenants",
      "/v1/tenants/{tenant}/sources/{source}",
      "/v1/tenants/{tenant}/webhooks/{source}",
      "/v1/tenants/{tenant}/orders/{order_id}",
      "/v1/tenants/{tenant}/orders/{order_id}/audit",
      "/v1/tenants/{tenant}/rejections",
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
  });

  it("answers unknown routes with the error envelope", async () => {
    await expectError(await call("GET", "/nope"), 404, "not_found");
  });
});
