import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { Contact, ContactInput, DirectoryId, Rotation, RotationInput } from "../../domain/notify/directory";
import { NotificationDelivery, UnreachableNotice } from "../../domain/notify/object";
import { actorOf } from "../auth";
import { recordAdmin } from "../admin-audit";
import { db } from "../db/client";
import { tenants } from "../db/schema";
import type { AppEnv, Env } from "../env";
import { ApiError, errorResponses } from "../errors";
import { TenantId } from "../names";
import { deleteContact, deleteRotation, getContact, getRotation, listContacts, listRotations, putContact, putRotation } from "../notify/directory";
import { notifierFor } from "../notify/notifier";

/**
 * Contacts and on-call rotations (admin config, like sources), and the
 * notifications a tenant's tasks and breaches produced (a read for anyone
 * with the tenant's key: who was told, when, through what).
 */

// Security requirements are written from worker/access/table.ts when the document is built.
const TenantParam = z.object({ tenant: TenantId });
const ContactParams = z.object({ tenant: TenantId, contact_id: DirectoryId });
const RotationParams = z.object({ tenant: TenantId, rotation_id: DirectoryId });
const Deleted = z.object({ deleted: z.literal(true) });

async function assertTenant(env: Env, tenant: string): Promise<void> {
  const row = await db(env.DB).select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenant)).get();
  if (!row) throw new ApiError("tenant_not_found", `Unknown tenant '${tenant}'`);
}

export const contactRoutes = new OpenAPIHono<AppEnv>();

contactRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/tenants/{tenant}/contacts/{contact_id}",
    operationId: "putContact",
    tags: ["notifications"],
    summary: "Create or replace a contact and its channels",
    description: "Slack and webhook URLs, PagerDuty routing keys and webhook secrets are sealed at rest and only ever returned as keyed fingerprints.",
    request: { params: ContactParams, body: { content: { "application/json": { schema: ContactInput } }, required: true } },
    responses: {
      200: { description: "Stored", content: { "application/json": { schema: z.object({ contact: Contact }) } } },
      ...errorResponses(400, 401, 404, 409),
    },
  }),
  async (c) => {
    const { tenant, contact_id } = c.req.valid("param");
    await assertTenant(c.env, tenant);
    const input = c.req.valid("json");
    const contact = await putContact(c.env, tenant, contact_id, input);
    // Channel types only: the channels themselves are credentials.
    await recordAdmin(c.env, tenant, actorOf(c), "contact.put", { contact_id, name: input.name, channels: input.channels.map((ch) => ch.type) });
    return c.json({ contact }, 200);
  },
);

contactRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/contacts",
    operationId: "listContacts",
    tags: ["notifications"],
    summary: "The tenant's contacts",
    request: { params: TenantParam },
    responses: { 200: { description: "Contacts by id", content: { "application/json": { schema: z.object({ contacts: z.array(Contact) }) } } }, ...errorResponses(401, 404) },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    await assertTenant(c.env, tenant);
    return c.json({ contacts: await listContacts(c.env, tenant) }, 200);
  },
);

contactRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/contacts/{contact_id}",
    operationId: "getContact",
    tags: ["notifications"],
    summary: "One contact",
    request: { params: ContactParams },
    responses: { 200: { description: "The contact", content: { "application/json": { schema: z.object({ contact: Contact }) } } }, ...errorResponses(400, 401, 404) },
  }),
  async (c) => {
    const { tenant, contact_id } = c.req.valid("param");
    const contact = await getContact(c.env, tenant, contact_id);
    if (!contact) throw new ApiError("not_found", `No contact '${contact_id}'`);
    return c.json({ contact }, 200);
  },
);

contactRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/v1/tenants/{tenant}/contacts/{contact_id}",
    operationId: "deleteContact",
    tags: ["notifications"],
    summary: "Delete a contact (refused while a rotation names it)",
    request: { params: ContactParams },
    responses: { 200: { description: "Deleted", content: { "application/json": { schema: Deleted } } }, ...errorResponses(400, 401, 404, 409) },
  }),
  async (c) => {
    const { tenant, contact_id } = c.req.valid("param");
    if (!(await deleteContact(c.env, tenant, contact_id))) throw new ApiError("not_found", `No contact '${contact_id}'`);
    await recordAdmin(c.env, tenant, actorOf(c), "contact.deleted", { contact_id });
    return c.json({ deleted: true as const }, 200);
  },
);

contactRoutes.openapi(
  createRoute({
    method: "put",
    path: "/v1/tenants/{tenant}/rotations/{rotation_id}",
    operationId: "putRotation",
    tags: ["notifications"],
    summary: "Create or replace an on-call rotation",
    description: "Members (contacts) take turns of `shift` from `starts_at`; an override covering a moment replaces the turn. Who is on call is resolved at the moment of each escalation.",
    request: { params: RotationParams, body: { content: { "application/json": { schema: RotationInput } }, required: true } },
    responses: {
      200: { description: "Stored", content: { "application/json": { schema: z.object({ rotation: Rotation }) } } },
      ...errorResponses(400, 401, 404, 409),
    },
  }),
  async (c) => {
    const { tenant, rotation_id } = c.req.valid("param");
    await assertTenant(c.env, tenant);
    const input = c.req.valid("json");
    const rotation = await putRotation(c.env, tenant, rotation_id, input);
    await recordAdmin(c.env, tenant, actorOf(c), "rotation.put", { rotation_id, members: input.members, shift: input.shift, starts_at: input.starts_at, overrides: input.overrides.length });
    return c.json({ rotation }, 200);
  },
);

contactRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/rotations",
    operationId: "listRotations",
    tags: ["notifications"],
    summary: "The tenant's rotations, each with who is on call now",
    request: { params: TenantParam },
    responses: { 200: { description: "Rotations by id", content: { "application/json": { schema: z.object({ rotations: z.array(Rotation) }) } } }, ...errorResponses(401, 404) },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    await assertTenant(c.env, tenant);
    return c.json({ rotations: await listRotations(c.env, tenant) }, 200);
  },
);

contactRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/rotations/{rotation_id}",
    operationId: "getRotation",
    tags: ["notifications"],
    summary: "One rotation",
    request: { params: RotationParams },
    responses: { 200: { description: "The rotation", content: { "application/json": { schema: z.object({ rotation: Rotation }) } } }, ...errorResponses(400, 401, 404) },
  }),
  async (c) => {
    const { tenant, rotation_id } = c.req.valid("param");
    const rotation = await getRotation(c.env, tenant, rotation_id);
    if (!rotation) throw new ApiError("not_found", `No rotation '${rotation_id}'`);
    return c.json({ rotation }, 200);
  },
);

contactRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/v1/tenants/{tenant}/rotations/{rotation_id}",
    operationId: "deleteRotation",
    tags: ["notifications"],
    summary: "Delete a rotation",
    request: { params: RotationParams },
    responses: { 200: { description: "Deleted", content: { "application/json": { schema: Deleted } } }, ...errorResponses(400, 401, 404) },
  }),
  async (c) => {
    const { tenant, rotation_id } = c.req.valid("param");
    if (!(await deleteRotation(c.env, tenant, rotation_id))) throw new ApiError("not_found", `No rotation '${rotation_id}'`);
    await recordAdmin(c.env, tenant, actorOf(c), "rotation.deleted", { rotation_id });
    return c.json({ deleted: true as const }, 200);
  },
);

contactRoutes.openapi(
  createRoute({
    method: "get",
    path: "/v1/tenants/{tenant}/notifications",
    operationId: "listNotifications",
    tags: ["notifications"],
    summary: "Who was notified, when and through what: every delivery with its attempts, and notices that reached nobody",
    request: {
      params: TenantParam,
      query: z.object({
        task_id: z.string().max(256).optional().describe("A task (or breach) id: the notifications about it"),
        order_id: z.string().max(128).optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(200),
      }),
    },
    responses: {
      200: {
        description: "Newest first",
        content: { "application/json": { schema: z.object({ deliveries: z.array(NotificationDelivery), unreachable: z.array(UnreachableNotice) }) } },
      },
      ...errorResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { tenant } = c.req.valid("param");
    const q = c.req.valid("query");
    await assertTenant(c.env, tenant);
    const out = await notifierFor(c.env, tenant).history({ subject: q.task_id, order_id: q.order_id, limit: q.limit });
    return c.json(out, 200);
  },
);
