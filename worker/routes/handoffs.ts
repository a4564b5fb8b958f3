import { OpenAPIHono, z } from "@hono/zod-openapi";
import { parseExportId, HandoffExport } from "../../domain/handoff/document";
import { AckResponse } from "../../domain/order/object";
import { cancelledExportId } from "../../domain/handoff/cancellation";
import type { AppEnv } from "../env";
import { ApiError, errorResponses } from "../errors";
import { sha256Hex } from "../../domain/crypto";
import { checkPathNames, ExportIdParam, TenantId } from "../names";
import { anyOf, PUBLIC } from "../openapi";
import { orderObject } from "../orders";
import { readCapped } from "../lib/read-capped";
import { reject } from "../rejections";
import { tenantExists } from "../tenancy";

const MAX_ACK_BYTES = 64 * 1024;
const ACK_EVIDENCE = ["content-type", "user-agent", "webhook-id", "webhook-timestamp"];

export const handoffRoutes = new OpenAPIHono<AppEnv>();

handoffRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: "/v1/tenants/{tenant}/exports/{export_id}/ack",
  operationId: "ackExport",
  security: anyOf("standardWebhooks"),
  tags: ["handoffs"],
  summary: "A consumer acknowledges (accepts or rejects) an export",
  description:
    "Signed as a Standard Webhook with the consumer's secret from the ownership rules (`webhook-id`, `webhook-timestamp`, `webhook-signature`). Idempotent: a repeated ack answers `duplicate: true`. A rejection puts the order on hold with an exception record. A cancellation (`export.cancelled`, id `cxl_<export_id>`) is acked here under its own id: `accepted` releases the replacement, `rejected` holds the order for a person.",
  request: {
    params: z.object({ tenant: TenantId, export_id: ExportIdParam }),
    headers: z.object({
      "webhook-id": z.string().openapi({ description: "Message id; signed." }),
      "webhook-timestamp": z.string().openapi({ description: "Unix seconds; signed; 300 s tolerance." }),
      "webhook-signature": z.string().openapi({ description: "See standardWebhooks: keyed with the consumer's secret from the ownership rules." }),
    }),
    body: {
      content: { "application/json": { schema: z.object({ status: z.enum(["accepted", "rejected"]), reason: z.string().optional() }) } },
      required: true,
    },
  },
  responses: {
    200: { description: "Recorded", content: { "application/json": { schema: AckResponse } } },
    ...errorResponses(400, 401, 404, 413, 429),
  },
});

// Raw-bytes route like the webhook edge: the signature covers the exact body.
handoffRoutes.post("/v1/tenants/:tenant/exports/:export_id/ack", async (c) => {
  const tenant = c.req.param("tenant");
  const exportId = c.req.param("export_id");
  checkPathNames({ tenant: { value: tenant, schema: TenantId }, export: { value: exportId, schema: ExportIdParam } });
  if (!(await tenantExists(c.env, tenant))) throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);
  // Capped like a webhook's: an ack is small, and a public route must not buffer whatever it is sent.
  const read = await readCapped(c.req.raw, MAX_ACK_BYTES);
  const buf = read.bytes;
  const now = Date.now();
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((v, k) => {
    headers[k] = v;
  });
  const refuse = async (code: "payload_too_large" | "body_incomplete" | "not_found" | "signature_missing" | "signature_invalid" | "timestamp_stale" | "validation_failed", reason: string): Promise<never> => {
    const evidence: Record<string, string> = {};
    for (const h of ACK_EVIDENCE) if (headers[h] !== undefined) evidence[h] = headers[h].slice(0, 256);
    throw await reject(c.env, {
      tenant,
      source: `ack:${exportId}`.slice(0, 200),
      code,
      reason,
      headers: evidence,
      body: buf.subarray(0, 8192),
      bodySha256: await sha256Hex(buf),
      bodyBytes: read.total,
      truncated: read.truncated || buf.length > 8192,
      signatureVerified: false,
      now,
      // Export ids are the caller's to invent: every ack refusal of a tenant shares one budget.
      budget: "ack",
    });
  };
  if (read.truncated) return refuse("payload_too_large", `Ack body exceeds ${MAX_ACK_BYTES} bytes`);
  if (read.incomplete) return refuse("body_incomplete", `The connection was lost after ${buf.length} bytes of the ack; send it again`);
  // A cancellation is acked here too, under its own id, which carries the export's (and so the order's).
  const parsed = parseExportId(cancelledExportId(exportId) ?? exportId);
  if (!parsed) return refuse("not_found", `No export '${exportId}'`);
  const result = await orderObject(c.env, tenant, parsed.orderId).ack({ exportId, body: new TextDecoder().decode(buf), headers });
  if (!result.ok) return refuse(result.code, result.message);
  return c.json({ export_id: exportId, status: result.status, duplicate: result.duplicate }, 200);
});

handoffRoutes.openAPIRegistry.registerPath({
  method: "get",
  path: "/v1/schemas/export.json",
  operationId: "getExportSchema",
  security: PUBLIC,
  tags: ["handoffs"],
  summary: "JSON Schema of the handoff export consumers receive (generated from the zod schema)",
  responses: { 200: { description: "JSON Schema (draft 2020-12)", content: { "application/schema+json": { schema: z.record(z.string(), z.unknown()) } } } },
});

handoffRoutes.get("/v1/schemas/export.json", (c) => {
  c.header("content-type", "application/schema+json");
  return c.body(JSON.stringify(z.toJSONSchema(HandoffExport, { target: "draft-2020-12" }), null, 2));
});
