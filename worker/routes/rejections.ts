import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { and, count, desc, eq, lt, or, type SQL } from "drizzle-orm";
import { db } from "../db/client";
import { rejections, type RejectionRow } from "../db/schema";
import type { AppEnv } from "../env";
import { TenantId } from "../names";
import { ApiError, errorResponses } from "../errors";

const Rejection = z
  .object({
    id: z.string(),
    source: z.string(),
    status: z.number().int(),
    code: z.string(),
    reason: z.string(),
    details: z.unknown(),
    headers: z.record(z.string(), z.string()),
    body_sha256: z.string(),
    body_bytes: z.number().int(),
    body_truncated: z.boolean(),
    signature_verified: z.boolean().openapi({ description: "Refused after the signature verified: the body is genuine" }),
    received_at: z.string(),
  })
  .openapi("Rejection");
const RejectionWithBody = Rejection.extend({
  body_base64: z.string().openapi({ description: "The raw body as received (up to 1 MiB), for inspection and replay." }),
}).openapi("RejectionWithBody");

function view(r: RejectionRow): z.infer<typeof Rejection> {
  return {
    id: r.id,
    source: r.source,
    status: r.status,
    code: r.code,
    reason: r.reason,
    details: r.details,
    headers: r.headers,
    body_sha256: r.bodySha256,
    body_bytes: r.bodyBytes,
    body_truncated: r.bodyTruncated,
    signature_verified: r.signatureVerified,
    received_at: r.receivedAt,
  };
}

export const rejectionRoutes = new OpenAPIHono<AppEnv>();

rejectionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/rejections",
    operationId: "listRejections",
    tags: ["rejections"],
    summary: "Refused inbound deliveries, newest first, with counts per source and code",
    request: {
      params: z.object({ tenant: TenantId }),
      query: z.object({
        source: z.string().optional(),
        code: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
        cursor: z.string().optional().openapi({ description: "next_cursor from the previous page" }),
      }),
    },
    responses: {
      200: {
        description: "Rejections",
        content: {
          "application/json": {
            schema: z.object({
              rejections: z.array(Rejection),
              counts: z.array(z.object({ source: z.string(), code: z.string(), count: z.number().int() })),
              next_cursor: z.string().nullable(),
            }),
          },
        },
      },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const q = c.req.valid("query");
    const filters: SQL[] = [eq(rejections.tenantId, tenant)];
    if (q.source) filters.push(eq(rejections.source, q.source));
    if (q.code) filters.push(eq(rejections.code, q.code));
    const base = and(...filters);
    let page = base;
    if (q.cursor) {
      const [at, id] = q.cursor.split("|");
      if (!at || !id) throw new ApiError("validation_failed", "Malformed cursor");
      page = and(base, or(lt(rejections.receivedAt, at), and(eq(rejections.receivedAt, at), lt(rejections.id, id))));
    }
    const d = db(c.env.DB);
    const rows = await d
      .select()
      .from(rejections)
      .where(page)
      .orderBy(desc(rejections.receivedAt), desc(rejections.id))
      .limit(q.limit + 1)
      .all();
    const counts = await d
      .select({ source: rejections.source, code: rejections.code, count: count() })
      .from(rejections)
      .where(base)
      .groupBy(rejections.source, rejections.code)
      .all();
    const pageRows = rows.slice(0, q.limit);
    const last = pageRows.at(-1);
    return c.json(
      {
        rejections: pageRows.map(view),
        counts,
        next_cursor: rows.length > q.limit && last ? `${last.receivedAt}|${last.id}` : null,
      },
      200,
    );
  },
);

rejectionRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/rejections/{id}",
    operationId: "getRejection",
    tags: ["rejections"],
    summary: "One rejection with its raw body",
    request: { params: z.object({ tenant: TenantId, id: z.string() }) },
    responses: {
      200: { description: "Rejection", content: { "application/json": { schema: z.object({ rejection: RejectionWithBody }) } } },
      ...errorResponses(401, 404),
    },
  }),
  async (c) => {
    const { tenant, id } = c.req.valid("param");
    const row = await db(c.env.DB)
      .select()
      .from(rejections)
      .where(and(eq(rejections.tenantId, tenant), eq(rejections.id, id)))
      .get();
    if (!row) throw new ApiError("not_found", `No rejection '${id}'`);
    return c.json({ rejection: { ...view(row), body_base64: row.bodyBase64 } }, 200);
  },
);
