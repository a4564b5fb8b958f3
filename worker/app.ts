import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./env";
import { ApiError, envelope } from "./errors";
import { openApiDocument, registerSecuritySchemes, VERSION } from "./openapi";
import { telemetryMiddleware } from "./telemetry/middleware";
import { accessGate } from "./auth";
import { agencyRoutes } from "./routes/agencies";
import { apiKeyRoutes } from "./routes/api-keys";
import { analyticsExportRoutes } from "./routes/analytics-exports";
import { consoleRoutes } from "./routes/console";
import { contactRoutes } from "./routes/contacts";
import { handoffRoutes } from "./routes/handoffs";
import { inventoryRoutes } from "./routes/inventory";
import { stockChannelRoutes } from "./routes/stock-channels";
import { notebookRoutes } from "./routes/notebooks";
import { orderRoutes } from "./routes/orders";
import { taskRoutes } from "./routes/tasks";
import { ownershipRoutes } from "./routes/ownership";
import { merchantTemplateRoutes } from "./routes/merchant-template";
import { ruleTemplateRoutes } from "./routes/rule-templates";
import { rejectionRoutes } from "./routes/rejections";
import { retentionRoutes } from "./routes/retention";
import { tenantRoutes } from "./routes/tenants";
import { reportRoutes } from "./routes/reports";
import { watcherRoutes } from "./routes/watchers";
import { campaignRoutes } from "./routes/campaigns";
import { webhooks } from "./routes/webhooks";
import { whatIfRoutes } from "./routes/what-if";

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    // Validation failures join the one error envelope instead of zod's default shape.
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError(
          "validation_failed",
          "Request failed validation",
          result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
        );
      }
    },
  });

  app.use("*", telemetryMiddleware);
  // Every route's access decision (worker/access/table.ts), before any route runs.
  app.use("*", accessGate);

  app.onError((err, c) => {
    const requestId = c.get("requestId");
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      return c.json(err.toJSON(requestId), err.status);
    }
    if (err instanceof HTTPException) {
      // Hono raises these for malformed JSON bodies on validated routes.
      const status = err.status as ContentfulStatusCode;
      const code = status === 400 ? "invalid_json" : status === 401 ? "unauthorized" : status === 413 ? "payload_too_large" : "internal";
      return c.json(envelope(code, err.message || "Bad request", requestId), status);
    }
    console.error("unhandled", err);
    return c.json(envelope("internal", "Internal error", requestId), 500);
  });

  app.notFound((c) => c.json(envelope("not_found", `No route for ${c.req.method} ${c.req.path}`, c.get("requestId")), 404));

  app.get("/", (c) => c.json({ name: "handoff", version: VERSION, openapi: "/openapi.json" }));
  app.get("/healthz", (c) => c.json({ ok: true }));

  app.route("/", agencyRoutes);
  app.route("/", tenantRoutes);
  app.route("/", apiKeyRoutes);
  app.route("/", webhooks);
  app.route("/", orderRoutes);
  app.route("/", inventoryRoutes);
  app.route("/", stockChannelRoutes);
  app.route("/", rejectionRoutes);
  app.route("/", handoffRoutes);
  app.route("/", taskRoutes);
  app.route("/", analyticsExportRoutes);
  app.route("/", ownershipRoutes);
  app.route("/", ruleTemplateRoutes);
  app.route("/", merchantTemplateRoutes);
  app.route("/", retentionRoutes);
  app.route("/", contactRoutes);
  app.route("/", consoleRoutes);
  app.route("/", notebookRoutes);
  app.route("/", whatIfRoutes);
  app.route("/", watcherRoutes);
  app.route("/", campaignRoutes);
  app.route("/", reportRoutes);

  registerSecuritySchemes(app);
  app.get("/openapi.json", (c) => c.json(openApiDocument(app, new URL(c.req.url).origin)));
  return app;
}
