import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env";
import { ApiError } from "./errors";
import { safeEqual } from "../domain/crypto";
import { tenantForApiKey } from "./tenancy";

function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1] ?? null;
}

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  if (!token) throw new ApiError("unauthorized", "Missing Authorization: Bearer <ADMIN_TOKEN>");
  if (!c.env.ADMIN_TOKEN || !(await safeEqual(token, c.env.ADMIN_TOKEN))) {
    throw new ApiError("unauthorized", "Invalid admin token");
  }
  await next();
});

/**
 * Tenant reads: a valid key for ANOTHER tenant gets 404, not 403, so a key
 * cannot be used to probe which tenants or orders exist.
 */
export const requireTenantKey = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  if (!token) throw new ApiError("unauthorized", "Missing Authorization: Bearer <tenant api key>");
  const owner = await tenantForApiKey(c.env, token);
  if (owner === null) throw new ApiError("unauthorized", "Invalid API key");
  const tenant = c.req.param("tenant");
  if (owner !== tenant) throw new ApiError("not_found", "Not found");
  c.set("tenantId", owner);
  await next();
});

/**
 * Reads an operator and the tenant both need (e.g. the ownership runbook): the
 * admin token is accepted for any tenant, otherwise it behaves exactly like
 * requireTenantKey (another tenant's key gets 404).
 */
export const requireTenantKeyOrAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  if (token && c.env.ADMIN_TOKEN && (await safeEqual(token, c.env.ADMIN_TOKEN))) {
    c.set("tenantId", c.req.param("tenant") ?? "");
    await next();
    return;
  }
  await requireTenantKey(c, next);
});
