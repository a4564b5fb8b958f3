import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Sku } from "../../domain/inventory/events";
import { InventoryLevel } from "../../domain/inventory/object";
import { requireTenantKey } from "../auth";
import type { AppEnv } from "../env";
import { errorResponses } from "../errors";
import { inventoryObject } from "../inventory";
import { TenantId } from "../names";

const params = z.object({ tenant: TenantId, sku: Sku });
const tenantKey = [{ tenantKey: [] }];

export const inventoryRoutes = new OpenAPIHono<AppEnv>();
inventoryRoutes.use("/v1/tenants/:tenant/inventory/*", requireTenantKey);

inventoryRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/inventory/{sku}",
    operationId: "getInventory",
    tags: ["inventory"],
    summary: "One SKU's stock as its inventory object holds it: on hand, reserved, available, the reservations",
    description: "A SKU no sender has reported and no order has reserved reads as zero stock.",
    security: tenantKey,
    request: { params },
    responses: {
      200: { description: "The level", content: { "application/json": { schema: InventoryLevel } } },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant, sku } = c.req.valid("param");
    return c.json(await inventoryObject(c.env, tenant, sku).getLevel(sku), 200);
  },
);

export const InventorySettings = z
  .object({
    oversell_buffer: z.number().int().min(0).max(1_000_000).describe("Units that may be promised beyond on hand (default 0)"),
  })
  .openapi("InventorySettings");

inventoryRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/tenants/{tenant}/inventory/{sku}/settings",
    operationId: "putInventorySettings",
    tags: ["inventory"],
    summary: "Set a SKU's oversell buffer",
    security: tenantKey,
    request: { params, body: { content: { "application/json": { schema: InventorySettings } }, required: true } },
    responses: {
      200: { description: "The level under the new buffer", content: { "application/json": { schema: InventoryLevel } } },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant, sku } = c.req.valid("param");
    const body = c.req.valid("json");
    return c.json(await inventoryObject(c.env, tenant, sku).configure({ tenant, sku, oversellBuffer: body.oversell_buffer }), 200);
  },
);
