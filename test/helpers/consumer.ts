import { expect, inject } from "vitest";

/**
 * The workers-side half of the scriptable consumer (test/helpers/consumer-server.ts):
 * a real HTTP server on 127.0.0.1 that plays the WMS/carrier an export is
 * delivered to, so delivery tests exercise workerd's real fetch — timeouts,
 * refused connections and all — instead of a mocked one.
 *
 * Scenarios are independent namespaces on the one server; test files run in
 * parallel, so give each test its own (see freshScenario).
 */

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the consumer server, e.g. http://127.0.0.1:43121 (no trailing slash). */
    consumerUrl: string;
  }
}

/** One scripted answer. Every field is optional except the status. */
export interface ScriptedResponse {
  /** 200–599. */
  status: number;
  headers?: Record<string, string>;
  /** Hold the answer this long: slow consumers and timeouts. */
  delay_ms?: number;
  /** Defaults to `{"ok": <2xx?>}`. */
  body?: string;
}

export interface Script {
  /** Answered in order, one per request. */
  responses: ScriptedResponse[];
  /** Answered forever after; 200 `{"ok":true}` when omitted. */
  then?: ScriptedResponse;
}

export interface LoggedRequest {
  /** Arrival, epoch ms on the server's clock. */
  at: number;
  method: string;
  /** Path and query as received, including the scenario segment. */
  path: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  body: string;
  /** What the script answered (or was going to, if the client gave up first). */
  answered_status: number;
}

function base(): string {
  return inject("consumerUrl");
}

function segment(scenario: string): string {
  return encodeURIComponent(scenario);
}

/** Where a delivery for this scenario should be sent; any subpath of it belongs to the scenario too. */
export function consumerUrl(scenario: string): string {
  return `${base()}/${segment(scenario)}`;
}

/** A scenario name no other test (or earlier run of this one) is using. */
export function freshScenario(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

async function control(method: string, path: string, body?: unknown): Promise<Response> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { "content-type": "application/json" };
  }
  const res = await fetch(`${base()}${path}`, init);
  if (!res.ok) throw new Error(`consumer server ${method} ${path} → ${res.status}: ${await res.text()}`);
  return res;
}

/** (Re)script a scenario: resets its position in the script; the log is kept (see clear). */
export async function script(scenario: string, responses: ScriptedResponse[], then?: ScriptedResponse): Promise<void> {
  const body: Script = then === undefined ? { responses } : { responses, then };
  const res = await control("POST", `/__script/${segment(scenario)}`, body);
  await res.body?.cancel();
}

export async function requests(scenario: string): Promise<LoggedRequest[]> {
  const res = await control("GET", `/__log/${segment(scenario)}`);
  const body = (await res.json()) as { requests: LoggedRequest[] };
  return body.requests;
}

export async function clear(scenario: string): Promise<void> {
  const res = await control("DELETE", `/__log/${segment(scenario)}`);
  await res.body?.cancel();
}

/** The server logs a request on arrival; this waits for it when the client may have stopped listening first. */
export async function waitForRequests(scenario: string, count: number, timeoutMs = 5_000): Promise<LoggedRequest[]> {
  let seen: LoggedRequest[] = [];
  await expect
    .poll(
      async () => {
        seen = await requests(scenario);
        return seen.length;
      },
      { timeout: timeoutMs, interval: 20 },
    )
    .toBeGreaterThanOrEqual(count);
  return seen;
}
