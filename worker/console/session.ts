import { and, eq, isNull } from "drizzle-orm";
import type { Scope } from "../../domain/access/scopes";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { db } from "../db/client";
import { consoleSessions } from "../db/schema";
import { keyRecordByHash } from "../tenancy";
import type { Env } from "../env";
import { fromBase64, hmacSha256, hmacSha256Verify, randomToken, sha256Hex, toBase64, utf8 } from "../../domain/crypto";
import type { ConsoleContext, Session } from "./context";

/**
 * The console's session: a signed cookie naming a server-side session row
 * (console_sessions) and the SHA-256 of the API key (never the key). Every
 * request checks the row is not ended and the key is still live (unrevoked,
 * unexpired, the same tenant's), so signing out, revoking the key and its
 * expiry all end the session on its next request, whatever the browser keeps.
 */

export const SESSION_COOKIE = "handoff_console";
/** Sign-in has no session yet; this random value is what its CSRF token is bound to. */
export const PRESESSION_COOKIE = "handoff_console_pre";
export const SESSION_TTL_MS = 12 * 3600_000;
const PRESESSION_TTL_S = 3600;
const COOKIE_PATH = "/console";

const SessionClaim = z.object({
  v: z.literal(1),
  sid: z.string().min(16).max(64),
  tenant: z.string().min(1),
  operator: z.string().min(1).max(200),
  key_hash: z.string().regex(/^[0-9a-f]{64}$/),
  exp: z.number().int(),
});
export type SessionClaim = z.infer<typeof SessionClaim>;

export type { Session } from "./context";

type Purpose = "session" | "csrf";
const derived = new Map<string, Promise<Uint8Array>>();

/** Keys for signing are derived from SECRETS_KEY (HKDF), so they never double as the key that seals source secrets. */
function purposeKey(env: Env, purpose: Purpose): Promise<Uint8Array> {
  const id = `${purpose}\u0000${env.SECRETS_KEY}`;
  let key = derived.get(id);
  if (!key) {
    key = (async () => {
      const ikm = fromBase64(env.SECRETS_KEY) ?? utf8(env.SECRETS_KEY);
      const base = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
      const info = utf8(`handoff console ${purpose} v1`);
      return new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(), info }, base, 256));
    })().catch((err: unknown) => {
      // A failed derivation must not be remembered.
      derived.delete(id);
      throw err;
    });
    derived.set(id, key);
  }
  return key;
}

function b64url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromB64url(s: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  return fromBase64(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
}

async function mac(env: Env, purpose: Purpose, data: string): Promise<string> {
  return b64url(await hmacSha256(await purposeKey(env, purpose), utf8(data)));
}

async function macValid(env: Env, purpose: Purpose, data: string, token: string): Promise<boolean> {
  const sig = fromB64url(token);
  return sig !== null && hmacSha256Verify(await purposeKey(env, purpose), utf8(data), sig);
}

export async function sealClaim(env: Env, claim: SessionClaim): Promise<string> {
  const body = b64url(utf8(JSON.stringify(claim)));
  return `${body}.${await mac(env, "session", body)}`;
}

/** The claim in a cookie value, if its signature holds and it has not expired. */
export async function openClaim(env: Env, value: string, now = Date.now()): Promise<SessionClaim | null> {
  const [body, sig, extra] = value.split(".");
  if (!body || !sig || extra !== undefined) return null;
  if (!(await macValid(env, "session", body, sig))) return null;
  const bytes = fromB64url(body);
  if (!bytes) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
  const claim = SessionClaim.safeParse(parsed);
  return claim.success && claim.data.exp > now ? claim.data : null;
}

export function csrfFor(env: Env, sid: string): Promise<string> {
  return mac(env, "csrf", `session\u0000${sid}`);
}

export function csrfValid(env: Env, sid: string, token: string): Promise<boolean> {
  return macValid(env, "csrf", `session\u0000${sid}`, token);
}

function secure(c: ConsoleContext): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/**
 * The key behind a session, uncached on purpose (unlike the API's 30 s isolate
 * cache): a revoked or expired key must end its sessions on the very next request.
 * Returns the scope the session acts with, or null.
 */
async function liveScope(env: Env, claim: SessionClaim, now: number): Promise<Scope | null> {
  const key = await keyRecordByHash(env, claim.key_hash, false);
  if (!key || (key.tenant ?? key.agency) !== claim.tenant) return null;
  if (key.expires_at !== null && Date.parse(key.expires_at) <= now) return null;
  // An agency key acts on its merchants as their merchant_admin, in the console as in the API.
  return key.agency !== null ? "merchant_admin" : key.scope;
}

/** The open session row: which merchant is in view, and the agency for an agency's session. */
async function sessionRow(env: Env, sid: string): Promise<{ tenantId: string | null; agencyId: string | null } | undefined> {
  return db(env.DB)
    .select({ tenantId: consoleSessions.tenantId, agencyId: consoleSessions.agencyId })
    .from(consoleSessions)
    .where(and(eq(consoleSessions.sid, sid), isNull(consoleSessions.endedAt)))
    .get();
}

/** An agency's session moves its view to another of the agency's merchants (the caller checked it is one). */
export async function viewMerchant(env: Env, s: Session, merchant: string): Promise<void> {
  if (s.agency === null) return;
  await db(env.DB).update(consoleSessions).set({ tenantId: merchant }).where(and(eq(consoleSessions.sid, s.sid), eq(consoleSessions.agencyId, s.agency)));
}

export async function currentSession(c: ConsoleContext): Promise<Session | null> {
  const value = getCookie(c, SESSION_COOKIE);
  if (!value) return null;
  const now = Date.now();
  const claim = await openClaim(c.env, value, now);
  if (!claim) return null;
  const [scope, row] = await Promise.all([liveScope(c.env, claim, now), sessionRow(c.env, claim.sid)]);
  if (scope === null || !row) return null;
  return { tenant: row.tenantId ?? claim.tenant, agency: row.agencyId, operator: claim.operator, sid: claim.sid, csrf: await csrfFor(c.env, claim.sid), scope };
}

/**
 * Signs in to a tenant, or to an agency (`agency` set, `tenant` the merchant first in view).
 * The claim names what was signed into; the row holds the merchant in view.
 */
export async function startSession(c: ConsoleContext, into: { tenant: string; agency: string | null }, operator: string, apiKey: string): Promise<void> {
  const claim: SessionClaim = { v: 1, sid: randomToken(18), tenant: into.agency ?? into.tenant, operator, key_hash: await sha256Hex(apiKey), exp: Date.now() + SESSION_TTL_MS };
  await db(c.env.DB)
    .insert(consoleSessions)
    .values({ sid: claim.sid, tenantId: into.tenant, agencyId: into.agency, keyHash: claim.key_hash, operator, expiresAt: new Date(claim.exp).toISOString() });
  setCookie(c, SESSION_COOKIE, await sealClaim(c.env, claim), {
    path: COOKIE_PATH,
    httpOnly: true,
    sameSite: "Strict",
    secure: secure(c),
    maxAge: SESSION_TTL_MS / 1000,
  });
  deleteCookie(c, PRESESSION_COOKIE, { path: COOKIE_PATH, secure: secure(c) });
}

/** Ends the session server-side (the old cookie stops working, wherever it was copied) and clears it in this browser. */
export async function endSession(c: ConsoleContext, sid: string | null): Promise<void> {
  if (sid !== null) {
    await db(c.env.DB).update(consoleSessions).set({ endedAt: new Date().toISOString() }).where(and(eq(consoleSessions.sid, sid), isNull(consoleSessions.endedAt)));
  }
  clearSessionCookie(c);
}

export function clearSessionCookie(c: ConsoleContext): void {
  deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", secure: secure(c) });
}

/**
 * Login CSRF: the sign-in form's token is bound to a random pre-session
 * cookie, so another site cannot sign a browser into its own tenant.
 */
export async function presessionToken(c: ConsoleContext): Promise<string> {
  let value = getCookie(c, PRESESSION_COOKIE);
  if (!value || !/^[A-Za-z0-9_-]{16,64}$/.test(value)) {
    value = randomToken(18);
    setCookie(c, PRESESSION_COOKIE, value, { path: COOKIE_PATH, httpOnly: true, sameSite: "Strict", secure: secure(c), maxAge: PRESESSION_TTL_S });
  }
  return mac(c.env, "csrf", `pre\u0000${value}`);
}

export async function presessionValid(c: ConsoleContext, token: string): Promise<boolean> {
  const value = getCookie(c, PRESESSION_COOKIE);
  return value !== undefined && macValid(c.env, "csrf", `pre\u0000${value}`, token);
}

/**
 * Browsers say where a form came from: a POST whose Origin is another site, or
 * whose Sec-Fetch-Site is anything but same-origin, is refused before the
 * token is even looked at. Both are optional (older clients), so the token stays the real check.
 */
export function sameOrigin(c: ConsoleContext): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin") return false;
  const origin = c.req.header("origin");
  return origin === undefined || origin === new URL(c.req.url).origin;
}
