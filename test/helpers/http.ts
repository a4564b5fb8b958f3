import { env, exports } from "cloudflare:workers";
import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { SourceKind } from "../../worker/sources/types";
import type { Clocks } from "../../durable-objects/order/clocks";
import { OrderDO } from "../../durable-objects/order/OrderDO";

export const ADMIN_TOKEN = "test-admin-token";
export const BASE = "http://handoff.test";

export interface CallOptions {
  body?: unknown;
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
  token?: string;
}

/** The request a test call makes: a bearer token, a raw body, or a JSON one. */
export function testRequest(method: string, path: string, opts: CallOptions = {}): Request {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: BodyInit | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  return new Request(`${BASE}${path}`, { method, headers, body });
}

export function call(method: string, path: string, opts: CallOptions = {}): Promise<Response> {
  return exports.default.fetch(testRequest(method, path, opts));
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Asserts the one error envelope (with the request id its `x-request-id` header carries) and returns its code. */
export async function expectError(res: Response, status: number, code: string): Promise<{ code: string; message: string; details?: unknown; request_id: string }> {
  const body = await json<{ error: { code: string; message: string; details?: unknown; request_id: string } }>(res);
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code });
  expect(typeof body.error.message).toBe("string");
  expect(body.error.request_id).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
  expect(res.headers.get("x-request-id")).toBe(body.error.request_id);
  return body.error;
}

export async function createTenant(id: string, name = id): Promise<string> {
  const res = await call("POST", "/v1/tenants", { token: ADMIN_TOKEN, body: { id, name, default_owner: `ops@${id}.example` } });
  expect(res.status).toBe(201);
  return (await json<{ api_key: string }>(res)).api_key;
}

/**
 * A named key of the tenant (issued with the admin token, cached per test file): what a
 * person acts with, since the name recorded on a claim or resolution is the key's.
 */
const named = new Map<string, Promise<string>>();
export function keyFor(tenant: string, name: string, scope: "read" | "operator" | "merchant_admin" = "operator"): Promise<string> {
  const id = `${tenant}\u0000${name}\u0000${scope}`;
  let key = named.get(id);
  if (!key) {
    key = call("POST", `/v1/tenants/${tenant}/api-keys`, { token: ADMIN_TOKEN, body: { name, scope } }).then(async (res) => {
      expect(res.status).toBe(201);
      return (await json<{ api_key: string }>(res)).api_key;
    });
    named.set(id, key);
  }
  return key;
}

export async function putSource(tenant: string, source: string, kind: SourceKind, secret: string, config?: unknown): Promise<void> {
  const res = await call("PUT", `/v1/tenants/${tenant}/sources/${source}`, { token: ADMIN_TOKEN, body: { kind, secret, ...(config === undefined ? {} : { config }) } });
  expect(res.status).toBe(200);
}

export const SECRETS = {
  shopify: "shpss_test_secret_0123456789abcdef",
  stripe: "whsec_test_stripe_0123456789abcdef",
  // Standard Webhooks secrets are whsec_ + base64 of the key bytes.
  standard: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  woocommerce: "wc_secret_9f8e7d6c5b4a3210",
  // Adyen HMAC keys are hex (32 bytes from the Customer Area).
  adyen: "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056",
  easypost: "ep_webhook_secret_0123456789",
  hmac: "ls_webhook_signing_secret",
} as const;

/** A tenant with one sender of each kind: shop (Shopify), stripe, wms and carrier (Standard Webhooks). */
export async function seedTenant(id: string): Promise<string> {
  const key = await createTenant(id);
  await putSource(id, "shop", "shopify", SECRETS.shopify);
  await putSource(id, "stripe", "stripe", SECRETS.stripe);
  await putSource(id, "wms", "standard", SECRETS.standard);
  await putSource(id, "carrier", "standard", SECRETS.standard);
  return key;
}

/** An order object's timers: its timers table and the SLA clocks derived from the order (durable-objects/order/clocks.ts). */
export function orderClocks(instance: unknown): Clocks {
  if (!(instance instanceof OrderDO)) throw new Error("not an order object");
  return instance.clocks;
}

/** An object that was only ever read (or not yet written) has no tables, and so no timers. */
export function hasTimers(state: DurableObjectState): boolean {
  return state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'timers'").toArray().length > 0;
}

/**
 * Makes every stored timer of an object due (its timer rows and its exports'
 * deliver/ack/ttl columns), then runs its alarm: the deterministic stand-in for
 * waiting (a forced alarm otherwise finds nothing due). SLA clocks are derived
 * from the order and its rules: they come due only with the object's clock (setClock).
 */
export async function fireDue(stub: DurableObjectStub): Promise<boolean> {
  const written = await runInDurableObject(stub, (_instance, state) => {
    if (!hasTimers(state)) return false;
    const sql = state.storage.sql;
    sql.exec("UPDATE timers SET due_at = 0");
    const columns = new Set(sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('exports')").toArray().map((c) => c.name));
    for (const c of ["deliver_at", "ack_due_at", "ttl_at"]) if (columns.has(c)) sql.exec(`UPDATE exports SET ${c} = 0 WHERE ${c} IS NOT NULL`);
    return true;
  });
  if (!written) return false;
  return runDurableObjectAlarm(stub);
}

/**
 * Alarms are not reset between tests: run every pending one so no drain fires
 * into the next test's storage.
 */
export async function settleAlarms(): Promise<void> {
  for (let round = 0; round < 5; round++) {
    let ran = false;
    for (const id of await listDurableObjectIds(env.ORDER)) {
      if (await fireDue(env.ORDER.get(id))) ran = true;
    }
    if (!ran) return;
  }
}
