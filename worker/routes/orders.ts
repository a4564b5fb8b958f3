import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { OrderSnapshot } from "../../domain/order/object";
import { AuditResponse, auditTrail } from "../audit";
import { OrderId } from "../../domain/events/canonical";
import type { AppEnv } from "../env";
import { TenantId } from "../names";
import { ApiError, errorResponses } from "../errors";
import { orderObject } from "../orders";

const params = z.object({ tenant: TenantId, order_id: OrderId });



export const orderRoutes = new OpenAPIHono<AppEnv>();


orderRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/orders/{order_id}",
    operationId: "getOrder",
    tags: ["orders"],
    summary: "The order as its Durable Object holds it: state, lock, milestones, receipts",
    request: { params },
    responses: {
      200: { description: "The order", content: { "application/json": { schema: z.object({ order: OrderSnapshot.extend({ id: z.string() }) }) } } },
      ...errorResponses(401, 404),
    },
  }),
  async (c) => {
    const { tenant, order_id } = c.req.valid("param");
    const snapshot = await orderObject(c.env, tenant, order_id).getOrder();
    if (!snapshot) throw new ApiError("order_not_found", `No order '${order_id}'`);
    return c.json({ order: { id: order_id, ...snapshot } }, 200);
  },
);

orderRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/orders/{order_id}/audit",
    operationId: "getOrderAudit",
    tags: ["orders"],
    summary: "The order's audit trail from D1, with its hash chain verified",
    description:
      "Drains the order's outbox first (best effort), then recomputes the SHA-256 chain over the D1 rows and checks that it ends on the hash the order object itself holds.",
    request: { params },
    responses: {
      200: { description: "Audit trail", content: { "application/json": { schema: AuditResponse } } },
      ...errorResponses(401, 404),
    },
  }),
  async (c) => {
    const { tenant, order_id } = c.req.valid("param");
    const trail = await auditTrail(c.env, tenant, order_id);
    if (!trail) throw new ApiError("order_not_found", `No order '${order_id}'`);
    return c.json(trail, 200);
  },
);
