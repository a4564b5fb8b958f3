import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { runWatchers } from "../../../worker/watchers/run";
import { orderStub, paidOrder, post } from "../../helpers/handoff";
import { call, json, seedTenant, settleAlarms } from "../../helpers/http";

afterEach(settleAlarms);

interface TaskView {
  task_id: string;
  type: string;
  status: string;
  owner: string;
  escalation: string[];
  order_id: string | null;
  resolution: string | null;
  evidence: Record<string, unknown>;
}

async function task(tenant: string, key: string, id: string): Promise<TaskView> {
  const res = await call("GET", `/v1/tenants/${tenant}/tasks/${id}`, { token: key });
  expect(res.status).toBe(200);
  return (await json<{ task: TaskView }>(res)).task;
}

describe("no order without an owner: a rule-less tenant's stuck order", () => {
  it("gets one stuck_order task for the default owner after the built-in SLA, and it closes when the order moves on", async () => {
    const key = await seedTenant("ruleless");
    const t0 = Date.now();
    await paidOrder("ruleless", "rl-1", t0);
    await orderStub("ruleless", "rl-1").flush();

    // Paid, no rules: no clock, no task — only the watcher stands between this order and silence.
    expect((await runWatchers(env, "ruleless", t0 + 30 * 60_000)).opened.stuck_order).toEqual([]);
    const run = await runWatchers(env, "ruleless", t0 + 61 * 60_000);
    expect(run.opened.stuck_order).toHaveLength(1);
    const id = run.opened.stuck_order[0] ?? "";
    const t = await task("ruleless", key, id);
    expect(t).toMatchObject({ type: "stuck_order", status: "open", owner: "ops@ruleless.example", escalation: ["ops@ruleless.example", "ops@ruleless.example", "ops@ruleless.example"], order_id: "rl-1" });
    expect(t.evidence).toMatchObject({
      watcher: "stuck_order",
      order: { id: "rl-1", state: "paid", step: "routing", since: new Date(t0 - 1000).toISOString() },
      sla: { ms: 3_600_000, from: "built_in_default" },
      last_receipt: { source: "wms", events: [expect.objectContaining({ type: "payment.captured" })] },
    });

    // One task per stuck spell: the next sweeps find it open and leave the order alone.
    expect((await runWatchers(env, "ruleless", t0 + 2 * 3_600_000)).opened.stuck_order).toEqual([]);

    // The order moves on: its task closes itself, saying where the order went.
    expect((await post("ruleless", "wms", "order.cancelled", "rl-1", Date.now(), { reason: "customer" })).status).toBe(202);
    await orderStub("ruleless", "rl-1").flush();
    const after = await runWatchers(env, "ruleless", t0 + 3 * 3_600_000);
    expect(after.closed.stuck_order).toEqual([id]);
    expect(await task("ruleless", key, id)).toMatchObject({ status: "cancelled", resolution: "the order moved on from paid to cancelled" });
  });

  it("is claimed and closed in the queue like any task, and refuses replay (there is nothing to replay)", async () => {
    const key = await seedTenant("ruleless-q");
    const t0 = Date.now();
    await paidOrder("ruleless-q", "rq-1", t0);
    await orderStub("ruleless-q", "rq-1").flush();
    const [id = ""] = (await runWatchers(env, "ruleless-q", t0 + 2 * 3_600_000)).opened.stuck_order;
    const claim = await call("POST", `/v1/tenants/ruleless-q/tasks/${id}/claim`, { token: key, body: { by: "ana" } });
    expect(claim.status).toBe(200);
    const replay = await call("POST", `/v1/tenants/ruleless-q/tasks/${id}/resolve`, { token: key, body: { by: "ana", action: "replay", resolution: "x", justification: "y" } });
    expect(replay.status).toBe(400);
    const close = await call("POST", `/v1/tenants/ruleless-q/tasks/${id}/resolve`, { token: key, body: { by: "ana", action: "close", resolution: "routed by hand in the WMS", justification: "WMS was down" } });
    expect(close.status).toBe(200);
    expect((await json<{ task: TaskView }>(close)).task).toMatchObject({ status: "resolved" });
  });

  it("leaves alone an order that has an open task, a hold or a running clock", async () => {
    await seedTenant("ruleless-h");
    const t0 = Date.now();
    await paidOrder("ruleless-h", "rh-1", t0);
    await orderStub("ruleless-h", "rh-1").flush();
    await env.DB.prepare("UPDATE orders SET holds = 1 WHERE tenant_id = 'ruleless-h'").run();
    expect((await runWatchers(env, "ruleless-h", t0 + 5 * 3_600_000)).opened.stuck_order).toEqual([]);
    await env.DB.prepare("UPDATE orders SET holds = 0, next_due_at = ? WHERE tenant_id = 'ruleless-h'").bind(new Date(t0 + 86_400_000).toISOString()).run();
    expect((await runWatchers(env, "ruleless-h", t0 + 5 * 3_600_000)).opened.stuck_order).toEqual([]);
  });
});
