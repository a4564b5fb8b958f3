import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { CampaignId, CampaignInput } from "../../domain/watchers/campaign";
import { actorOf } from "../auth";
import type { AppEnv } from "../env";
import { errorResponses } from "../errors";
import { TenantId } from "../names";
import { cancelCampaign, createCampaign, getCampaign, listCampaigns } from "../watchers/campaign-store";

/**
 * Campaign pre-flight (issue 13): the inbound volume an owner signs off on
 * before a launch. Writes are merchant configuration and go on the admin
 * audit (with `signed_off_by` next to the acting key's name) and on the
 * watchers' chain; reads are for anyone with the tenant's key.
 */

const Campaign = z
  .object({
    id: z.string(),
    name: z.string(),
    starts_at: z.string(),
    ends_at: z.string(),
    expected: z.record(z.string(), z.object({ per_hour: z.number() })),
    signed_off_by: z.string(),
    status: z.enum(["scheduled", "running", "ended", "cancelled"]),
    created_by: z.string().describe("The acting key's name"),
    created_at: z.string(),
    cancelled_at: z.string().nullable(),
    cancelled_by: z.string().nullable(),
    cancel_reason: z.string().nullable(),
  })
  .openapi("Campaign");
const Params = z.object({ tenant: TenantId, campaign_id: CampaignId });
const One = z.object({ campaign: Campaign });

export const campaignRoutes = new OpenAPIHono<AppEnv>();

campaignRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/tenants/{tenant}/campaigns",
    operationId: "createCampaign",
    tags: ["watchers"],
    summary: "Sign off a campaign's expected inbound volume per source",
    description:
      "While the campaign runs, `expected.<source>.per_hour` replaces that source's learned baseline: verified volume under half of it (and, for small numbers, more than 3 σ under it) opens one `volume_below_expected` task per campaign, source and shortfall. Idempotent on `id` (the same body again: 200 with the stored campaign; a different body: 409 `conflict`). 400 when `ends_at` is not after `starts_at`, the campaign is over, lasts over 31 days, a `per_hour` is not positive or a source is unknown; 409 `campaign_overlap` when a live campaign already expects one of these sources in an overlapping window.",
    request: { params: z.object({ tenant: TenantId }), body: { content: { "application/json": { schema: CampaignInput } }, required: true } },
    responses: {
      201: { description: "Signed off", content: { "application/json": { schema: One } } },
      200: { description: "The same campaign was already signed off", content: { "application/json": { schema: One } } },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const { campaign, created } = await createCampaign(c.env, tenant, c.req.valid("json"), actorOf(c));
    return created ? c.json({ campaign }, 201) : c.json({ campaign }, 200);
  },
);

campaignRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/campaigns",
    operationId: "listCampaigns",
    tags: ["watchers"],
    summary: "The tenant's campaigns, latest start first (at most 500)",
    request: { params: z.object({ tenant: TenantId }) },
    responses: { 200: { description: "Campaigns", content: { "application/json": { schema: z.object({ campaigns: z.array(Campaign) }) } } }, ...errorResponses(401, 404) },
  }),
  async (c) => c.json({ campaigns: await listCampaigns(c.env, c.req.valid("param").tenant) }, 200),
);

campaignRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/campaigns/{campaign_id}",
    operationId: "getCampaign",
    tags: ["watchers"],
    summary: "One campaign",
    request: { params: Params },
    responses: { 200: { description: "The campaign", content: { "application/json": { schema: One } } }, ...errorResponses(400, 401, 404) },
  }),
  async (c) => {
    const { tenant, campaign_id } = c.req.valid("param");
    return c.json({ campaign: await getCampaign(c.env, tenant, campaign_id) }, 200);
  },
);

campaignRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/tenants/{tenant}/campaigns/{campaign_id}/cancel",
    operationId: "cancelCampaign",
    tags: ["watchers"],
    summary: "Cancel a campaign: its expectation stops applying, and the next watcher run closes its shortfall tasks",
    description: "Cancelled, never deleted (a task may name it). Cancelling again answers the cancelled campaign; an ended campaign cannot be cancelled (409).",
    request: {
      params: Params,
      body: { content: { "application/json": { schema: z.strictObject({ reason: z.string().trim().min(1).max(500).optional() }) } }, required: false },
    },
    responses: { 200: { description: "Cancelled", content: { "application/json": { schema: One } } }, ...errorResponses(400, 401, 403, 404, 409) },
  }),
  async (c) => {
    const { tenant, campaign_id } = c.req.valid("param");
    const body = c.req.valid("json");
    return c.json({ campaign: await cancelCampaign(c.env, tenant, campaign_id, body?.reason ?? null, actorOf(c)) }, 200);
  },
);
