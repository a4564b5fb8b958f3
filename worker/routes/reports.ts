import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Duration } from "../../domain/ownership/schema";
import { parseDuration } from "../../domain/ownership/duration";
import type { AppEnv } from "../env";
import { ApiError, errorResponses } from "../errors";
import { TenantId } from "../names";
import { dailyReport, MISSING_ACKS_WINDOW_MS, missingAcks, missingAcksCsv } from "../watchers/reports";

const MissingAcks = z
  .object({
    tenant: z.string(),
    generated_at: z.string(),
    older_than_ms: z.number().int(),
    handoffs: z.array(
      z.object({
        export_id: z.string(),
        order_id: z.string(),
        step: z.string(),
        status: z.string(),
        owner: z.string(),
        consumer_url: z.string().nullable(),
        attempts: z.number().int(),
        issued_at: z.string(),
        delivered_at: z.string().nullable(),
        age_ms: z.number().int(),
      }),
    ),
    orders: z.array(z.object({ order_id: z.string(), state: z.string(), last_progress_at: z.string(), open_exports: z.number().int(), open_tasks: z.boolean(), age_ms: z.number().int() })),
  })
  .openapi("MissingAcksReport");

const DailyReport = z
  .object({
    tenant: z.string(),
    day: z.string(),
    generated_at: z.string(),
    unacknowledged_older_than_15m: z.object({ handoffs: z.number().int(), orders: z.number().int(), sample: MissingAcks }),
    reconciliation_tasks_opened: z.record(z.string(), z.number().int()).describe("Watcher and reconciliation tasks opened that UTC day, by type"),
    time_to_first_response_ms: z.object({ claimed: z.number().int(), median: z.number().nullable(), p90: z.number().nullable() }),
  })
  .openapi("DailyReport");

export const reportRoutes = new OpenAPIHono<AppEnv>();

reportRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/reports/missing-acks",
    operationId: "missingAcks",
    tags: ["reports"],
    summary: "Handoffs not acknowledged and in-flight orders without progress, older than a window (JSON or CSV)",
    request: {
      params: z.object({ tenant: TenantId }),
      query: z.object({
        older_than: Duration.optional().describe("ISO-8601 duration; default PT15M"),
        format: z.enum(["json", "csv"]).optional().describe("csv also when the Accept header asks for text/csv"),
      }),
    },
    responses: {
      200: {
        description: "Oldest first, at most 500 of each",
        content: { "application/json": { schema: z.object({ report: MissingAcks }) }, "text/csv": { schema: z.string() } },
      },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const q = c.req.valid("query");
    const olderThan = q.older_than === undefined ? MISSING_ACKS_WINDOW_MS : (parseDuration(q.older_than) ?? MISSING_ACKS_WINDOW_MS);
    const report = await missingAcks(c.env, tenant, olderThan, Date.now());
    const csv = q.format === "csv" || (q.format === undefined && (c.req.header("accept") ?? "").includes("text/csv"));
    if (csv) {
      return c.body(missingAcksCsv(report), 200, {
        "content-type": "text/csv; charset=utf-8; header=present",
        "content-disposition": `attachment; filename="missing-acks-${tenant}-${report.generated_at.slice(0, 16).replace(":", "")}.csv"`,
      });
    }
    return c.json({ report }, 200);
  },
);

reportRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/reports/daily/{day}",
    operationId: "dailyReport",
    tags: ["reports"],
    summary: "The daily report for one UTC day, as the cron kept it (written once, the first run after the day ends)",
    request: { params: z.object({ tenant: TenantId, day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "YYYY-MM-DD") }) },
    responses: {
      200: { description: "The report", content: { "application/json": { schema: z.object({ report: DailyReport }) } } },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant, day } = c.req.valid("param");
    const report = await dailyReport(c.env, tenant, day);
    if (!report) throw new ApiError("not_found", `No daily report for ${day}`);
    return c.json({ report }, 200);
  },
);
