import { describe, expect, it } from "vitest";
import { checkAccess, key, ROOT, SIGNATURE, type Credential, type KeyRecord, type Target } from "../../../domain/access/scopes";

const NOW = Date.parse("2026-12-07T10:00:00Z");
const merchant = (scope: KeyRecord["scope"], over: Partial<KeyRecord> = {}): Credential => ({
  kind: "key",
  key: { prefix: `hk_acme_${scope}`, name: `${scope} person`, scope, tenant: "acme", agency: null, tenant_agency: "north", expires_at: null, ...over },
});
const agencyKey = (agency: string): Credential => ({
  kind: "key",
  key: { prefix: `hka_${agency}_x`, name: `${agency} admin`, scope: "agency_admin", tenant: null, agency, tenant_agency: null, expires_at: null },
});
const acme: Target = { tenant: "acme", tenantAgency: "north", agency: null };
const north: Target = { tenant: null, tenantAgency: null, agency: "north" };

describe("checkAccess", () => {
  it("lets a scope do what the ones below it can, and refuses more with forbidden_scope", () => {
    expect(checkAccess(key("operator"), merchant("operator"), acme, NOW)).toEqual({ ok: true, actor: { name: "operator person", via: "hk_acme_operator", scope: "operator" } });
    expect(checkAccess(key("read"), merchant("merchant_admin"), acme, NOW).ok).toBe(true);
    expect(checkAccess(key("operator"), merchant("read"), acme, NOW)).toMatchObject({ ok: false, status: 403, code: "forbidden_scope" });
  });

  it("answers another merchant's resource with 404 before looking at the scope", () => {
    const globex: Target = { tenant: "globex", tenantAgency: null, agency: null };
    expect(checkAccess(key("read"), merchant("merchant_admin"), globex, NOW)).toMatchObject({ status: 404 });
    expect(checkAccess(key("merchant_admin"), merchant("read"), globex, NOW)).toMatchObject({ status: 404 });
  });

  it("makes an agency key merchant_admin on its own merchants only", () => {
    expect(checkAccess(key("merchant_admin"), agencyKey("north"), acme, NOW).ok).toBe(true);
    expect(checkAccess(key("agency_admin"), agencyKey("north"), acme, NOW)).toMatchObject({ status: 403 });
    expect(checkAccess(key("read"), agencyKey("south"), acme, NOW)).toMatchObject({ status: 404 });
    expect(checkAccess(key("agency_admin"), agencyKey("north"), north, NOW).ok).toBe(true);
    expect(checkAccess(key("agency_admin"), agencyKey("south"), north, NOW)).toMatchObject({ status: 404 });
    // A merchant of the agency is refused by scope; a merchant of another agency sees nothing.
    expect(checkAccess(key("agency_admin"), merchant("merchant_admin"), north, NOW)).toMatchObject({ status: 403 });
    expect(checkAccess(key("agency_admin"), merchant("merchant_admin", { tenant_agency: "south" }), north, NOW)).toMatchObject({ status: 404 });
  });

  it("401s a missing, unknown or expired credential; the admin token only where the decision admits it", () => {
    expect(checkAccess(key("read"), null, acme, NOW)).toMatchObject({ status: 401 });
    expect(checkAccess(key("read"), { kind: "unknown" }, acme, NOW)).toMatchObject({ status: 401 });
    expect(checkAccess(key("read"), merchant("read", { expires_at: "2026-12-07T10:00:00.000Z" }), acme, NOW)).toMatchObject({ status: 401 });
    expect(checkAccess(key("read"), merchant("read", { expires_at: "2026-12-07T10:00:01.000Z" }), acme, NOW).ok).toBe(true);
    expect(checkAccess(key("merchant_admin"), { kind: "root" }, acme, NOW)).toMatchObject({ ok: true, actor: { name: "admin" } });
    expect(checkAccess(key("read"), { kind: "root" }, acme, NOW)).toMatchObject({ status: 403 });
    expect(checkAccess(key("read", { root: true }), { kind: "root" }, acme, NOW).ok).toBe(true);
    expect(checkAccess(ROOT, merchant("merchant_admin"), acme, NOW)).toMatchObject({ status: 403 });
    expect(checkAccess(SIGNATURE, null, acme, NOW)).toEqual({ ok: true, actor: null });
  });
});
