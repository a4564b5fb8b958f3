import { z } from "zod";

/**
 * Who may call what: key scopes, the decision each route declares, and the
 * pure check of a credential against a decision. The Worker's gate
 * (worker/access/gate.ts) looks the credential up and applies this.
 */

/** Ordered from least to most: each scope can do everything the ones before it can. */
export const SCOPES = ["read", "operator", "merchant_admin", "agency_admin"] as const;
export const Scope = z.enum(SCOPES).meta({
  id: "Scope",
  description:
    "read: GETs and exports only; operator: also claim, resolve, replay and override tasks; merchant_admin: also rules, sources and keys of its merchant; agency_admin: an agency's key, merchant_admin on every merchant of its agency.",
});
export type Scope = z.infer<typeof Scope>;

/** Scopes a merchant can hand out (agency keys are issued with the agency). */
export const MerchantScope = z.enum(["read", "operator", "merchant_admin"]).meta({ id: "MerchantScope" });
export type MerchantScope = z.infer<typeof MerchantScope>;

export function scopeAtLeast(held: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(held) >= SCOPES.indexOf(needed);
}

/**
 * A route's access decision. `key`: a tenant key (or an agency key of the
 * tenant's agency) holding at least `scope`; the bootstrap admin token too when
 * `root` (every admin call keeps working with it). `root`: the admin token only.
 * `signature`: the sender's signature, checked by the route. `session`: the
 * console's own cookie session. `public`: no credential.
 */
export type Access =
  | { auth: "key"; scope: Scope; root: boolean }
  | { auth: "root" }
  | { auth: "signature" }
  | { auth: "session" }
  | { auth: "public" };

/** A key route; the admin token is accepted where an admin would call it (merchant_admin and up). */
export function key(scope: Scope, opts: { root?: boolean } = {}): Access {
  return { auth: "key", scope, root: opts.root ?? scopeAtLeast(scope, "merchant_admin") };
}
export const ROOT: Access = { auth: "root" };
export const SIGNATURE: Access = { auth: "signature" };
export const SESSION: Access = { auth: "session" };
export const PUBLIC_ACCESS: Access = { auth: "public" };

/** A key as the lookup found it. Exactly one of tenant and agency is set. */
export interface KeyRecord {
  prefix: string;
  name: string;
  scope: Scope;
  tenant: string | null;
  agency: string | null;
  /** The agency owning the key's tenant, for a merchant key. */
  tenant_agency: string | null;
  expires_at: string | null;
}

export type Credential = { kind: "root" } | { kind: "key"; key: KeyRecord } | { kind: "unknown" };

/** What the request names: its tenant (with the agency that owns it, if any) or its agency. */
export interface Target {
  tenant: string | null;
  /** The agency owning `tenant` (null: none, or the tenant does not exist). */
  tenantAgency: string | null;
  agency: string | null;
}

/** Who acted, as recorded on tasks, trails and the admin audit. */
export interface Actor {
  name: string;
  /** The key's prefix, or "admin" for the bootstrap token. */
  via: string;
  scope: Scope | "root";
}

export type AccessResult =
  | { ok: true; actor: Actor | null }
  | { ok: false; status: 401; code: "unauthorized"; message: string }
  | { ok: false; status: 403; code: "forbidden_scope"; message: string }
  | { ok: false; status: 404; code: "not_found"; message: string };

const ROOT_ACTOR: Actor = { name: "admin", via: "admin", scope: "root" };

function unauthorized(message: string): AccessResult {
  return { ok: false, status: 401, code: "unauthorized", message };
}
function forbidden(needed: string, held: string): AccessResult {
  return { ok: false, status: 403, code: "forbidden_scope", message: `This call needs ${needed}; the key's scope is ${held}` };
}
const NOT_FOUND: AccessResult = { ok: false, status: 404, code: "not_found", message: "Not found" };

/**
 * The one access check. Order matters: no or a dead credential is 401; a key
 * for another merchant or agency is 404 before its scope is looked at (it must
 * not learn what exists); a key of the right merchant below the route's scope
 * is 403 `forbidden_scope`.
 */
export function checkAccess(access: Access, cred: Credential | null, target: Target, now: number): AccessResult {
  if (access.auth === "public" || access.auth === "signature" || access.auth === "session") return { ok: true, actor: null };
  if (cred === null) return unauthorized("Missing Authorization: Bearer <API key>");
  if (cred.kind === "unknown") return unauthorized("Invalid or revoked API key");
  if (cred.kind === "root") {
    return access.auth === "root" || access.root ? { ok: true, actor: ROOT_ACTOR } : forbidden("a tenant or agency key", "the admin token");
  }
  const k = cred.key;
  if (k.expires_at !== null && Date.parse(k.expires_at) <= now) return unauthorized("This API key has expired");
  if (access.auth === "root") return forbidden("the bootstrap admin token", k.scope);
  const actor: Actor = { name: k.name, via: k.prefix, scope: k.scope };
  let held: Scope;
  if (target.agency !== null) {
    // An agency's own routes: its agency key; a merchant key of that agency is refused by scope, any other key sees nothing.
    if (k.agency !== null) {
      if (k.agency !== target.agency) return NOT_FOUND;
      held = k.scope;
    } else {
      if (k.tenant_agency !== target.agency) return NOT_FOUND;
      return forbidden("agency_admin", k.scope);
    }
  } else if (target.tenant !== null) {
    if (k.agency !== null) {
      if (target.tenantAgency !== k.agency) return NOT_FOUND;
      // An agency key acts on each merchant of its agency as that merchant's merchant_admin.
      held = "merchant_admin";
    } else {
      if (k.tenant !== target.tenant) return NOT_FOUND;
      held = k.scope;
    }
  } else {
    held = k.scope;
  }
  return scopeAtLeast(held, access.scope) ? { ok: true, actor } : forbidden(access.scope, held);
}
