import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { BASE } from "../../helpers/http";

/**
 * A tiny browser for the console inside workerd: one cookie jar, same-origin
 * form posts (Origin + Sec-Fetch-Site as Chromium sends them), no redirects
 * followed, so tests see exactly what the Worker answered.
 */
export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  constructor(readonly base = BASE) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await exports.default.fetch(new Request(`${this.base}${path}`, { headers: { cookie: this.cookieHeader(), ...headers }, redirect: "manual" }));
    this.remember(res);
    return res;
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    const res = await exports.default.fetch(
      new Request(`${this.base}${path}`, {
        method: "POST",
        redirect: "manual",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          cookie: this.cookieHeader(),
          origin: new URL(this.base).origin,
          "sec-fetch-site": "same-origin",
          ...headers,
        },
        body: new URLSearchParams(fields).toString(),
      }),
    );
    this.remember(res);
    return res;
  }

  /** The CSRF token a page's forms carry. */
  static csrf(html: string): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m?.[1]) throw new Error("no CSRF token on the page");
    return m[1];
  }

  async signIn(tenant: string, apiKey: string, operator: string): Promise<Response> {
    const form = await this.get("/console");
    const token = ConsoleClient.csrf(await form.text());
    return this.post("/console/sign-in", { _csrf: token, tenant, api_key: apiKey, operator });
  }

  /** Signs in and returns the session's CSRF token (read from a signed-in page). */
  async session(tenant: string, apiKey: string, operator: string): Promise<string> {
    const res = await this.signIn(tenant, apiKey, operator);
    expect(res.status).toBe(303);
    await res.body?.cancel();
    const page = await this.get("/console/today");
    expect(page.status).toBe(200);
    return ConsoleClient.csrf(await page.text());
  }
}

export async function html(res: Response, status = 200): Promise<string> {
  const text = await res.text();
  expect(res.status, text.slice(0, 400)).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^text\/html/);
  return text;
}
