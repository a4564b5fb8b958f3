import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { checkAccess, type Actor, type Credential, type Target } from "../domain/access/scopes";
import { safeEqual } from "../domain/crypto";
import { accessFor, routeParams } from "./access/table";
import type { AppEnv, Env } from "./env";
import { ApiError } from "./errors";
import { TenantId } from "./names";
import { apiKeyRecord, tenantAgency } from "./tenancy";

function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1] ?? null;
}

/** The request's bearer credential: the bootstrap token, a live key, an unknown one, or none. */
export async function credentialOf(env: Env, header: string | undefined): Promise<Credential | null> {
  const token = bearer(header);
  if (token === null) return null;
  if (env.ADMIN_TOKEN && (await safeEqual(token, env.ADMIN_TOKEN))) return { kind: "root" };
  const key = await apiKeyRecord(env, token);
  return key ? { kind: "key", key } : { kind: "unknown" };
}

async function targetOf(env: Env, params: Record<string, string>): Promise<Target> {
  const tenant = params.tenant ?? null;
  // A name no tenant could have is not looked up: it simply belongs to no agency.
  const owner = tenant !== null && TenantId.safeParse(tenant).success ? await tenantAgency(env, tenant) : null;
  return { tenant, tenantAgency: owner?.agency ?? null, agency: params.agency ?? null };
}

/** The route that will answer: the last matched entry registered for a method (middleware is `ALL`). */
function handlerRoute(c: Context<AppEnv>): { method: string; path: string } | undefined {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i];
    if (r && r.method !== "ALL") return r;
  }
  return undefined;
}

/**
 * The one access gate, run before any route: it finds the answering route's
 * decision in worker/access/table.ts and applies it (domain/access/scopes.ts).
 * A route without a decision fails closed. Routes read who is acting with `actorOf(c)`.
 */
export const accessGate = createMiddleware<AppEnv>(async (c, next) => {
  const route = handlerRoute(c);
  if (!route) return next();
  const access = accessFor(route.method, route.path);
  if (!access) {
    console.error(`access: no decision for ${route.method} ${route.path} (add it to worker/access/table.ts)`);
    throw new ApiError("internal", "This route has no access decision");
  }
  if (access.auth !== "key" && access.auth !== "root") return next();
  const cred = await credentialOf(c.env, c.req.header("authorization"));
  const target = await targetOf(c.env, routeParams(route.path, c.req.path));
  const result = checkAccess(access, cred, target, Date.now());
  if (!result.ok) throw new ApiError(result.code, result.message);
  if (result.actor) c.set("actor", result.actor);
  return next();
});

/** Who is acting on this request (set by the gate on every key or admin route). */
export function actorOf(c: Context<AppEnv>): Actor {
  const actor = c.get("actor");
  if (!actor) throw new Error("route reached without an actor: its access decision is not key or root");
  return actor;
}
