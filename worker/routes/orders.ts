import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, asc, eq } from "drizzle-orm";
import { verifyChain } from "../../durable-objects/order/audit-chain";
import { AuditEntry, OrderSnapshot } from "../../durable-objects/order/types";
import { requireTenantKey } from "../auth";
import { OrderId } from "../canonical";
import { db } from "../db/client";
import { auditLog } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError, errorResponses } from "../errors";
import { orderObject } from "../orders";

const params = z.object({ tenant: z.string(), order_id: OrderId });
const tenantKey = [{ tenantKey: [] }];

const AuditResponse = z
  .object({
    entries: z.array(AuditEntry),
    chain_valid: z.boolean(),
    chain: z.object({
      broken_at: z.number().int().nullable(),
      reason: z.string().nullable(),
      /** The D1 copy ends on the same hash the order object holds for that seq. */
      anchored: z.boolean(),
    }),
    /** Entries committed by the order object but not yet drained to D1. */
    pending: z.number().int(),
  })
  .openapi("AuditTrail");

export const orderRoutes = new OpenAPIHono<AppEnv>();
orderRoutes.use("/v1/tenants/:tenant/orders/*", requireTenantKey);


orderRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/orders/{order_id}",
    tags: ["orders"],
    summary: "The order as its Durable Object holds it: state, lock, milestones, receipts",
    security: tenantKey,
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
    tags: ["orders"],
    summary: "The order's audit trail from D1, with its hash chain verified",
    description:
      "Drains the order's outbox first (best effort), then recomputes the SHA-256 chain over the D1 rows and checks that it ends on the hash the order object itself holds.",
    security: tenantKey,
    request: { params },
    responses: {
      200: { description: "Audit trail", content: { "application/json": { schema: AuditResponse } } },
      ...errorResponses(401, 404),
    },
  }),
  async (c) => {
    const { tenant, order_id } = c.req.valid("param");
    const stub = orderObject(c.env, tenant, order_id);
    await stub.flush();
    const local = await stub.getAudit();
    const rows = await db(c.env.DB)
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.tenantId, tenant), eq(auditLog.orderId, order_id)))
      .orderBy(asc(auditLog.seq))
      .all();
    if (rows.length === 0 && local.entries.length === 0) throw new ApiError("order_not_found", `No order '${order_id}'`);
    const check = verifyChain(
      rows.map((r) => ({ tenant: r.tenantId, order_id: r.orderId, seq: r.seq, at: r.at, type: r.type, data: r.data, prev_hash: r.prevHash, hash: r.hash })),
    );
    // Anchored: every D1 row is the object's own entry for that seq, and every
    // entry the object considers drained is in D1. A drain landing between the
    // reads only adds matching rows, so live traffic never looks like tampering;
    // a truncated, rewritten or consistently rebuilt D1 chain does.
    const pending = new Set(local.pending_seqs);
    const bySeq = new Map(local.entries.map((e) => [e.seq, e.hash]));
    const inD1 = new Set(rows.map((r) => r.seq));
    const foreign = rows.find((r) => bySeq.get(r.seq) !== r.hash);
    const missing = local.entries.find((e) => !pending.has(e.seq) && !inD1.has(e.seq));
    const anchored = foreign === undefined && missing === undefined;
    const anchorBreak = foreign?.seq ?? missing?.seq ?? null;
    return c.json(
      {
        entries: rows.map((r) => ({ seq: r.seq, at: r.at, type: r.type, data: JSON.parse(r.data) as unknown, prev_hash: r.prevHash, hash: r.hash })),
        chain_valid: check.valid && anchored,
        chain: {
          broken_at: check.broken_at ?? anchorBreak,
          reason: check.reason ?? (anchored ? null : "D1 does not hold the chain the order object drained"),
          anchored,
        },
        pending: local.entries.filter((e) => !inD1.has(e.seq)).length,
      },
      200,
    );
  },
);
