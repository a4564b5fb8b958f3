import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ChannelName, StockChannelInput, StockChannelView } from "../../domain/inventory/channels";
import { actorOf } from "../auth";
import { recordAdmin } from "../admin-audit";
import type { AppEnv } from "../env";
import { ApiError, errorResponses } from "../errors";
import { TenantId } from "../names";
import { deleteStockChannel, listStockChannels, putStockChannel } from "../stock-channels";
import { announceToSkus } from "../inventory-skus";

const tenantKey = [{ tenantKey: [] }];
const one = z.object({ tenant: TenantId, channel: ChannelName });

export const stockChannelRoutes = new OpenAPIHono<AppEnv>();

stockChannelRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/tenants/{tenant}/stock-channels/{channel}",
    operationId: "putStockChannel",
    tags: ["inventory"],
    summary: "Create or replace a stock channel (a marketplace, the storefront) that receives every SKU's level",
    description:
      "Every SKU the tenant tracks sends a channel its current level as soon as the channel is added; after that, every stock change of every SKU is sent to each channel as a signed Standard Webhooks `inventory.level` message, retried, coalesced (a channel that was down gets the latest level, not every step) and versioned (`data.version` and `webhook-id` grow with every change; drop a message whose version is lower than one you applied). The secret is sealed before it reaches D1 and never returned. Recorded on the admin audit.",
    security: tenantKey,
    request: { params: one, body: { content: { "application/json": { schema: StockChannelInput } }, required: true } },
    responses: {
      200: { description: "Stored", content: { "application/json": { schema: StockChannelView } } },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const { tenant, channel } = c.req.valid("param");
    const stored = await putStockChannel(c.env, tenant, channel, c.req.valid("json"));
    await recordAdmin(c.env, tenant, actorOf(c), "stock_channel.put", { channel, url: stored.url, secret_fingerprint: stored.secret_fingerprint });
    // Every tracked SKU sends the channel its current level now, after the answer (one object call per SKU).
    c.executionCtx.waitUntil(announceToSkus(c.env, tenant).catch((err: unknown) => console.error("stock channel announcement", err)));
    return c.json(stored, 200);
  },
);

stockChannelRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/stock-channels",
    operationId: "listStockChannels",
    tags: ["inventory"],
    summary: "The tenant's stock channels (secrets shown only as fingerprints)",
    security: tenantKey,
    request: { params: z.object({ tenant: TenantId }) },
    responses: {
      200: { description: "The channels", content: { "application/json": { schema: z.object({ channels: z.array(StockChannelView) }) } } },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => c.json({ channels: await listStockChannels(c.env, c.req.valid("param").tenant) }, 200),
);

stockChannelRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/v1/tenants/{tenant}/stock-channels/{channel}",
    operationId: "deleteStockChannel",
    tags: ["inventory"],
    summary: "Stop sending stock levels to a channel",
    security: tenantKey,
    request: { params: one },
    responses: {
      204: { description: "Removed" },
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const { tenant, channel } = c.req.valid("param");
    if (!(await deleteStockChannel(c.env, tenant, channel))) throw new ApiError("not_found", `No stock channel '${channel}'`);
    await recordAdmin(c.env, tenant, actorOf(c), "stock_channel.delete", { channel });
    return c.body(null, 204);
  },
);
