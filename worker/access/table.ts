import { key, PUBLIC_ACCESS, ROOT, SESSION, SIGNATURE, type Access } from "../../domain/access/scopes";

/**
 * Every route's access decision, keyed by `METHOD path` exactly as Hono
 * registers it (`app.routes`). The gate (./gate.ts) enforces what this says,
 * the OpenAPI document's `security` is written from it, and
 * test/worker/access/route-scopes.security.test.ts calls every route with
 * every scope: a route missing here answers 500 and fails that test.
 *
 * Adding a route? Add one line: `"POST /v1/tenants/:tenant/things": key("operator"),`
 * key(scope): that scope or more (an agency key counts as merchant_admin on its merchants;
 * the admin token is accepted from merchant_admin up, or with { root: true });
 * ROOT: the admin token only; SIGNATURE: the sender signs; SESSION: console cookie; PUBLIC_ACCESS: none.
 */
export const ACCESS: Record<string, Access> = {
  "GET /": PUBLIC_ACCESS,
  "GET /healthz": PUBLIC_ACCESS,
  "GET /openapi.json": PUBLIC_ACCESS,
  "GET /v1/schemas/export.json": PUBLIC_ACCESS,
  "GET /v1/schemas/exports/:file": PUBLIC_ACCESS,

  // Agencies and keys (issue 15)
  "POST /v1/agencies": ROOT,
  "POST /v1/agencies/:agency/merchants": key("agency_admin"),
  "GET /v1/agencies/:agency/merchants": key("agency_admin"),
  "POST /v1/tenants": ROOT,
  "POST /v1/tenants/:tenant/api-keys": key("merchant_admin"),
  "GET /v1/tenants/:tenant/api-keys": key("merchant_admin"),
  "DELETE /v1/tenants/:tenant/api-keys/:prefix": key("merchant_admin"),
  "GET /v1/tenants/:tenant/admin-audit": key("read"),
  "PUT /v1/tenants/:tenant/sources/:source": key("merchant_admin"),
  // Default owner (issue 13): merchant configuration, like sources
  "PUT /v1/tenants/:tenant/default-owner": key("merchant_admin"),

  // Senders and consumers sign their own calls
  "POST /v1/tenants/:tenant/webhooks/:source": SIGNATURE,
  "POST /v1/tenants/:tenant/exports/:export_id/ack": SIGNATURE,

  // Reads
  "GET /v1/tenants/:tenant/orders/:order_id": key("read"),
  "GET /v1/tenants/:tenant/orders/:order_id/audit": key("read"),
  "GET /v1/tenants/:tenant/rejections": key("read"),
  "GET /v1/tenants/:tenant/rejections/:id": key("read"),
  "GET /v1/tenants/:tenant/tasks": key("read"),
  "GET /v1/tenants/:tenant/tasks/:id": key("read"),
  "GET /v1/tenants/:tenant/exports/:file": key("read"),
  "GET /v1/tenants/:tenant/ownership": key("read", { root: true }),
  "GET /v1/tenants/:tenant/ownership/history": key("read", { root: true }),
  "GET /v1/tenants/:tenant/ownership.csv": key("read", { root: true }),

  // The queue
  "POST /v1/tenants/:tenant/tasks/:id/claim": key("operator"),
  "POST /v1/tenants/:tenant/tasks/:id/resolve": key("operator"),
  "POST /v1/tenants/:tenant/rejections/:id/replay": key("operator"),

  // Rules
  "PUT /v1/tenants/:tenant/ownership": key("merchant_admin"),
  // Rule templates (issue 15): the agency's own, and each merchant's choice of one with its overrides (merchant configuration, like the rules)
  "PUT /v1/agencies/:agency/rule-templates/:template_id": key("agency_admin"),
  "GET /v1/agencies/:agency/rule-templates": key("agency_admin"),
  "GET /v1/agencies/:agency/rule-templates/:template_id": key("agency_admin"),
  "POST /v1/agencies/:agency/rule-templates/:template_id/preview": key("agency_admin"),
  "PUT /v1/tenants/:tenant/rule-template": key("merchant_admin"),
  "GET /v1/tenants/:tenant/rule-template": key("read", { root: true }),
  "DELETE /v1/tenants/:tenant/rule-template": key("merchant_admin"),

  // Inventory (issue 17): reads, and the per-SKU settings and item mapping as merchant configuration
  "GET /v1/tenants/:tenant/inventory/:sku": key("read"),
  "PUT /v1/tenants/:tenant/inventory/:sku/settings": key("merchant_admin"),
  "PUT /v1/tenants/:tenant/inventory-items": key("merchant_admin"),
  // Stock channels: where levels go, with a secret, so merchant configuration like sources; listing them is a read
  "PUT /v1/tenants/:tenant/stock-channels/:channel": key("merchant_admin"),
  "GET /v1/tenants/:tenant/stock-channels": key("read"),
  "DELETE /v1/tenants/:tenant/stock-channels/:channel": key("merchant_admin"),

  // What-if (issue 16): a replay that changes nothing, so a read; the admin token as before
  "GET /v1/tenants/:tenant/what-if": key("read", { root: true }),
  "POST /v1/tenants/:tenant/what-if": key("read", { root: true }),
  "GET /v1/tenants/:tenant/what-if/:id": key("read", { root: true }),
  "GET /v1/tenants/:tenant/what-if/:id/result": key("read", { root: true }),

  // Watchers and their reports (issue 13): running them opens and closes queue tasks, so an operator's action
  "POST /v1/tenants/:tenant/watchers/run": key("operator"),
  "GET /v1/tenants/:tenant/reports/missing-acks": key("read"),
  "GET /v1/tenants/:tenant/reports/daily/:day": key("read"),
  "GET /v1/tenants/:tenant/watchers/audit": key("read"),
  // Campaign pre-flight (issue 13): signing off expected volumes is merchant configuration, like sources
  "POST /v1/tenants/:tenant/campaigns": key("merchant_admin"),
  "POST /v1/tenants/:tenant/campaigns/:campaign_id/cancel": key("merchant_admin"),
  "GET /v1/tenants/:tenant/campaigns": key("read"),
  "GET /v1/tenants/:tenant/campaigns/:campaign_id": key("read"),

  // Contacts, rotations and notifications (issue 14): who is told is merchant configuration; the rest reads (the admin token as before)
  "PUT /v1/tenants/:tenant/contacts/:contact_id": key("merchant_admin"),
  "DELETE /v1/tenants/:tenant/contacts/:contact_id": key("merchant_admin"),
  "GET /v1/tenants/:tenant/contacts": key("read", { root: true }),
  "GET /v1/tenants/:tenant/contacts/:contact_id": key("read", { root: true }),
  "PUT /v1/tenants/:tenant/rotations/:rotation_id": key("merchant_admin"),
  "DELETE /v1/tenants/:tenant/rotations/:rotation_id": key("merchant_admin"),
  "GET /v1/tenants/:tenant/rotations": key("read", { root: true }),
  "GET /v1/tenants/:tenant/rotations/:rotation_id": key("read", { root: true }),
  "GET /v1/tenants/:tenant/notifications": key("read", { root: true }),

  // Retention (issue 12)
  // Root only, as issue 12 chose: the policy decides when audit evidence is deleted.
  "PUT /v1/tenants/:tenant/retention": ROOT,
  "GET /v1/tenants/:tenant/retention": key("read", { root: true }),
  "GET /v1/tenants/:tenant/archive/:day": key("read", { root: true }),
  "GET /v1/tenants/:tenant/archive/:day/:table/:file": key("read", { root: true }),

  // The console checks its own session (and the session's scope for each action); the notebook pages hold no data
  "GET /console": PUBLIC_ACCESS,
  "GET /console/": PUBLIC_ACCESS,
  "GET /console/sign-in": PUBLIC_ACCESS,
  "POST /console/sign-in": PUBLIC_ACCESS,
  "POST /console/sign-out": SESSION,
  "GET /console/queue": SESSION,
  "GET /console/tasks/:id": SESSION,
  "POST /console/tasks/:id/claim": SESSION,
  "POST /console/tasks/:id/resolve": SESSION,
  "GET /console/orders": SESSION,
  "GET /console/orders/:id": SESSION,
  "GET /console/today": SESSION,
  "GET /console/agency": SESSION,
  "GET /console/people": SESSION,
  "GET /console/what-if": SESSION,
  "POST /console/what-if": SESSION,
  "GET /console/what-if/:id": SESSION,
  "POST /console/merchant": SESSION,
  "GET /notebooks": PUBLIC_ACCESS,
  "GET /notebooks/:name": PUBLIC_ACCESS,
};

export function accessFor(method: string, path: string): Access | undefined {
  return Object.hasOwn(ACCESS, `${method} ${path}`) ? ACCESS[`${method} ${path}`] : undefined;
}

/** The named parameters of a Hono route path, read from the request's path. */
export function routeParams(pattern: string, path: string): Record<string, string> {
  const pat = pattern.split("/");
  const got = path.split("/");
  const out: Record<string, string> = {};
  pat.forEach((seg, i) => {
    const value = got[i];
    if (!seg.startsWith(":") || value === undefined) return;
    const name = seg.slice(1).replace(/\{.*\}$/, "").replace(/\?$/, "");
    try {
      out[name] = decodeURIComponent(value);
    } catch {
      out[name] = value;
    }
  });
  return out;
}

/** The decision for an OpenAPI operation: a `:param` segment matches any segment (`{name}.{format}` included), literals must agree. */
export function accessForTemplate(method: string, template: string): Access | undefined {
  const want = template.split("/");
  const candidates = Object.entries(ACCESS).filter(([k]) => {
    const [m, p = ""] = k.split(" ");
    if (m !== method.toUpperCase()) return false;
    const segs = p.split("/");
    return segs.length === want.length && segs.every((s, i) => s.startsWith(":") || s === want[i]);
  });
  // The most literal pattern wins (`ownership.csv` over a hypothetical `:file`).
  candidates.sort(([a], [b]) => a.split(":").length - b.split(":").length);
  return candidates[0]?.[1];
}
