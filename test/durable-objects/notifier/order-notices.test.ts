import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { consumerUrl, freshScenario, requests, script } from "../../helpers/consumer";
import { advance, getOrder, handoffTenant, orderStub, paidOrder, setClock } from "../../helpers/handoff";
import { standardHeaders } from "../../../cli/sign";
import { call, expectError, json, SECRETS, settleAlarms } from "../../helpers/http";
import { contact, drainNotifier, notifications } from "../../helpers/notify";
import type { AuditResponse as AuditTrail } from "../../../worker/audit";
import { notificationTrail } from "../../../worker/notify/trail";

// The whole path: an order's task, committed by its object, reaches a person
// through the drain's hand-over and the tenant's notifier; resolving it resolves the page.

function t0(): number {
  return Math.ceil((Date.now() + 60_000) / 1000) * 1000;
}

describe("an order's task reaches its owner", () => {
  it("a consumer rejection opens a task; its owner's Slack and PagerDuty hear of it once, and of its resolution", async () => {
    const tenant = "ntf-order";
    const wms = freshScenario("wms");
    const slack = freshScenario("slack-owner");
    const pd = freshScenario("pd-owner");
    const key = await handoffTenant(tenant, wms, freshScenario("carrier"));
    await script(wms, [{ status: 422, body: '{"error":"SKU MUG-01 not stocked at this DC"}' }]);
    await script(slack, [], { status: 200, body: "ok" });
    await script(pd, [], { status: 202, body: '{"status":"success","message":"Event processed"}' });
    await contact(tenant, "routing@agency.example", {
      name: "Routing desk",
      channels: [
        { type: "slack", webhook_url: consumerUrl(slack) },
        { type: "pagerduty", routing_key: "ROUTING-KEY", events_url: consumerUrl(pd) },
      ],
    });

    const T0 = t0();
    const o = orderStub(tenant, "o-n1");
    await setClock(o, T0);
    await paidOrder(tenant, "o-n1", T0);
    await advance(o, T0);
    expect((await getOrder(tenant, "o-n1", key)).state).toBe("on_hold");
    // The drain writes the task to D1 and hands the notices over (its timer is due right after the commit).
    await settleAlarms();
    const listed = await json<{ tasks: { task_id: string; type: string; owner: string }[] }>(await call("GET", `/v1/tenants/${tenant}/tasks?order_id=o-n1`, { token: key }));
    const task = listed.tasks.find((t) => t.type === "consumer_rejected");
    expect(task?.owner).toBe("routing@agency.example");
    const taskId = task?.task_id ?? "";
    await drainNotifier(tenant);
    await expect.poll(async () => (await requests(pd)).length, { timeout: 5000 }).toBe(1);
    const [trigger] = (await requests(pd)).map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(trigger).toMatchObject({ event_action: "trigger", dedup_key: taskId, routing_key: "ROUTING-KEY", payload: { component: "routing", class: "consumer_rejected" } });
    expect(JSON.parse((await requests(slack))[0]?.body ?? "{}")).toMatchObject({ text: expect.stringContaining("Task opened: Downstream system rejected the handoff") });

    const res = await call("POST", `/v1/tenants/${tenant}/tasks/${taskId}/resolve`, {
      token: key,
      body: { resolution: "stock moved", justification: "re-stocked DC", action: "close", by: "ana" },
    });
    expect(res.status).toBe(200);
    await settleAlarms();
    await drainNotifier(tenant);
    await expect.poll(async () => (await requests(pd)).length, { timeout: 5000 }).toBe(2);
    expect(JSON.parse((await requests(pd))[1]?.body ?? "{}")).toEqual({ routing_key: "ROUTING-KEY", event_action: "resolve", dedup_key: taskId });

    const sent = await notifications(tenant, key, `?task_id=${taskId}`);
    expect(sent.map((d) => [d.phase, d.channel_type, d.status]).sort()).toEqual([
      ["alert", "pagerduty", "delivered"],
      ["alert", "slack", "delivered"],
      ["resolve", "pagerduty", "delivered"],
      ["resolve", "slack", "delivered"],
    ]);
    const byOrder = await json<{ deliveries: unknown[] }>(await call("GET", `/v1/tenants/${tenant}/notifications?order_id=o-n1`, { token: key }));
    expect(byOrder.deliveries.length).toBe(4);

    // Every attempt is on the order's notification chain, beside its own audit trail, and both verify.
    const audit = await json<AuditTrail>(await call("GET", `/v1/tenants/${tenant}/orders/o-n1/audit`, { token: key }));
    expect(audit.chain_valid).toBe(true);
    expect(audit.notifications).toMatchObject({ chain_id: "~notify:o-n1", chain_valid: true, chain: { broken_at: null, verified_from: 1 } });
    const attempts = audit.notifications.entries.filter((e) => e.type === "notification.attempt");
    expect(attempts.map((e) => [e.data.phase, e.data.channel, e.data.outcome, e.data.status, e.data.attempt]).sort()).toEqual([
      ["alert", "pagerduty", "delivered", 202, 1],
      ["alert", "slack", "delivered", 200, 1],
      ["resolve", "pagerduty", "delivered", 202, 1],
      ["resolve", "slack", "delivered", 200, 1],
    ]);
    expect(attempts.every((e) => e.data.contact === "routing@agency.example" && e.data.dedup_key === taskId && e.data.subject === taskId && e.data.order_id === "o-n1")).toBe(true);
    expect(audit.notifications.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);

    // …and in the analytics export, one flat row per entry.
    const exported = await call("GET", `/v1/tenants/${tenant}/exports/notifications.ndjson`, { token: key });
    expect(exported.status).toBe(200);
    const rows = (await exported.text()).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.filter((r) => r.order_id === "o-n1").map((r) => [r.chain_id, r.type, r.channel, r.outcome, r.contact])).toEqual(
      attempts.map((e) => ["~notify:o-n1", "notification.attempt", e.data.channel, "delivered", "routing@agency.example"]),
    );
    // The events export stays the orders' own trails.
    const events = await (await call("GET", `/v1/tenants/${tenant}/exports/events.ndjson?columns=order_id`, { token: key })).text();
    expect(events).not.toContain("~notify");
  });
});

describe("a task with no order (a refused genuine delivery) reaches its owner too", () => {
  it("schema_rejection: the routing owner is told; closing it sends the resolution", async () => {
    const tenant = "ntf-schema";
    const slack = freshScenario("slack-schema");
    await script(slack, [], { status: 200, body: "ok" });
    const key = await handoffTenant(tenant, freshScenario("wms"), freshScenario("carrier"));
    await contact(tenant, "routing@agency.example", { name: "Routing desk", channels: [{ type: "slack", webhook_url: consumerUrl(slack) }] });
    const bad = JSON.stringify({ type: "shipment.shipped", order_id: "m-1", occurred_at: "last tuesday", data: {} });
    const headers = await standardHeaders({ body: bad, secret: SECRETS.standard, id: "msg_bad_ntf" });
    await expectError(await call("POST", `/v1/tenants/${tenant}/webhooks/carrier`, { raw: bad, headers }), 422, "schema_mismatch");
    await drainNotifier(tenant);
    const [alert] = (await requests(slack)).map((r) => JSON.parse(r.body) as { text: string });
    expect(alert?.text).toContain("Task opened: Inbound carrier delivery refused (schema_mismatch)");
    const listed = await json<{ tasks: { task_id: string }[] }>(await call("GET", `/v1/tenants/${tenant}/tasks?type=schema_rejection`, { token: key }));
    const id = listed.tasks[0]?.task_id ?? "";
    const res = await call("POST", `/v1/tenants/${tenant}/tasks/${id}/resolve`, { token: key, body: { resolution: "sender fixed", justification: "told the carrier", action: "close", by: "ana" } });
    expect(res.status).toBe(200);
    await drainNotifier(tenant);
    expect((await requests(slack)).length).toBe(2);
    expect(JSON.parse((await requests(slack))[1]?.body ?? "{}")).toMatchObject({ text: expect.stringContaining("Task resolved") });

    // A notice about no order is on the tenant's order-free chain.
    const trail = await notificationTrail(env, tenant, null, id);
    expect(trail).toMatchObject({ chain_id: "~notify", chain_valid: true });
    expect(trail.entries.map((e) => [e.type, e.data.phase, e.data.channel, e.data.outcome])).toEqual([
      ["notification.attempt", "alert", "slack", "delivered"],
      ["notification.attempt", "resolve", "slack", "delivered"],
    ]);
  });
});
