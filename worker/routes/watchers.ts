import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { errorResponses } from "../errors";
import { TenantId } from "../names";
import { runWatchers } from "../watchers/run";

const Ids = z.array(z.string());
const Verdict = z
  .object({
    silent: z.boolean(),
    reason: z.enum(["no_verified_delivery", "below_baseline"]).nullable(),
    window: z.object({ from: z.string(), to: z.string() }),
    expected: z.number().nullable(),
    lower_bound: z.number().nullable(),
    seen: z.number().int(),
    baseline: z.enum(["hour_of_week_median_4w", "not_learned"]),
    baseline_weeks: z.number().int(),
    rejections: z.record(z.string(), z.number()),
    likely_cause: z.enum(["rotated_secret", "refused_deliveries", "sender_stopped"]),
  })
  .openapi("SilenceVerdict");
const WatcherRun = z
  .object({
    tenant: TenantId,
    at: z.string(),
    opened: z.object({ stuck_order: Ids, source_silent: Ids, reconciliation_mismatch: Ids }).describe("Task ids opened by this run"),
    closed: z.object({ stuck_order: Ids, source_silent: Ids, reconciliation_mismatch: Ids }).describe("Watcher tasks this run closed: the order moved on, the sender recovered"),
    sources: z.array(z.object({ source: z.string(), verdict: Verdict })),
    cost: z.object({ queries: z.number().int(), rows_read: z.number().int(), rows_written: z.number().int() }).describe("What this run cost D1, from D1's own result metadata"),
  })
  .openapi("WatcherRun");

export const watcherRoutes = new OpenAPIHono<AppEnv>();

watcherRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/tenants/{tenant}/watchers/run",
    operationId: "runWatchers",
    tags: ["watchers"],
    summary: "Run the watchers for this tenant now (the cron runs them every 5 minutes)",
    description:
      "Stuck orders (no task, hold or running clock past the step's SLA) and silent senders (no verified delivery for watch.silence_after, or volume under the learned baseline) each open one task per episode; watcher tasks whose condition ended close themselves. Idempotent.",
    request: { params: z.object({ tenant: TenantId }) },
    responses: {
      200: { description: "What the run decided", content: { "application/json": { schema: z.object({ run: WatcherRun }) } } },
      ...errorResponses(401, 404),
    },
  }),
  async (c) => c.json({ run: await runWatchers(c.env, c.req.valid("param").tenant) }, 200),
);
