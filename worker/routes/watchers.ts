import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { errorResponses } from "../errors";
import { TenantId } from "../names";
import { runWatchers } from "../watchers/run";
import { watcherTrail } from "../watchers/chain";

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
const CampaignVerdict = z
  .object({
    below: z.boolean(),
    campaign: z.object({ id: z.string(), name: z.string(), signed_off_by: z.string(), starts_at: z.string(), ends_at: z.string() }),
    source: z.string(),
    window: z.object({ from: z.string(), to: z.string() }),
    fraction: z.number(),
    expected: z.number(),
    lower_bound: z.number().int(),
    seen: z.number().int(),
    expected_per_hour: z.number(),
    seen_per_hour: z.number(),
    hours: z.array(z.object({ hour: z.string(), expected: z.number(), seen: z.number().int() })),
    rejections: z.record(z.string(), z.number()),
    likely_cause: z.enum(["rotated_secret", "refused_deliveries", "sender_stopped"]),
  })
  .openapi("CampaignVerdict");
const Kinds = z.object({ stuck_order: Ids, source_silent: Ids, volume_below_expected: Ids, reconciliation_mismatch: Ids });
const WatcherRun = z
  .object({
    tenant: TenantId,
    at: z.string(),
    opened: Kinds.describe("Task ids opened by this run"),
    closed: Kinds.describe("Watcher tasks this run closed: the order moved on, the sender recovered, the campaign ended"),
    sources: z.array(z.object({ source: z.string(), verdict: Verdict, campaign: CampaignVerdict.nullable().describe("The judgement against a running campaign, which replaces the baseline's") })),
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
      "Stuck orders (no task, hold or running clock past the step's SLA), silent senders (no verified delivery for watch.silence_after, or volume under the learned baseline) and senders short of a running campaign's signed-off volume each open one task per episode; watcher tasks whose condition ended close themselves. Every decision goes on the tenant's `~watchers` audit chain. Idempotent.",
    request: { params: z.object({ tenant: TenantId }) },
    responses: {
      200: { description: "What the run decided", content: { "application/json": { schema: z.object({ run: WatcherRun }) } } },
      ...errorResponses(401, 404),
    },
  }),
  async (c) => c.json({ run: await runWatchers(c.env, c.req.valid("param").tenant) }, 200),
);

const WatcherAudit = z
  .object({
    entries: z.array(z.object({ seq: z.number().int(), at: z.string(), type: z.string(), data: z.record(z.string(), z.unknown()), hash: z.string() })),
    chain_valid: z.boolean(),
    chain: z.object({ broken_at: z.number().int().nullable(), reason: z.string().nullable() }),
  })
  .openapi("WatcherAudit");

watcherRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/watchers/audit",
    operationId: "watcherAudit",
    tags: ["watchers"],
    summary: "Every watcher decision (task opened or closed, campaign signed off or cancelled) on the tenant's `~watchers` hash chain, verified (first 1,000)",
    description: "The same rows are in the events export under order_id `~watchers`. Entries the retention job archived show as a break here: verify those against the archive.",
    request: { params: z.object({ tenant: TenantId }) },
    responses: { 200: { description: "The chain", content: { "application/json": { schema: WatcherAudit } } }, ...errorResponses(401, 404) },
  }),
  async (c) => {
    const { entries, chain } = await watcherTrail(c.env, c.req.valid("param").tenant);
    return c.json({ entries, chain_valid: chain.valid, chain: { broken_at: chain.broken_at, reason: chain.reason } }, 200);
  },
);
