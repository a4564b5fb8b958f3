import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Sku } from "../../domain/inventory/events";
import { InventoryLevel } from "../../domain/inventory/object";
import { sql } from "drizzle-orm";
import { db } from "../db/client";
import { inventoryItems } from "../db/schema";
import type { AppEnv } from "../env";
import { errorResponses } from "../errors";
import { inventoryObject } from "../inventory";
import { TenantId } from "../names";
import { invalidateTenantCache } from "../tenancy";

const params = z.object({ tenant: TenantId, sku: Sku });
const tenantKey = [{ tenantKey: [] }];

export const inventoryRoutes = new OpenAPIHono<AppEnv>();

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

export const InventoryItemMapping = z
  .object({
    items: z
      .array(
        z.object({
          system: z.literal("shopify").describe("Whose item id this is (Shopify's inventory_item_id)"),
          item_id: z.string().regex(/^[0-9]{1,20}$/, "Shopify ids are digits"),
          sku: Sku,
        }),
      )
      .min(1)
      .max(500),
  })
  .openapi("InventoryItemMapping");


inventoryRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/tenants/{tenant}/inventory-items",
    operationId: "putInventoryItems",
    tags: ["inventory"],
    summary: "Map senders' stock items to SKUs (Shopify inventory_item_id → SKU)",
    description:
      "Shopify's `inventory_levels/update` names an inventory item, not a SKU. Each mapping here routes that item's stock messages to the SKU's inventory object; a message for an unmapped item is refused (422 `schema_mismatch`) and recorded, so it can be replayed once mapped.",
    security: tenantKey,
    request: { params: z.object({ tenant: TenantId }), body: { content: { "application/json": { schema: InventoryItemMapping } }, required: true } },
    responses: {
      200: { description: "Mappings stored", content: { "application/json": { schema: z.object({ stored: z.number().int() }) } } },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    // One row per item: the last mapping given for an item wins (one upsert may not touch a row twice).
    const items = [...new Map(c.req.valid("json").items.map((it) => [`${it.system}:${it.item_id}`, it])).values()];
    const at = new Date().toISOString();
    const d = db(c.env.DB);
    // 5 bound columns per row: 20 rows per statement stays under D1's 100 parameters.
    const statements = [];
    for (let i = 0; i < items.length; i += 20) {
      const rows = items.slice(i, i + 20).map((it) => ({ tenantId: tenant, system: it.system, itemId: it.item_id, sku: it.sku, updatedAt: at }));
      statements.push(
        d
          .insert(inventoryItems)
          .values(rows)
          .onConflictDoUpdate({ target: [inventoryItems.tenantId, inventoryItems.system, inventoryItems.itemId], set: { sku: sql`excluded.sku`, updatedAt: at } }),
      );
    }
    const [first, ...rest] = statements;
    if (first) await d.batch([first, ...rest]);
    invalidateTenantCache(tenant);
    return c.json({ stored: items.length }, 200);
  },
);
