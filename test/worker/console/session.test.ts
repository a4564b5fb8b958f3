import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openClaim, sealClaim, SESSION_COOKIE } from "../../../worker/console/session";
import { db } from "../../../worker/db/client";
import { apiKeys } from "../../../worker/db/schema";
import { sha256Hex } from "../../../domain/crypto";
import { call, createTenant, json, keyFor } from "../../helpers/http";
import { ConsoleClient, html } from "./helpers";

function decodeClaim(value: string): Record<string, unknown> {
  const [body = ""] = value.split(".");
  const b64 = body.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4))) as Record<string, unknown>;
}

describe("console sign-in", () => {
  it("sets an HttpOnly, SameSite=Strict, /console cookie holding a signed claim and never the key", async () => {
    const key = await createTenant("con-a");
    const client = new ConsoleClient();
    const res = await client.signIn("con-a", key, "Alice Ops");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/console/today");
    const line = res.headers.getSetCookie().find((l) => l.startsWith(`${SESSION_COOKIE}=`)) ?? "";
    expect(line).toMatch(/; HttpOnly/i);
    expect(line).toMatch(/; SameSite=Strict/i);
    expect(line).toMatch(/; Path=\/console(;|$)/i);
    expect(line).toMatch(/; Max-Age=43200/i);
    expect(line).not.toMatch(/; Secure/i);
    const value = client.cookies.get(SESSION_COOKIE) ?? "";
    expect(value).not.toContain(key);
    expect(res.headers.get("location") ?? "").not.toContain(key);
    const claim = decodeClaim(value);
    expect(claim).toMatchObject({ tenant: "con-a", operator: "Alice Ops", key_hash: await sha256Hex(key) });
    expect(JSON.stringify(claim)).not.toContain(key);
    expect(Number(claim.exp) - Date.now()).toBeGreaterThan(11.9 * 3600_000);
    expect(Number(claim.exp) - Date.now()).toBeLessThanOrEqual(12 * 3600_000);
    const today = await html(await client.get("/console/today"));
    expect(today).toContain("Alice Ops");
    expect(today).not.toContain(key);
  });

  it("marks the cookie Secure when the console is reached over HTTPS", async () => {
    const key = await createTenant("con-https");
    const client = new ConsoleClient("https://handoff.test");
    const res = await client.signIn("con-https", key, "alice");
    expect(res.status).toBe(303);
    expect(res.headers.getSetCookie().find((l) => l.startsWith(`${SESSION_COOKIE}=`))).toMatch(/; Secure/i);
  });

  it("answers a bad key with the form again, 401 and a clear error, and no cookie", async () => {
    const key = await createTenant("con-bad");
    const other = await createTenant("con-bad-other");
    for (const [tenant, k] of [
      ["con-bad", "hk_not_a_real_key"],
      ["con-bad", other],
      ["con-nope", key],
    ] as const) {
      const client = new ConsoleClient();
      const res = await client.signIn(tenant, k, "mallory");
      const page = await html(res, 401);
      expect(page).toContain("do not match an active key");
      expect(page).toContain('name="api_key"');
      expect(page).not.toContain(k);
      expect(client.cookies.has(SESSION_COOKIE)).toBe(false);
    }
  });

  it("refuses a sign-in post without the form's token (login CSRF) with 403", async () => {
    const key = await createTenant("con-login-csrf");
    const client = new ConsoleClient();
    await html(await client.post("/console/sign-in", { tenant: "con-login-csrf", api_key: key, operator: "x" }), 403);
    const other = new ConsoleClient();
    await other.get("/console");
    await html(await other.post("/console/sign-in", { _csrf: "forged", tenant: "con-login-csrf", api_key: key, operator: "x" }), 403);
    expect(other.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it("redirects every page to sign-in without a session, keeping where the operator was going", async () => {
    const client = new ConsoleClient();
    for (const path of ["/console/queue?type=sla_breach", "/console/today", "/console/tasks/tk_x", "/console/orders/o-1"]) {
      const res = await client.get(path);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(`/console?next=${encodeURIComponent(path)}`);
    }
    const res = await client.post("/console/tasks/tk_x/claim", {});
    expect([res.status, res.headers.get("location")]).toEqual([303, "/console"]);
  });

  it("returns to the page asked for after signing in, but never off the console", async () => {
    const key = await createTenant("con-next");
    const client = new ConsoleClient();
    const form = await html(await client.get("/console?next=%2Fconsole%2Fqueue%3Ftype%3Dsla_breach"));
    const res = await client.post("/console/sign-in", { _csrf: ConsoleClient.csrf(form), tenant: "con-next", api_key: key, operator: "a", next: "/console/queue?type=sla_breach" });
    expect(res.headers.get("location")).toBe("/console/queue?type=sla_breach");
    for (const next of ["https://evil.example/console", "//evil.example/console", "/v1/tenants", "/\\evil.example"]) {
      const c2 = new ConsoleClient();
      const f = await html(await c2.get("/console"));
      const r = await c2.post("/console/sign-in", { _csrf: ConsoleClient.csrf(f), tenant: "con-next", api_key: key, operator: "a", next });
      expect(r.headers.get("location")).toBe("/console/today");
    }
  });

  it("rejects a tampered or expired cookie, and ends sessions when the key is revoked", async () => {
    const key = await createTenant("con-rev");
    const client = new ConsoleClient();
    await client.session("con-rev", key, "alice");
    const value = client.cookies.get(SESSION_COOKIE) ?? "";

    const claim = decodeClaim(value);
    const forged = new ConsoleClient();
    const body = btoa(JSON.stringify({ ...claim, tenant: "someone-else" })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    forged.cookies.set(SESSION_COOKIE, `${body}.${value.split(".")[1] ?? ""}`);
    expect((await forged.get("/console/today")).status).toBe(303);

    const expired = await sealClaim(env, { v: 1, sid: "s".repeat(24), tenant: "con-rev", operator: "alice", key_hash: await sha256Hex(key), exp: Date.now() - 1000 });
    expect(await openClaim(env, expired)).toBeNull();
    const old = new ConsoleClient();
    old.cookies.set(SESSION_COOKIE, expired);
    expect((await old.get("/console/today")).status).toBe(303);

    expect((await client.get("/console/today")).status).toBe(200);
    await db(env.DB).update(apiKeys).set({ revokedAt: new Date().toISOString() }).where(eq(apiKeys.keyHash, await sha256Hex(key)));
    const after = await client.get("/console/today");
    expect(after.status).toBe(303);
    expect(after.headers.getSetCookie().some((l) => l.startsWith(`${SESSION_COOKIE}=`) && /max-age=0/i.test(l))).toBe(true);
  });

  it("signs out: clears the cookie and returns to the sign-in form", async () => {
    const key = await createTenant("con-out");
    const client = new ConsoleClient();
    const csrf = await client.session("con-out", key, "alice");
    const res = await client.post("/console/sign-out", { _csrf: csrf });
    expect([res.status, res.headers.get("location")]).toEqual([303, "/console?notice=signed_out"]);
    expect(res.headers.getSetCookie().find((l) => l.startsWith(`${SESSION_COOKIE}=`))).toMatch(/max-age=0/i);
    expect(client.cookies.has(SESSION_COOKIE)).toBe(false);
    expect((await client.get("/console/queue")).status).toBe(303);
    expect(await html(await client.get("/console?notice=signed_out"))).toContain("Signed out.");
  });

  it("ends the session server-side: the cookie kept from before sign-out no longer opens a page (issue 15)", async () => {
    const key = await createTenant("con-out-old");
    const client = new ConsoleClient();
    const csrf = await client.session("con-out-old", key, "alice");
    const kept = client.cookies.get(SESSION_COOKIE) ?? "";
    expect((await client.get("/console/today")).status).toBe(200);
    await client.post("/console/sign-out", { _csrf: csrf });
    const replayed = new ConsoleClient();
    replayed.cookies.set(SESSION_COOKIE, kept);
    expect((await replayed.get("/console/today")).status).toBe(303);
  });

  it("ends the sessions of a key revoked through the API, and of a key that expires", async () => {
    const admin = await createTenant("con-rev-api");
    const issued = await call("POST", "/v1/tenants/con-rev-api/api-keys", { token: admin, body: { name: "desk", scope: "operator" } });
    const { api_key, prefix } = await json<{ api_key: string; prefix: string }>(issued);
    const client = new ConsoleClient();
    await client.session("con-rev-api", api_key, "bob");
    expect((await client.get("/console/today")).status).toBe(200);
    expect((await call("DELETE", `/v1/tenants/con-rev-api/api-keys/${prefix}`, { token: admin })).status).toBe(200);
    expect((await client.get("/console/today")).status).toBe(303);

    const soon = new Date(Date.now() + 1500).toISOString();
    const short = await json<{ api_key: string }>(await call("POST", "/v1/tenants/con-rev-api/api-keys", { token: admin, body: { name: "temp", scope: "read", expires_at: soon } }));
    const later = new ConsoleClient();
    await later.session("con-rev-api", short.api_key, "carol");
    expect((await later.get("/console/today")).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await later.get("/console/today")).status).toBe(303);
  });

  it("a read key's session may look but not claim or resolve", async () => {
    await createTenant("con-read");
    const viewer = await keyFor("con-read", "viewer", "read");
    const client = new ConsoleClient();
    const csrf = await client.session("con-read", viewer, "dora");
    const res = await client.post("/console/tasks/tsk_none/claim", { _csrf: csrf });
    expect(res.status).toBe(403);
  });

  it("serves pages with a strict CSP, no caching and no framing; unknown pages are HTML 404s", async () => {
    const key = await createTenant("con-headers");
    const client = new ConsoleClient();
    await client.session("con-headers", key, "alice");
    const res = await client.get("/console/nope");
    const page = await html(res, 404);
    expect(page).toMatch(/^<!doctype html>/i);
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'; style-src 'nonce-[A-Za-z0-9_-]+'/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const nonce = /style-src 'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
    expect(page).toContain(`<style nonce="${nonce}">`);
    expect(page).not.toMatch(/<script/i);
  });
});
