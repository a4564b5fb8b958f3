import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { exportId } from "../../../domain/handoff/document";
import type { Task } from "../../../domain/tasks/task";
import { eq } from "drizzle-orm";
import { db } from "../../../worker/db/client";
import { rejections } from "../../../worker/db/schema";
import { toBase64, utf8 } from "../../../domain/crypto";
import { openRejectionTask } from "../../../worker/tasks";
import { standardHeaders } from "../../../cli/sign";
import { freshScenario, requests, script } from "../../helpers/consumer";
import { advance, getOrder, handoffTenant, orderStub, ORDER_DATA, paidOrder, post, setClock, TEST_SLA } from "../../helpers/handoff";
import { call, expectError, json, keyFor, SECRETS, settleAlarms } from "../../helpers/http";

afterEach(settleAlarms);

function t0(): number {
  return Math.ceil((Date.now() + 60_000) / 1000) * 1000;
}

type Summary = Omit<Task, "evidence">;

async function tasks(tenant: string, key: string, query = ""): Promise<Summary[]> {
  const res = await call("GET", `/v1/tenants/${tenant}/tasks${query}`, { token: key });
  expect(res.status).toBe(200);
  return (await json<{ tasks: Summary[] }>(res)).tasks;
}

async function task(tenant: string, key: string, id: string): Promise<Task> {
  const res = await call("GET", `/v1/tenants/${tenant}/tasks/${id}`, { token: key });
  expect(res.status).toBe(200);
  return (await json<{ task: Task }>(res)).task;
}

/** Acts with the key of the person `body.by` names: the task records the key's name, never the body's `by`. */
async function act(tenant: string, _key: string, id: string, verb: "claim" | "resolve", body: { by: string } & Record<string, unknown>): Promise<Response> {
  return call("POST", `/v1/tenants/${tenant}/tasks/${id}/${verb}`, { token: await keyFor(tenant, body.by), body });
}

describe("a rejected delivery becomes a task with evidence; replay sends it again and the order completes", () => {
  it("opens, claims, replays, and the order reaches delivered", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("q-rej", wms, freshScenario("carrier"));
    await script(wms, [{ status: 422, body: '{"error":"unknown SKU MUG-01"}' }]);
    const T0 = t0();
    const o = orderStub("q-rej", "r-1");
    await setClock(o, T0);
    await paidOrder("q-rej", "r-1", T0);
    await advance(o, T0);
    await o.flush();

    const [t] = await tasks("q-rej", key, "?type=consumer_rejected");
    expect(t).toMatchObject({ order_id: "r-1", status: "open", owner: "routing@agency.example", step: "routing", level: 0, value: ORDER_DATA.total });
    const full = await task("q-rej", key, t?.task_id ?? "");
    const ev = full.evidence as { exports: { export_id: string; attempts: { status: number }[] }[]; receipts: unknown[]; audit: { type: string }[] };
    expect(ev.exports[0]?.attempts.map((a) => a.status)).toEqual([422]);
    expect(ev.receipts).toHaveLength(2);
    expect(ev.audit.map((a) => a.type)).toContain("export.escalated");

    await setClock(o, T0 + 5000);
    const claimed = await json<{ task: Task }>(await act("q-rej", key, full.task_id, "claim", { by: "alice" }));
    expect(claimed.task).toMatchObject({ status: "claimed", claimed_by: "alice", time_to_first_response_ms: 5000 });
    await expectError(await act("q-rej", key, full.task_id, "claim", { by: "bob" }), 409, "conflict");

    await script(wms, [], { status: 200 });
    const resolved = await act("q-rej", key, full.task_id, "resolve", { by: "alice", action: "replay", resolution: "SKU added to the DC catalogue", justification: "WMS catalogue fixed by 3PL" });
    expect(resolved.status).toBe(200);
    expect((await json<{ task: Task }>(resolved)).task).toMatchObject({ status: "resolved", action: "replay", resolved_by: "alice", time_to_resolve_ms: 5000 });
    let order = await getOrder("q-rej", "r-1", key);
    expect(order.holds).toEqual([]);
    expect(order.exports.map((e) => [e.export.version, e.status])).toEqual([
      [1, "superseded"],
      [2, "pending"],
    ]);
    await advance(o, T0 + 5000);
    expect((await requests(wms)).map((r) => r.headers["webhook-id"])).toEqual([exportId("fulfil_order", 1, "r-1"), exportId("fulfil_order", 2, "r-1")]);
    for (const [type, at] of [
      ["fulfillment.accepted", T0 + 6000],
      ["shipment.shipped", T0 + 7000],
      ["shipment.delivered", T0 + 8000],
    ] as const) {
      expect((await post("q-rej", type === "fulfillment.accepted" ? "wms" : "carrier", type, "r-1", at, {})).status).toBe(202);
    }
    order = await getOrder("q-rej", "r-1", key);
    expect(order.state).toBe("delivered");
    await expectError(await act("q-rej", key, full.task_id, "resolve", { by: "bob", action: "close", resolution: "x", justification: "y" }), 409, "conflict");
  });

  it("override issues a new export version carrying the justification", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("q-ovr", wms, freshScenario("carrier"));
    await script(wms, [{ status: 409, body: "duplicate order number" }], { status: 200 });
    const T0 = t0();
    const o = orderStub("q-ovr", "v-1");
    await setClock(o, T0);
    await paidOrder("q-ovr", "v-1", T0);
    await advance(o, T0);
    await o.flush();
    const [t] = await tasks("q-ovr", key, "?status=open");
    await expectError(await act("q-ovr", key, t?.task_id ?? "", "resolve", { by: "carol", action: "override", resolution: "force", justification: "" }), 400, "validation_failed");
    const res = await act("q-ovr", key, t?.task_id ?? "", "resolve", { by: "carol", action: "override", resolution: "send anyway", justification: "WMS confirmed the duplicate flag is stale" });
    expect(res.status).toBe(200);
    await advance(o, T0);
    const sent = await requests(wms);
    const v2 = JSON.parse(sent.at(-1)?.body ?? "{}") as { version: number; justification: string | null; supersedes: string | null };
    expect(v2).toMatchObject({ version: 2, justification: "WMS confirmed the duplicate flag is stale", supersedes: exportId("fulfil_order", 1, "v-1") });
  });
});

describe("an SLA breach becomes a task that escalates while nobody resolves it", () => {
  it("payment never captured: payment_not_captured task, owner then backup, closed with a reason", async () => {
    const key = await handoffTenant("q-sla", freshScenario("wms"), freshScenario("carrier"));
    const T0 = t0();
    const o = orderStub("q-sla", "s-1");
    await setClock(o, T0);
    expect((await post("q-sla", "wms", "order.created", "s-1", T0, ORDER_DATA)).status).toBe(202);
    expect((await post("q-sla", "wms", "payment.authorized", "s-1", T0, { amount: ORDER_DATA.total })).status).toBe(202);
    await advance(o, T0 + TEST_SLA.payment);
    await o.flush();
    const [t] = await tasks("q-sla", key, "?type=payment_not_captured");
    expect(t).toMatchObject({ status: "open", owner: "finance@acme.example", level: 0, step: "payment" });
    // The task's own due time passes with nobody on it: it moves to the backup.
    await advance(o, Date.parse(t?.sla_due ?? ""));
    await o.flush();
    const [up] = await tasks("q-sla", key, "?type=payment_not_captured");
    expect(up).toMatchObject({ level: 1, owner: "ops@acme.example" });
    expect(await tasks("q-sla", key, "?owner=ops%40acme.example")).toHaveLength(1);
    const res = await act("q-sla", key, up?.task_id ?? "", "resolve", { by: "dan", action: "close", resolution: "customer cancelled by phone", justification: "called the customer" });
    expect((await json<{ task: Task }>(res)).task.status).toBe("resolved");
  });

  it("lists overdue tasks first and pages with a cursor", async () => {
    const key = await handoffTenant("q-page", freshScenario("wms"), freshScenario("carrier"));
    const T0 = t0();
    for (let i = 0; i < 3; i++) {
      const o = orderStub("q-page", `p-${i}`);
      await setClock(o, T0 + i * 1000);
      expect((await post("q-page", "wms", "order.created", `p-${i}`, T0, ORDER_DATA)).status).toBe(202);
      await advance(o, T0 + TEST_SLA.payment + i * 1000);
      await o.flush();
    }
    const all = await tasks("q-page", key);
    expect(all.map((x) => x.order_id)).toEqual(["p-0", "p-1", "p-2"]);
    const first = await json<{ tasks: Summary[]; next_cursor: string }>(await call("GET", "/v1/tenants/q-page/tasks?limit=2", { token: key }));
    const rest = await json<{ tasks: Summary[]; next_cursor: string | null }>(await call("GET", `/v1/tenants/q-page/tasks?limit=2&cursor=${encodeURIComponent(first.next_cursor)}`, { token: key }));
    expect([...first.tasks, ...rest.tasks].map((x) => x.task_id)).toEqual(all.map((x) => x.task_id));
    expect(rest.next_cursor).toBeNull();
    expect(await tasks("q-page", key, "?overdue=false")).toHaveLength(3);
    await expectError(await call("GET", "/v1/tenants/q-page/tasks?status=nope", { token: key }), 400, "validation_failed");
  });
});

describe("a conflicting change to a locked field", () => {
  it("opens a task for the customer step; closing it releases the hold and keeps the conflict", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("q-lock", wms, freshScenario("carrier"));
    await script(wms, [], { status: 200 });
    const T0 = t0();
    const o = orderStub("q-lock", "l-1");
    await setClock(o, T0);
    await paidOrder("q-lock", "l-1", T0);
    expect((await post("q-lock", "wms", "order.updated", "l-1", T0 + 1000, { shipping_address: { city: "Paris" } })).status).toBe(202);
    await o.flush();
    const [t] = await tasks("q-lock", key, "?type=locked_field_conflict");
    expect(t).toMatchObject({ step: "customer", status: "open" });
    expect((await getOrder("q-lock", "l-1", key)).state).toBe("on_hold");
    await act("q-lock", key, t?.task_id ?? "", "resolve", { by: "erin", action: "close", resolution: "address confirmed unchanged", justification: "customer confirmed by email" });
    const order = await getOrder("q-lock", "l-1", key);
    expect(order.state).toBe("routed");
    expect(order.conflicts).toHaveLength(1);
  });
});

describe("a schema-mismatched webhook becomes a task; replay once the mapping is fixed", () => {
  it("opens an orderless task owned by the routing owner; a replay that still fails leaves it open", async () => {
    const key = await handoffTenant("q-schema", freshScenario("wms"), freshScenario("carrier"));
    const bad = JSON.stringify({ type: "shipment.shipped", order_id: "m-1", occurred_at: "last tuesday", data: {} });
    const headers = await standardHeaders({ body: bad, secret: SECRETS.standard, id: "msg_bad_m1" });
    await expectError(await call("POST", "/v1/tenants/q-schema/webhooks/carrier", { raw: bad, headers }), 422, "schema_mismatch");
    const [t] = await tasks("q-schema", key, "?type=schema_rejection");
    expect(t).toMatchObject({ order_id: null, owner: "routing@agency.example", status: "open" });
    const res = await call("POST", `/v1/tenants/q-schema/rejections/${t?.rejection_id ?? ""}/replay`, { token: await keyFor("q-schema", "frank"), body: { by: "frank", justification: "retry" } });
    await expectError(res, 422, "schema_mismatch");
    expect((await task("q-schema", key, t?.task_id ?? "")).status).toBe("open");
  });

  it("replays a stored genuine body that the fixed mapping now accepts, resolving its task", async () => {
    const key = await handoffTenant("q-fixed", freshScenario("wms"), freshScenario("carrier"));
    // As recorded by an older deploy whose mapping refused it; the current one accepts it.
    const body = JSON.stringify({ type: "order.created", order_id: "f-1", occurred_at: new Date().toISOString(), data: ORDER_DATA });
    await env.DB.prepare(
      "INSERT INTO rejections (id, tenant_id, source, status, code, reason, details, headers, body_base64, body_truncated, body_sha256, body_bytes, signature_verified, received_at) VALUES ('rej_old1', 'q-fixed', 'wms', 422, 'schema_mismatch', 'old mapping', NULL, ?, ?, 0, 'x', ?, 1, ?)",
    )
      .bind(JSON.stringify({ "webhook-id": "msg_old_1" }), toBase64(utf8(body)), body.length, new Date().toISOString())
      .run();
    const stored = await db(env.DB).select().from(rejections).where(eq(rejections.id, "rej_old1")).get();
    expect(stored).toBeDefined();
    if (stored) await openRejectionTask(env, stored);
    const res = await call("POST", "/v1/tenants/q-fixed/rejections/rej_old1/replay", { token: await keyFor("q-fixed", "gina"), body: { by: "gina", justification: "mapping fixed in v0.2" } });
    expect(res.status).toBe(202);
    expect((await getOrder("q-fixed", "f-1", key)).state).toBe("awaiting_payment");
    const [t] = await tasks("q-fixed", key, "?type=schema_rejection");
    expect(t).toMatchObject({ status: "resolved", action: "replay", resolved_by: "gina" });
    // An unverified delivery cannot be replayed.
    await env.DB.prepare("UPDATE rejections SET signature_verified = 0 WHERE id = 'rej_old1'").run();
    await expectError(await call("POST", "/v1/tenants/q-fixed/rejections/rej_old1/replay", { token: await keyFor("q-fixed", "gina"), body: { by: "gina", justification: "again" } }), 409, "conflict");
  });
});
