import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./schema";

/**
 * The engine's API as the CLI calls it: paths, parameters, bodies and answers
 * typed from the committed spec (cli/api/schema.d.ts), so a route that changes
 * shape breaks `tsc` here instead of a user's command at run time.
 */
export type HandoffClient = Client<paths>;

/** `fetchImpl` lets the same calls run against the Worker in-process (tests) instead of over the network. */
export function handoffClient(baseUrl: string, bearer?: string | null, fetchImpl?: (input: Request) => Promise<Response>): HandoffClient {
  return createClient<paths>({ baseUrl, headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
}

/** The one error envelope, as far as it can be read from whatever a failed call returned. */
export function errorEnvelope(error: unknown): { code: string; message: string; details?: unknown } {
  const e = typeof error === "object" && error !== null && "error" in error ? (error as { error: unknown }).error : null;
  if (typeof e === "object" && e !== null) {
    const r = e as Record<string, unknown>;
    return { code: typeof r.code === "string" ? r.code : "", message: typeof r.message === "string" ? r.message : "", details: r.details };
  }
  // Not our envelope (a proxy, an older engine): keep what text there is.
  return { code: "", message: typeof error === "string" ? error.slice(0, 300) : "" };
}
