import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { consumerUrl, freshScenario, requests, script } from "../helpers/consumer";
import { settleAlarms } from "../helpers/http";
import { contact, drainNotifier, notifications, notifierStub, withNotifier } from "../helpers/notify";
import { Campaign } from "./campaign";

afterEach(settleAlarms);

const MIN = 60_000;

describe("chaos: a notification channel outage", () => {
  it("a Slack outage never holds an order back; after it, every task's owner gets exactly one message, and PagerDuty one page per task throughout", async () => {
    const c = await Campaign.open("chaos-notify");
    const slack = freshScenario("chaos-slack");
    const pd = freshScenario("chaos-pd");
    // Slack is down (503, then rate-limited) while the tasks open; PagerDuty is up.
    await script(slack, [{ status: 503 }, { status: 429, headers: { "retry-after": "60" } }], { status: 503 });
    await script(pd, [], { status: 202, body: '{"status":"success","message":"Event processed"}' });
    await contact(c.tenant, "routing@agency.example", {
      name: "Routing desk",
      channels: [
        { type: "slack", webhook_url: consumerUrl(slack) },
        { type: "pagerduty", routing_key: "ROUTING", events_url: consumerUrl(pd) },
      ],
    });
    // The WMS refuses every routing: each order needs a person.
    await script(c.wms, [], { status: 422, body: '{"error":"catalogue sync pending"}' });
    const ids = c.newOrders(4);
    for (const o of ids) {
      await c.send(c.delivery(o, "created"));
      await c.send(c.delivery(o, "captured"));
    }
    await c.runDue(ids, c.t0);
    await c.runDue(ids, c.t0 + 1000);
    // The orders went on hold with an owner whatever the channels do.
    expect(await c.states(ids)).toEqual(ids.map(() => "on_hold"));
    expect(await c.unowned(ids)).toEqual([]);

    await drainNotifier(c.tenant);
    const tasks = (await Promise.all(ids.map((o) => c.tasks(o)))).flat().filter((t) => t.type === "consumer_rejected");
    expect(tasks).toHaveLength(4);
    const pages = (await requests(pd)).map((r) => JSON.parse(r.body) as { dedup_key: string; event_action: string });
    expect(pages.map((p) => p.dedup_key).sort()).toEqual(tasks.map((t) => t.task_id).sort());
    let sent = await notifications(c.tenant, c.key);
    expect(sent.filter((d) => d.channel_type === "slack").map((d) => d.status)).toEqual(["pending", "pending", "pending", "pending"]);

    // The orders' objects drain again (a retried drain enqueues the same notices: nothing new).
    await c.runDue(ids, c.t0 + 2000);
    await drainNotifier(c.tenant);

    // Slack recovers; twenty minutes on, the retries land.
    await script(slack, [], { status: 200, body: "ok" });
    for (let m = 1; m <= 20; m += 5) {
      await withNotifier(c.tenant, (n) => {
        n.clock = () => Date.now() + m * MIN;
      });
      await runDurableObjectAlarm(notifierStub(c.tenant));
      await drainNotifier(c.tenant);
    }
    sent = await notifications(c.tenant, c.key);
    const slackSent = sent.filter((d) => d.channel_type === "slack");
    expect(slackSent.map((d) => d.status)).toEqual(["delivered", "delivered", "delivered", "delivered"]);
    for (const d of slackSent) expect(d.attempts.at(-1)?.status).toBe(200);
    const delivered = (await requests(slack)).filter((r) => r.answered_status === 200);
    // One message per task (the webhook has no id header, so count by the console link each carries).
    for (const t of tasks) expect(delivered.filter((r) => r.body.includes(t.task_id))).toHaveLength(1);
    expect((await requests(pd)).length).toBe(4);
    const report = await c.invariants();
    expect(report.violations).toEqual([]);
  }, 60_000);
});
