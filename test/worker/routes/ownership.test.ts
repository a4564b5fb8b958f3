import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { secretFingerprint } from "../../../domain/crypto";
import { unseal } from "../../../worker/lib/sealed";
import type { OwnershipRules } from "../../../domain/ownership/schema";
import { currentRules, putRules, rulesHistory } from "../../../worker/ownership/store";
import { ADMIN_TOKEN, call, createTenant, expectError, json } from "../../helpers/http";
import { EXAMPLE_CONSUMER_SECRETS, exampleRules } from "../../helpers/ownership";
import { putOwnership, type RulesVersionBody } from "../../helpers/ownership-api";

function withOwner(owner: string): OwnershipRules {
  const rules = exampleRules();
  rules.steps.routing.owner = owner;
  return rules;
}

describe("ownership rules: versions", () => {
  it("stores versions 1, 2, 3; GET returns the latest and history lists them newest first", async () => {
    const key = await createTenant("own-versions");
    const v1 = await putOwnership("own-versions", withOwner("first@agency.example"));
    const v2 = await putOwnership("own-versions", withOwner("second@agency.example"));
    const v3 = await putOwnership("own-versions", withOwner("third@agency.example"));
    expect([v1.version, v2.version, v3.version]).toEqual([1, 2, 3]);
    expect(v3.rules.steps.routing.owner).toBe("third@agency.example");
    expect(Date.parse(v1.created_at)).not.toBeNaN();

    const current = await call("GET", "/v1/tenants/own-versions/ownership", { token: key });
    expect(current.status).toBe(200);
    expect(await json<RulesVersionBody>(current)).toEqual(v3);

    const history = await json<{ versions: RulesVersionBody[] }>(await call("GET", "/v1/tenants/own-versions/ownership/history", { token: key }));
    expect(history.versions.map((v) => [v.version, v.rules.steps.routing.owner])).toEqual([
      [3, "third@agency.example"],
      [2, "second@agency.example"],
      [1, "first@agency.example"],
    ]);
    expect(history.versions[2]).toEqual(v1);
    const limited = await json<{ versions: RulesVersionBody[] }>(
      await call("GET", "/v1/tenants/own-versions/ownership/history?limit=1", { token: key }),
    );
    expect(limited.versions.map((v) => v.version)).toEqual([3]);
  });

  it("keeps versions per tenant", async () => {
    await createTenant("own-a");
    await createTenant("own-b");
    await putOwnership("own-a");
    await putOwnership("own-a");
    expect((await putOwnership("own-b")).version).toBe(1);
  });

  it("gives concurrent writers consecutive versions", async () => {
    await createTenant("own-race");
    const snaps = await Promise.all(Array.from({ length: 8 }, (_, i) => putRules(env, "own-race", withOwner(`w${i}@x.example`))));
    expect(snaps.map((s) => s.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((await rulesHistory(env, "own-race")).map((s) => s.version)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it("serves the current rules from the store with the secret sealed, and a new version at once in this isolate", async () => {
    await createTenant("own-store");
    expect(await currentRules(env, "own-store")).toBeNull();
    await putOwnership("own-store");
    const snap = await currentRules(env, "own-store");
    expect(snap?.version).toBe(1);
    const sealed = snap?.rules.steps.routing.consumer?.secret ?? "";
    expect(sealed).not.toContain("whsec_");
    expect(await unseal(sealed, env.SECRETS_KEY)).toBe(EXAMPLE_CONSUMER_SECRETS.routing);
    await putOwnership("own-store", withOwner("new@agency.example"));
    expect((await currentRules(env, "own-store"))?.rules.steps.routing.owner).toBe("new@agency.example");
  });

  it("404s not_found with a message when no rules are set", async () => {
    const key = await createTenant("own-none");
    const err = await expectError(await call("GET", "/v1/tenants/own-none/ownership", { token: key }), 404, "not_found");
    expect(err.message).toMatch(/No ownership rules are set/);
    await expectError(await call("GET", "/v1/tenants/own-none/ownership.csv", { token: key }), 404, "not_found");
    const history = await json<{ versions: unknown[] }>(await call("GET", "/v1/tenants/own-none/ownership/history", { token: key }));
    expect(history.versions).toEqual([]);
  });
});

describe("ownership rules: consumer secrets", () => {
  it("stores them sealed and only ever returns a redacted hint", async () => {
    const key = await createTenant("own-secrets");
    const put = await call("PUT", "/v1/tenants/own-secrets/ownership", { token: ADMIN_TOKEN, body: exampleRules() });
    const putText = await put.text();
    const reads = [
      putText,
      await (await call("GET", "/v1/tenants/own-secrets/ownership", { token: key })).text(),
      await (await call("GET", "/v1/tenants/own-secrets/ownership/history", { token: ADMIN_TOKEN })).text(),
      await (await call("GET", "/v1/tenants/own-secrets/ownership.csv", { token: key })).text(),
    ];
    const row = await env.DB.prepare("SELECT rules FROM ownership_rules WHERE tenant_id = 'own-secrets'").first<{ rules: string }>();
    const stored = row?.rules ?? "";
    const storedSecret = (JSON.parse(stored) as OwnershipRules).steps.routing.consumer?.secret ?? "";
    for (const secret of Object.values(EXAMPLE_CONSUMER_SECRETS)) {
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(secret.slice(6));
      for (const text of reads) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(storedSecret);
      }
    }
    expect(await unseal(storedSecret, env.SECRETS_KEY)).toBe(EXAMPLE_CONSUMER_SECRETS.routing);
    const body = JSON.parse(putText) as RulesVersionBody;
    expect(body.rules.steps.routing.consumer).toEqual({
      url: "http://127.0.0.1:9/wms/handoff",
      secret: await secretFingerprint(EXAMPLE_CONSUMER_SECRETS.routing, env.SECRETS_KEY),
      requires_ack: true,
    });
  });
});

describe("ownership rules: validation over HTTP", () => {
  async function refused(rules: unknown): Promise<{ path: string; message: string }[]> {
    const err = await expectError(await call("PUT", "/v1/tenants/own-valid/ownership", { token: ADMIN_TOKEN, body: rules }), 400, "validation_failed");
    return err.details as { path: string; message: string }[];
  }

  it("names the field for each refusal and stores nothing", async () => {
    await createTenant("own-valid");
    const noException = exampleRules() as Partial<OwnershipRules> & { steps: Record<string, Record<string, unknown>> };
    delete noException.steps.routing?.exception_path;
    expect(await refused(noException)).toEqual([{ path: "steps.routing.exception_path", message: expect.stringMatching(/required/) }]);

    const badSla = exampleRules();
    badSla.steps.shipping.sla = "tomorrow";
    expect(await refused(badSla)).toEqual([{ path: "steps.shipping.sla", message: expect.stringMatching(/not an ISO-8601 duration/) }]);

    const ftp = exampleRules();
    if (ftp.steps.routing.consumer) ftp.steps.routing.consumer.url = "ftp://wms.example.com/in";
    expect(await refused(ftp)).toEqual([{ path: "steps.routing.consumer.url", message: expect.stringMatching(/http or https/) }]);

    const badSecret = exampleRules();
    if (badSecret.steps.shipping.consumer) badSecret.steps.shipping.consumer.secret = "hunter2hunter2";
    expect(await refused(badSecret)).toEqual([{ path: "steps.shipping.consumer.secret", message: expect.stringMatching(/whsec_/) }]);

    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM ownership_rules WHERE tenant_id = 'own-valid'").first<{ n: number }>();
    expect(count?.n).toBe(0);
  });

  it("answers malformed JSON with invalid_json and an unknown tenant with tenant_not_found", async () => {
    await expectError(
      await call("PUT", "/v1/tenants/own-valid/ownership", { token: ADMIN_TOKEN, raw: "{nope", headers: { "content-type": "application/json" } }),
      400,
      "invalid_json",
    );
    await expectError(await call("PUT", "/v1/tenants/ghost/ownership", { token: ADMIN_TOKEN, body: exampleRules() }), 404, "tenant_not_found");
    await expectError(await call("GET", "/v1/tenants/ghost/ownership", { token: ADMIN_TOKEN }), 404, "tenant_not_found");
  });

  it("documents the routes and the rules schema in /openapi.json", async () => {
    const doc = await json<{ paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>(await call("GET", "/openapi.json"));
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/tenants/{tenant}/ownership",
        "/v1/tenants/{tenant}/ownership/history",
        "/v1/tenants/{tenant}/ownership.csv",
      ]),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(["OwnershipRules", "OwnershipStepRule", "Consumer", "RetryPolicy", "ExceptionPath"]));
  });
});
