import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, createTenant, expectError, json, keyFor, SECRETS } from "../../helpers/http";

describe("every tenant has a default owner", () => {
  it("refuses a new tenant without one, naming the field", async () => {
    const err = await expectError(await call("POST", "/v1/tenants", { token: ADMIN_TOKEN, body: { id: "ownerless", name: "No owner" } }), 400, "validation_failed");
    expect(JSON.stringify(err.details)).toContain("default_owner");
    await expectError(await call("POST", "/v1/tenants", { token: ADMIN_TOKEN, body: { id: "blank-owner", name: "x", default_owner: "  " } }), 400, "validation_failed");
  });

  it("gives a tenant created before default owners one through the admin call", async () => {
    // A row as migration 0011 leaves an older tenant: default_owner NULL.
    await env.DB.prepare("INSERT INTO tenants (id, name) VALUES ('legacy', 'Legacy')").run();
    const res = await call("PUT", "/v1/tenants/legacy/default-owner", { token: ADMIN_TOKEN, body: { default_owner: "ops@legacy.example" } });
    expect(res.status).toBe(200);
    expect((await json<{ tenant: unknown }>(res)).tenant).toMatchObject({ id: "legacy", default_owner: "ops@legacy.example" });
    const row = await env.DB.prepare("SELECT default_owner FROM tenants WHERE id = 'legacy'").first<{ default_owner: string }>();
    expect(row?.default_owner).toBe("ops@legacy.example");
  });

  it("answers the admin call with 404 for an unknown tenant, 400 for a bad body, 403 for a key below merchant_admin", async () => {
    await expectError(await call("PUT", "/v1/tenants/ghost-co/default-owner", { token: ADMIN_TOKEN, body: { default_owner: "x@y.example" } }), 404, "tenant_not_found");
    const key = await createTenant("owned");
    await expectError(await call("PUT", "/v1/tenants/owned/default-owner", { token: ADMIN_TOKEN, body: { default_owner: "" } }), 400, "validation_failed");
    const operator = await keyFor("owned", "floor", "operator");
    await expectError(await call("PUT", "/v1/tenants/owned/default-owner", { token: operator, body: { default_owner: "me@x.example" } }), 403, "forbidden_scope");
    // The merchant's own merchant_admin key sets it (issue 15), and the change is on the admin audit.
    const set = await json<{ tenant: { default_owner: string } }>(await call("PUT", "/v1/tenants/owned/default-owner", { token: key, body: { default_owner: "me@x.example" } }));
    expect(set.tenant.default_owner).toBe("me@x.example");
    const audit = await json<{ entries: { type: string; actor: string }[] }>(await call("GET", "/v1/tenants/owned/admin-audit", { token: key }));
    expect(audit.entries.at(-1)?.type).toBe("default_owner.put");
  });
});

describe("a source can be watched for silence", () => {
  it("stores watch.silence_after, keeps it when a PUT omits it, clears it with null", async () => {
    await createTenant("watched");
    const put = (body: Record<string, unknown>) => call("PUT", "/v1/tenants/watched/sources/shop", { token: ADMIN_TOKEN, body: { kind: "shopify", secret: SECRETS.shopify, ...body } });
    const first = await json<{ source: { watch: unknown } }>(await put({ watch: { silence_after: "PT2H" } }));
    expect(first.source.watch).toEqual({ silence_after: "PT2H" });
    expect((await json<{ source: { watch: unknown } }>(await put({}))).source.watch).toEqual({ silence_after: "PT2H" });
    expect((await json<{ source: { watch: unknown } }>(await put({ watch: null }))).source.watch).toBeNull();
  });

  it("refuses a silence_after that is not a fixed-length ISO-8601 duration", async () => {
    await createTenant("badwatch");
    for (const silence_after of ["P1M", "2 hours", ""]) {
      const err = await expectError(
        await call("PUT", "/v1/tenants/badwatch/sources/shop", { token: ADMIN_TOKEN, body: { kind: "shopify", secret: SECRETS.shopify, watch: { silence_after } } }),
        400,
        "validation_failed",
      );
      expect(JSON.stringify(err.details)).toContain("watch.silence_after");
    }
  });
});
