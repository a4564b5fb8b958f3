import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { StoredOwnershipRules } from "../../domain/ownership/schema";
import { WhatIfRun } from "../../domain/whatif/report";
import type { AppEnv } from "../env";
import { ApiError, errorResponses } from "../errors";
import { TenantId } from "../names";
import { runWindow, WHATIF_INLINE_MAX } from "../whatif/run";

const reader: Record<string, string[]>[] = [{ tenantKey: [] }, { adminToken: [] }];

const WhatIfRequest = z
  .object({
    rules: StoredOwnershipRules.optional().describe(
      "The proposal, as PUT …/ownership takes it (consumer secrets are never used: a what-if sends nothing). Absent: replay under the rules that were in force, which must reproduce what happened.",
    ),
    from: z.iso.datetime({ offset: true }).describe("Orders created at or after this instant"),
    to: z.iso.datetime({ offset: true }).describe("… and before this one"),
    until: z.iso.datetime({ offset: true }).optional().describe("Play SLA clocks and escalations up to this instant (default: now, the moment the trail is read)"),
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
      `at each level, exports added, removed or re-owned) and totals per step, contact and owning party, with revenue at risk. Windows of up to ${WHATIF_INLINE_MAX} orders run inline.`,
    security: reader,
    request: { params: z.object({ tenant: TenantId }), body: { content: { "application/json": { schema: WhatIfRequest } }, required: true } },
    responses: {
      200: { description: "The comparison", content: { "application/json": { schema: WhatIfRun } } },
      ...errorResponses(400, 401, 403, 422),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const body = c.req.valid("json");
    if (Date.parse(body.from) >= Date.parse(body.to)) throw new ApiError("validation_failed", "'from' must be before 'to'", [{ path: "from", message: "not before 'to'" }]);
    const run = await runWindow(c.env.DB, tenant, { rules: body.rules ?? null, from: new Date(body.from).toISOString(), to: new Date(body.to).toISOString() }, body.until === undefined ? Date.now() : Date.parse(body.until));
    if (!run.ok) throw new ApiError("window_too_large", run.message, { orders_at_least: run.orders, inline_max: WHATIF_INLINE_MAX });
    return c.json(run.result, 200);
  },
);
