import { beforeAll, describe, expect, it } from "vitest";
import { accessFor } from "../../../worker/access/table";
import { createApp } from "../../../worker/app";
import { ADMIN_TOKEN, call, json } from "../../helpers/http";
import { CREDS, expected, type Cred, type Outcome } from "../../helpers/route-scopes";

/**
 * Issue 15.7: every route × every credential, generated from the app's own
 * route list. A route without a decision in worker/access/table.ts fails the
 * first test; every decided route is called with every credential and must
 * answer as the rules below (the documented ones, restated independently of
 * the code that enforces them) say. Bodies are empty, so an allowed write
 * stops at validation or a 404 for its made-up id: nothing changes.
 */

const ROUTES = [...new Set(createApp().routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`))];

function concrete(path: string): string {
  return path
    .replace(":tenant", "rs-a")
    .replace(":agency", "rs-agency")
    .replace(/:[a-z_]+/g, "zz-none");
}

const tokens = new Map<Cred, string>();

async function created(res: Response): Promise<string> {
  expect(res.status).toBe(201);
  return (await json<{ api_key: string }>(res)).api_key;
}

beforeAll(async () => {
  tokens.set("root", ADMIN_TOKEN);
  const agency = await created(await call("POST", "/v1/agencies", { token: ADMIN_TOKEN, body: { id: "rs-agency", name: "RS Agency" } }));
  tokens.set("agency", agency);
  const merchant = await created(await call("POST", "/v1/agencies/rs-agency/merchants", { token: agency, body: { id: "rs-a", name: "RS A", default_owner: "ops@rs-a.example" } }));
  tokens.set("own:merchant_admin", merchant);
  for (const scope of ["read", "operator"] as const) {
    tokens.set(`own:${scope}`, await created(await call("POST", "/v1/tenants/rs-a/api-keys", { token: merchant, body: { name: `rs ${scope}`, scope } })));
  }
  tokens.set("foreign_merchant", await created(await call("POST", "/v1/tenants", { token: ADMIN_TOKEN, body: { id: "rs-b", name: "RS B", default_owner: "ops@example.com" } })));
  const other = await created(await call("POST", "/v1/agencies", { token: ADMIN_TOKEN, body: { id: "rs-other", name: "Other agency" } }));
  await created(await call("POST", "/v1/agencies/rs-other/merchants", { token: other, body: { id: "rs-c", name: "RS C", default_owner: "ops@example.com" } }));
  tokens.set("foreign_agency", other);
});

describe("route × scope table (issue 15)", () => {
  it("every route the app serves has an access decision", () => {
    expect(ROUTES.length).toBeGreaterThan(30);
    const undecided = ROUTES.filter((r) => {
      const [method = "", path = ""] = r.split(" ");
      return accessFor(method, path) === undefined;
    });
    expect(undecided, "add these to worker/access/table.ts").toEqual([]);
  });

  it("the OpenAPI document builds (every operation's security comes from its decision)", async () => {
    const res = await call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const doc = await json<{ paths: Record<string, Record<string, { security?: unknown }>> }>(res);
    expect(doc.paths["/v1/tenants/{tenant}/tasks/{id}/claim"]?.post?.security).toEqual([{ tenantKey: ["operator"] }]);
  });

  const keyed = ROUTES.filter((r) => {
    const [method = "", path = ""] = r.split(" ");
    const a = accessFor(method, path);
    return a?.auth === "key" || a?.auth === "root";
  });

  it.each(keyed)("%s answers every credential as documented", async (route) => {
    const [method = "", path = ""] = route.split(" ");
    const access = accessFor(method, path);
    if (!access) throw new Error("undecided");
    const url = concrete(path);
    const body = method === "GET" || method === "DELETE" ? undefined : {};
    const rows: string[] = [];
    for (const cred of CREDS) {
      const want = expected(access, path, cred);
      const token = tokens.get(cred);
      const res = await call(method, url, { token, body });
      const code = res.status >= 400 ? (await json<{ error: { code: string } }>(res)).error.code : "";
      const got: Outcome | number = res.status === 401 || res.status === 403 || (res.status === 404 && code === "not_found" && want === 404) ? (res.status as 401 | 403 | 404) : res.status;
      const ok = want === "allowed" ? res.status !== 401 && res.status !== 403 && res.status < 500 : got === want && (want !== 403 || code === "forbidden_scope");
      if (!ok) rows.push(`${cred}: expected ${want}, got ${res.status} ${code}`);
    }
    expect(rows).toEqual([]);
  });
});
