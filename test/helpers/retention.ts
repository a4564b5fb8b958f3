import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { ArchiveManifest } from "../../domain/retention/archive";
import { reject } from "../../worker/rejections";
import { resolveTask } from "../../worker/tasks";
import { gunzip } from "../../worker/retention/archive-store";
import { orderStub, ORDER_DATA, post, setClock } from "./handoff";
import { ADMIN_TOKEN, call } from "./http";

export const DAY_MS = 86_400_000;

/**
 * An order whose events arrived in the past: the object's clock is pinned to
 * each event's time before it is posted, so its receipts and audit rows carry
 * those times exactly as they would have then; drained to D1.
 */
export async function pastOrder(tenant: string, orderId: string, created: number, accepted: number): Promise<void> {
  const o = orderStub(tenant, orderId);
  await setClock(o, created);
  expect((await post(tenant, "wms", "order.created", orderId, created, ORDER_DATA)).status).toBe(202);
  await setClock(o, created + 60_000);
  expect((await post(tenant, "wms", "payment.captured", orderId, created + 60_000, { amount: ORDER_DATA.total, payment_id: `pi_${orderId}` })).status).toBe(202);
  await setClock(o, accepted);
  const accept = { fulfillment_id: `WMS-FO-${orderId}`, location: "DC-EAST-1", export_id: `exp_${orderId}_v1` };
  expect((await post(tenant, "wms", "fulfillment.accepted", orderId, accepted, accept)).status).toBe(202);
  expect((await o.flush()).error).toBeNull();
}

/**
 * A genuine Standard Webhooks body that did not map, refused at `at` through the
 * real recording path (which opens its manual task), and that task closed an hour later.
 */
export async function pastRejection(tenant: string, at: number): Promise<{ rejectionId: string; taskId: string }> {
  const body = new TextEncoder().encode(JSON.stringify({ type: "fulfillment.teleported", order_id: "o-x", occurred_at: new Date(at).toISOString(), data: {} }));
  const err = await reject(env, {
    tenant,
    source: "wms",
    code: "unsupported_event",
    reason: "Unsupported event type 'fulfillment.teleported'",
    headers: { "content-type": "application/json", "webhook-id": `msg_${at}` },
    body,
    bodySha256: "0".repeat(64),
    bodyBytes: body.byteLength,
    truncated: false,
    signatureVerified: true,
    now: at,
    budget: { source: "wms" },
  });
  const rejectionId = (err.details as { rejection_id: string }).rejection_id;
  const task = await env.DB.prepare("SELECT task_id FROM tasks WHERE tenant_id = ? AND rejection_id = ?").bind(tenant, rejectionId).first<{ task_id: string }>();
  if (!task) throw new Error("the rejection opened no task");
  await resolveTask(env, tenant, task.task_id, { resolution: "sender fixed", justification: "WMS stopped sending teleports", action: "close", by: "ops@acme.example" }, at + 3_600_000);
  return { rejectionId, taskId: task.task_id };
}

export async function rowsOn(table: "audit_log" | "rejections" | "tasks", tenant: string, day: string): Promise<Record<string, unknown>[]> {
  const time = { audit_log: "at", rejections: "received_at", tasks: "resolved_at" }[table];
  const order = { audit_log: "order_id, seq", rejections: "id", tasks: "task_id" }[table];
  const extra = table === "audit_log" ? "AND order_id <> '~retention'" : "";
  // An order's entries are in audit_blocks since migration 0023: the view shows every entry as an audit_log row.
  const from = table === "audit_log" ? "audit_entries" : table;
  return (await env.DB.prepare(`SELECT * FROM ${from} WHERE tenant_id = ? AND substr(${time}, 1, 10) = ? ${extra} ORDER BY ${order}`).bind(tenant, day).all<Record<string, unknown>>()).results;
}

export async function manifestOf(tenant: string, day: string, table: string): Promise<ArchiveManifest> {
  const o = await env.ARCHIVE.get(`${tenant}/${day}/${table}.manifest.json`);
  if (!o) throw new Error(`no manifest for ${tenant} ${day} ${table}`);
  return o.json<ArchiveManifest>();
}

/** An archived object's bytes; throws when it is missing. */
export async function objectBytes(key: string): Promise<ArrayBuffer> {
  const o = await env.ARCHIVE.get(key);
  if (!o) throw new Error(`no archived object ${key}`);
  return o.arrayBuffer();
}

/** When R2 says the object was last written. */
export async function uploadedAt(key: string | undefined): Promise<number | undefined> {
  return key === undefined ? undefined : (await env.ARCHIVE.head(key))?.uploaded.getTime();
}

/** The archived rows of one table-day, parsed from the gzip parts. */
export async function archivedRows(m: ArchiveManifest): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const p of m.parts) {
    const text = await gunzip(await objectBytes(p.key));
    for (const line of text.split("\n")) if (line) out.push(JSON.parse(line) as Record<string, unknown>);
  }
  return out;
}

export async function checkpointChain(tenant: string): Promise<{ seq: number; data: string; prev_hash: string; hash: string; at: string; type: string }[]> {
  return (
    await env.DB.prepare("SELECT seq, at, type, data, prev_hash, hash FROM audit_log WHERE tenant_id = ? AND order_id = '~retention' ORDER BY seq")
      .bind(tenant)
      .all<{ seq: number; data: string; prev_hash: string; hash: string; at: string; type: string }>()
  ).results;
}

export async function putRetention(tenant: string, body: unknown): Promise<Response> {
  return call("PUT", `/v1/tenants/${tenant}/retention`, { token: ADMIN_TOKEN, body });
}
