import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { requestIdFrom } from "./context";
import { SPANS, telemetryFor } from "./tracer";

/**
 * First middleware on every request: a request id (the caller's when sane),
 * the `x-request-id` response header, and the server span that every span of
 * this request descends from. An inbound `traceparent` makes our span its
 * child, so a sender that traces sees us inside its own trace.
 */
export const telemetryMiddleware: MiddlewareHandler<AppEnv> = async (c, next) => {
  const requestId = requestIdFrom(c.req.header("x-request-id"));
  const telemetry = telemetryFor(c.env);
  const span = telemetry.span(SPANS.request, { "http.request.method": c.req.method, "url.path": c.req.path, request_id: requestId }, c.req.header("traceparent") ?? null, "server");
  c.set("requestId", requestId);
  c.set("telemetry", telemetry);
  c.set("requestSpan", span);
  c.header("x-request-id", requestId);
  try {
    await next();
  } finally {
    if (c.res.headers.get("x-request-id") === null) {
      try {
        c.res.headers.set("x-request-id", requestId);
      } catch {
        // An immutable response (passed through from a binding) keeps its headers.
      }
    }
    const status = c.res.status;
    span.set({ "http.response.status_code": status, "http.route": c.req.routePath });
    if (status >= 500) span.error(`HTTP ${status}`);
    span.end();
    if (telemetry.enabled) waitUntil(c, telemetry.flush());
  }
};

function waitUntil(c: Parameters<MiddlewareHandler<AppEnv>>[0], p: Promise<void>): void {
  try {
    c.executionCtx.waitUntil(p);
  } catch {
    // No execution context (app.request() in a test): the export still runs, unawaited by the runtime.
    void p;
  }
}
