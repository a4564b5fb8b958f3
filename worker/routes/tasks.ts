import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ResolveAction, Task } from "../../domain/tasks/task";
import { InventoryReceipt } from "../../domain/inventory/object";
import { Receipt } from "../../domain/order/object";
import { actorOf } from "../auth";
import type { AppEnv } from "../env";
import { TenantId } from "../names";
import { ApiError, errorResponses } from "../errors";
import { claimTask, getTask, listTasks, replayRejection, resolveTask, TaskQuery, TaskSummary } from "../tasks";

/** Accepted so older clients keep working, never trusted: the acting key's name is what is recorded. */
const Actor = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .optional()
  .openapi({ description: "Ignored (kept so older clients keep working): the task and the audit trail record the acting key's name", deprecated: true, example: "alice@agency.example" });
const params = z.object({ tenant: TenantId, id: z.string().max(200) });
const TaskBody = z.object({ task: Task });

export const taskRoutes = new OpenAPIHono<AppEnv>();

taskRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/tasks",
    operationId: "listTasks",
    tags: ["tasks"],
    summary: "The manual queue: oldest due first, filterable, keyset-paginated",
    request: { params: z.object({ tenant: TenantId }), query: TaskQuery },
    responses: {
      200: { description: "Tasks", content: { "application/json": { schema: z.object({ tasks: z.array(TaskSummary), next_cursor: z.string().nullable() }) } } },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => c.json(await listTasks(c.env, c.req.valid("param").tenant, c.req.valid("query")), 200),
);

taskRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/tasks/{id}",
    operationId: "getTask",
    tags: ["tasks"],
    summary: "One task with its evidence: receipts, exports and attempts, breaches, audit entries",
    request: { params },
    responses: { 200: { description: "Task", content: { "application/json": { schema: TaskBody } } }, ...errorResponses(401, 404) },
  }),
  async (c) => {
    const { tenant, id } = c.req.valid("param");
    const task = await getTask(c.env, tenant, id);
    if (!task) throw new ApiError("not_found", `No task '${id}'`);
    return c.json({ task }, 200);
  },
);

taskRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/tenants/{tenant}/tasks/{id}/claim",
    operationId: "claimTask",
    tags: ["tasks"],
    summary: "Claim a task (records time to first response)",
    request: { params, body: { content: { "application/json": { schema: z.object({ by: Actor }) } }, required: true } },
    responses: { 200: { description: "Claimed", content: { "application/json": { schema: TaskBody } } }, ...errorResponses(400, 401, 404, 409) },
  }),
  async (c) => {
    const { tenant, id } = c.req.valid("param");
    return c.json({ task: await claimTask(c.env, tenant, id, actorOf(c).name) }, 200);
  },
);

taskRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/tenants/{tenant}/tasks/{id}/resolve",
    operationId: "resolveTask",
    tags: ["tasks"],
    summary: "Resolve a task: close, replay the order through the current rules, or override with a new export version",
    request: {
      params,
      body: {
        content: {
          "application/json": {
            schema: z.object({
              resolution: z.string().trim().min(1).max(2000),
              justification: z.string().trim().min(1, "A justification is required").max(4000),
              action: ResolveAction,
              by: Actor,
            }),
          },
        },
        required: true,
      },
    },
    responses: { 200: { description: "Resolved", content: { "application/json": { schema: TaskBody } } }, ...errorResponses(400, 401, 404, 409, 422) },
  }),
  async (c) => {
    const { tenant, id } = c.req.valid("param");
    return c.json({ task: await resolveTask(c.env, tenant, id, { ...c.req.valid("json"), by: actorOf(c).name }) }, 200);
  },
);

taskRoutes.openapi(
  createRoute({
    method: "post",
    path: "/v1/tenants/{tenant}/rejections/{id}/replay",
    operationId: "replayRejection",
    tags: ["rejections"],
    summary: "Replay a refused delivery once its cause is fixed",
    description:
      "Only deliveries whose signature verified on arrival (`signature_verified: true`) can be replayed: signatures are not stored, so the recorded verification is the evidence. The stored body is mapped with the current adapters and committed like a fresh delivery (its idempotency key still dedupes). Closes the rejection's task.",
    request: {
      params,
      body: { content: { "application/json": { schema: z.object({ by: Actor, justification: z.string().trim().min(1).max(4000) }) } }, required: true },
    },
    responses: {
      202: { description: "Replayed and committed", content: { "application/json": { schema: z.object({ receipt: z.union([Receipt, InventoryReceipt]), rejection_id: z.string() }) } } },
      ...errorResponses(400, 401, 404, 409, 422),
    },
  }),
  async (c) => {
    const { tenant, id } = c.req.valid("param");
    const body = c.req.valid("json");
    const { receipt } = await replayRejection(c.env, tenant, id, actorOf(c).name, body.justification, true, {
      requestId: c.get("requestId"),
      traceparent: c.get("requestSpan").traceparent(),
    });
    return c.json({ receipt, rejection_id: id }, 202);
  },
);
