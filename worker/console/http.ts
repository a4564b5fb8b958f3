import { html } from "hono/html";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { randomToken } from "../../domain/crypto";
import type { Notice } from "./layout";
import type { ConsoleContext, Session } from "./context";

/** Plumbing shared by the console's route handlers. */

export type { ConsoleContext, ConsoleEnv } from "./context";

/**
 * No script at all, styles only under this response's nonce, forms only to
 * ourselves, never framed: an injected tag would have nothing to run or load.
 */
export function securityHeaders(c: ConsoleContext): void {
  const nonce = randomToken(16);
  c.set("nonce", nonce);
  c.header(
    "content-security-policy",
    `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  );
  c.header("x-content-type-options", "nosniff");
  c.header("x-frame-options", "DENY");
  // same-origin, not no-referrer: browsers send `Origin: null` on forms under no-referrer, which would defeat the origin check.
  c.header("referrer-policy", "same-origin");
  c.header("cache-control", "no-store");
}

export function page(c: ConsoleContext, node: Child, status: ContentfulStatusCode = 200): Response | Promise<Response> {
  return c.html(html`<!doctype html>${node}`, status);
}

/** The console's session (set by the session middleware on every signed-in route). */
export function sessionOf(c: ConsoleContext): Session {
  const s = c.get("session");
  if (!s) throw new Error("console route reached without a session");
  return s;
}

/** A same-origin console path to come back to after a form, or the fallback: never an open redirect. */
export function safeReturn(c: ConsoleContext, value: unknown, fallback: string): string {
  if (typeof value !== "string" || value === "") return fallback;
  const origin = new URL(c.req.url).origin;
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch {
    return fallback;
  }
  if (url.origin !== origin || !url.pathname.startsWith("/console") || value.startsWith("//") || value.includes("\\")) return fallback;
  return url.pathname + url.search;
}

/** Adds the one-word outcome the next page turns into a fixed message (the text itself never travels in the URL). */
export function withNotice(path: string, notice: keyof typeof NOTICES): string {
  const url = new URL(path, "http://console.invalid");
  url.searchParams.set("notice", notice);
  return url.pathname + url.search;
}

export const NOTICES = {
  claimed: "Claimed. The task is yours.",
  resolved: "Resolved. The resolution and your justification are on the audit trail.",
  signed_out: "Signed out.",
} as const;

export function noticeFrom(c: ConsoleContext): Notice | null {
  const key = c.req.query("notice");
  return key && Object.hasOwn(NOTICES, key) ? { tone: "ok", text: NOTICES[key as keyof typeof NOTICES] } : null;
}

/** Form fields as strings (a file upload where text was expected counts as absent). */
export async function formFields(c: ConsoleContext): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}
