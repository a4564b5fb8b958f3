import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { StoredOwnershipRules } from "../../domain/ownership/schema";
import { JOB_ID, jobView, RESULT_FORMATS, WhatIfJob, WhatIfJobListItem } from "../../domain/whatif/job";
import { WhatIfRun } from "../../domain/whatif/report";
import { actorOf } from "../auth";
import type { AppEnv } from "../env";
import { ApiError, errorResponses } from "../errors";
import { TenantId } from "../names";
import { listJobs, parseCursor } from "../whatif/job-list";
import { findJob, resultStream, startJob } from "../whatif/jobs";
import { inlineMax, runWindow, WHATIF_INLINE_MAX } from "../whatif/run";

const reader: Record<string, string[]>[] = [{ tenantKey: [] }, { adminToken: [] }];

const WhatIfRequest = z
  .object({
    rules: StoredOwnershipRules.optional().describe(
      "The proposal, as PUT …/ownership takes it (consumer secrets are never used: a what-if sends nothing). Absent: replay under the rules that were in force, which must reproduce what happened.",
    ),
    from: z.iso.datetime({ offset: true }).describe("Orders created at or after this instant"),
    to: z.iso.datetime({ offset: true }).describe("… and before this one"),
    until: z.iso.datetime({ offset: true }).optional().describe("Play SLA clocks and escalations up to this instant (default: now, the moment the trail is read). Under the rules in force (no proposal) each order's clocks stop at its last recorded entry if that is earlier: a live alarm due but not yet recorded is not a difference"),
  })
  .openapi("WhatIfRequest");

export const whatIfRoutes = new OpenAPIHono<AppEnv>();

whatIfRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/tenants/{tenant}/what-if",
    operationId: "runWhatIf",
    tags: ["what-if"],
    summary: "Replay a window of past orders through proposed ownership rules, side by side with what happened",
    description:
      "Every order created in [from, to) is replayed from D1's audit trail (its facts at their recorded times, consumers' recorded answers) through the " +
      "order object's own machine, planner and SLA functions. The answer lists each order whose decisions would change (breaches with who would be paged " +
      `at each level, exports added, removed or re-owned) and totals per step, contact and owning party, with revenue at risk. Windows of up to ${WHATIF_INLINE_MAX} orders run inline (200); ` +
      "a larger window starts a job (202 with its Location): poll GET …/what-if/{id} for progress, then download the result.",
    security: reader,
    request: { params: z.object({ tenant: TenantId }), body: { content: { "application/json": { schema: WhatIfRequest } }, required: true } },
    responses: {
      200: { description: "The comparison", content: { "application/json": { schema: WhatIfRun } } },
      202: { description: "The window is over the inline bound: a job replays it (Location: the job)", content: { "application/json": { schema: WhatIfJob } } },
      ...errorResponses(400, 401, 403),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const body = c.req.valid("json");
    if (Date.parse(body.from) >= Date.parse(body.to)) throw new ApiError("validation_failed", "'from' must be before 'to'", [{ path: "from", message: "not before 'to'" }]);
    const req = { rules: body.rules ?? null, from: new Date(body.from).toISOString(), to: new Date(body.to).toISOString() };
    const until = body.until === undefined ? Date.now() : Date.parse(body.until);
    const run = await runWindow(c.env.DB, tenant, req, until, inlineMax(c.env));
    if (run.ok) return c.json(run.result, 200);
    const job = await startJob(c.env, { tenant, ...req, until, created_by: actorOf(c).name });
    const base = jobPath(tenant, job.id);
    c.header("Location", base);
    return c.json(jobView(job, base), 202);
  },
);

whatIfRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/what-if",
    operationId: "listWhatIfJobs",
    tags: ["what-if"],
    summary: "The tenant's what-if jobs, newest first: status, progress, window, who started it and when its result expires",
    description: "Inline runs leave nothing to list; every job does, until and after its result expires (status `expired`).",
    security: reader,
    request: {
      params: z.object({ tenant: TenantId }),
      query: z.object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z.string().optional().openapi({ description: "next_cursor from the previous page" }),
      }),
    },
    responses: {
      200: { description: "Jobs", content: { "application/json": { schema: z.object({ jobs: z.array(WhatIfJobListItem), next_cursor: z.string().nullable() }) } } },
      ...errorResponses(400, 401, 403),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const q = c.req.valid("query");
    const after = q.cursor === undefined ? null : parseCursor(q.cursor);
    if (q.cursor !== undefined && after === null) throw new ApiError("validation_failed", "Malformed cursor: pass next_cursor as it was given", [{ path: "cursor", message: "not a next_cursor" }]);
    return c.json(await listJobs(c.env.DB, tenant, q.limit, after), 200);
  },
);

const JobParams = z.object({ tenant: TenantId, id: z.string().openapi({ description: "The job id from the 202", example: "wij_0123456789abcdef01234567" }) });

function jobPath(tenant: string, id: string): string {
  return `/v1/tenants/${tenant}/what-if/${id}`;
}

/** A job of this tenant, or 404 (an id of another tenant's job is simply not found here). */
async function tenantJob(env: AppEnv["Bindings"], tenant: string, id: string) {
  const job = JOB_ID.test(id) ? await findJob(env, tenant, id) : null;
  if (!job) throw new ApiError("not_found", `No what-if job '${id}' for tenant '${tenant}'`);
  return job;
}

whatIfRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/what-if/{id}",
    operationId: "getWhatIfJob",
    tags: ["what-if"],
    summary: "A what-if job: status, progress, and once done its summary and result links",
    security: reader,
    request: { params: JobParams },
    responses: {
      200: { description: "The job", content: { "application/json": { schema: WhatIfJob } } },
      ...errorResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { tenant, id } = c.req.valid("param");
    const job = await tenantJob(c.env, tenant, id);
    return c.json(jobView(job, jobPath(tenant, id)), 200);
  },
);

whatIfRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/what-if/{id}/result",
    operationId: "getWhatIfJobResult",
    tags: ["what-if"],
    summary: "A finished job's changes, streamed: CSV or NDJSON (one row per change, for a notebook) or one diff per changed order (NDJSON)",
    description:
      "`csv` and `ndjson` carry the same flat rows (order_id, change, step, level, contact, owning_party, due_at, export_id, field, recorded, proposed, value_minor, currency): " +
      "DuckDB reads them with read_csv / read_json. `orders` is one WhatIfOrderDiff per line, as the inline answer's `orders`.",
    security: reader,
    request: { params: JobParams, query: z.object({ format: z.enum(RESULT_FORMATS).default("csv").openapi({ description: "csv (default), ndjson or orders" }) }) },
    responses: {
      200: {
        description: "The changes",
        content: { "text/csv": { schema: z.string() }, "application/x-ndjson": { schema: z.string() } },
      },
      ...errorResponses(400, 401, 403, 404, 409, 410),
    },
  }),
  async (c) => {
    const { tenant, id } = c.req.valid("param");
    const { format } = c.req.valid("query");
    const job = await tenantJob(c.env, tenant, id);
    if (job.status === "expired") throw new ApiError("what_if_expired", `What-if job '${id}' finished more than its retention ago; its result was deleted (the job's summary is still at GET …/what-if/${id})`, { expires_at: job.expires_at === null ? null : new Date(job.expires_at).toISOString() });
    if (job.status !== "done") throw new ApiError("conflict", `What-if job '${id}' is ${job.status}; its result is ready once it is done`, { status: job.status, progress: { orders_done: job.orders_done, orders_total: job.orders_total } });
    return resultStream(c.env, job, format);
  },
);
