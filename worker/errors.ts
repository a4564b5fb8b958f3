import { z } from "@hono/zod-openapi";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Stable error codes: clients and dashboards key on these, so they only ever
 * get added, never renamed.
 */
export const ERROR_CODES = {
  unauthorized: 401,
  forbidden: 403,
  /** A valid key used outside its scope (domain/access/scopes.ts). */
  forbidden_scope: 403,
  not_found: 404,
  /** An agency has no rule template by that id (issue 15). */
  template_not_found: 404,
  tenant_not_found: 404,
  source_not_found: 404,
  order_not_found: 404,
  conflict: 409,
  /** A campaign expecting volume from a source another live campaign already covers at that time. */
  campaign_overlap: 409,
  validation_failed: 400,
  invalid_json: 400,
  invalid_path: 400,
  /** A body whose connection was lost before its last byte: nothing of it was decided on. */
  body_incomplete: 400,
  /** A what-if job's result past its retention: deleted, the job itself still answers (status `expired`). */
  what_if_expired: 410,
  payload_too_large: 413,
  signature_missing: 401,
  signature_invalid: 401,
  timestamp_stale: 401,
  unsupported_event: 422,
  order_id_missing: 422,
  schema_mismatch: 422,
  topic_mismatch: 422,
  topic_conflict: 422,
  order_too_large: 422,
  window_too_large: 422,
  rate_limited: 429,
  overloaded: 503,
  unavailable: 503,
  rejection_not_recorded: 503,
  internal: 500,
} as const satisfies Record<string, ContentfulStatusCode>;
export type ErrorCode = keyof typeof ERROR_CODES;

export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.unknown().optional(),
      request_id: z.string().describe("Also in the `x-request-id` response header; quote it when reporting a problem"),
    }),
  })
  .openapi("Error");
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.status = ERROR_CODES[code];
  }

  toJSON(requestId: string): ErrorEnvelope {
    return envelope(this.code, this.message, requestId, this.details);
  }
}

/** The one error body: every JSON error the Worker sends is built here. */
export function envelope(code: ErrorCode, message: string, requestId: string, details?: unknown): ErrorEnvelope {
  return { error: { code, message, ...(details === undefined ? {} : { details }), request_id: requestId } };
}

/** OpenAPI response entries for the error statuses a route can return. */
export function errorResponses(...statuses: ContentfulStatusCode[]) {
  const out: Record<number, { description: string; content: { "application/json": { schema: typeof ErrorEnvelope } } }> =
    {};
  for (const s of statuses) {
    out[s] = { description: `Error (${s})`, content: { "application/json": { schema: ErrorEnvelope } } };
  }
  return out;
}
