import { SCOPES, type Access, type Scope } from "../../domain/access/scopes";
import { ACCESS } from "../../worker/access/table";

/**
 * The documented access rules (README, "Keys and scopes"), restated here
 * independently of the code that enforces them (domain/access/scopes.ts), and
 * the route × credential table they produce (docs/route-scopes.md).
 */

const MERCHANT_SCOPES = ["read", "operator", "merchant_admin"] as const;
export type Cred = "none" | "root" | `own:${(typeof MERCHANT_SCOPES)[number]}` | "agency" | "foreign_merchant" | "foreign_agency";
export const CREDS: Cred[] = ["none", "root", ...MERCHANT_SCOPES.map((s) => `own:${s}` as const), "agency", "foreign_merchant", "foreign_agency"];
export type Outcome = "allowed" | 401 | 403 | 404;

const rank = (s: Scope) => SCOPES.indexOf(s);

/** The documented rules (README, "Keys and scopes"). */
export function expected(access: Access, path: string, cred: Cred): Outcome {
  if (access.auth !== "key" && access.auth !== "root") return "allowed";
  if (cred === "none") return 401;
  if (cred === "root") return access.auth === "root" || access.root ? "allowed" : 403;
  if (access.auth === "root") return 403;
  const agencyRoute = path.startsWith("/v1/agencies/:agency");
  if (cred === "foreign_merchant" || cred === "foreign_agency") return 404;
  if (agencyRoute) return cred === "agency" ? "allowed" : 403;
  const held: Scope = cred === "agency" ? "merchant_admin" : (cred.slice(4) as Scope);
  return rank(held) >= rank(access.scope) ? "allowed" : 403;
}


const LABEL: Record<Cred, string> = {
  none: "no key",
  root: "admin token",
  "own:read": "read",
  "own:operator": "operator",
  "own:merchant_admin": "merchant_admin",
  agency: "agency key",
  foreign_merchant: "other merchant's key",
  foreign_agency: "other agency's key",
};

/** docs/route-scopes.md: every key or admin route and what each credential gets. */
export function routeScopeTable(): string {
  const lines = [
    "# Route × credential (generated from worker/access/table.ts; `UPDATE_ROUTE_SCOPES=1 npx vitest run --project unit test/worker/access` rewrites it)",
    "",
    "Keys are the target tenant's own (read, operator, merchant_admin) or its agency's. ✓ allowed · 401 no or dead key · 403 `forbidden_scope` · 404 another merchant's or agency's resource.",
    "Routes not listed need no key: senders and consumers sign (webhooks, acks), the console has its session, schemas and pages are public.",
    "",
    `| Route | ${CREDS.map((c) => LABEL[c]).join(" | ")} |`,
    `|---|${CREDS.map(() => "---").join("|")}|`,
  ];
  for (const [route, access] of Object.entries(ACCESS)) {
    if (access.auth !== "key" && access.auth !== "root") continue;
    const path = route.split(" ")[1] ?? "";
    lines.push(`| \`${route}\` | ${CREDS.map((c) => { const o = expected(access, path, c); return o === "allowed" ? "✓" : String(o); }).join(" | ")} |`);
  }
  return lines.join("\n") + "\n";
}
