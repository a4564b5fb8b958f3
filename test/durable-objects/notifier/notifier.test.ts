import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { Notice } from "../../../domain/notify/notice";
import { consumerUrl, freshScenario, requests, script } from "../../helpers/consumer";
import { ADMIN_TOKEN, call, createTenant, json } from "../../helpers/http";
import { contact, drainNotifier, notifications, notifierStub, withNotifier } from "../../helpers/notify";
import { notificationTrail } from "../../../worker/notify/trail";

// The notifier against real HTTP receivers on 127.0.0.1 (test/helpers/consumer-server.ts),
// scripted to answer as Slack's incoming webhooks ("ok", text/plain) and PagerDuty's
// Events API v2 (202 {"status":"success","message":"Event processed","dedup_key":…}) do.

const WH_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SLACK_OK = { status: 200, headers: { "content-type": "text/plain" }, body: "ok" };
const pdAccepted = (key: string) => ({ status: 202, headers: { "content-type": "application/json" }, body: JSON.stringify({ status: "success", message: "Event processed", dedup_key: key }) });

function notice(tenant: string, over: Partial<Notice> = {}): Notice {
  const at = Date.now();
  return {
    key: "tk_n1:L0:alert",
    subject: "tk_n1",
    phase: "alert",
    level: 0,
    kind: "sla.breached",
    recipient: "ops",
    at,
    tenant,
    order_id: "1001",
    task_id: "tk_n1",
    task_type: "sla_breach",
    title: "SLA breached: routing",
    step: "routing",
    owner: "ops",
    due_at: new Date(at - 1000).toISOString(),
    value: { amount_minor: 4900, currency: "USD" },
    ...over,
  };
}

async function bodies(scenario: string): Promise<Record<string, unknown>[]> {
  return (await requests(scenario)).map((r) => JSON.parse(r.body) as Record<string, unknown>);
}

describe("one breach reaches Slack, PagerDuty, a signed webhook and email, once", () => {
  it("sends each channel its format, ignores the same notice enqueued again, and resolves with the same dedup_key", async () => {
    const tenant = "ntf-happy";
    const key = await createTenant(tenant);
    const slack = freshScenario("slack");
    const pd = freshScenario("pagerduty");
    const hook = freshScenario("hook");
    await script(slack, [], SLACK_OK);
    await script(pd, [], pdAccepted("tk_n1"));
    await contact(tenant, "ops", {
      name: "Ops",
      channels: [
        { type: "slack", webhook_url: `${consumerUrl(slack)}/services/T0/B0/x` },
        { type: "pagerduty", routing_key: "R0UTINGKEY", events_url: `${consumerUrl(pd)}/v2/enqueue` },
        { type: "webhook", url: consumerUrl(hook), secret: WH_SECRET },
        { type: "email", address: "ops@acme.example" },
      ],
    });
    const stub = notifierStub(tenant);
    expect(await stub.enqueue(tenant, [notice(tenant)])).toEqual({ added: 1 });
    // Nothing is sent by enqueue itself: only the alarm sends.
    expect(await requests(slack)).toEqual([]);
    await drainNotifier(tenant);

    const [s] = await bodies(slack);
    expect(s?.text).toBe("SLA breached: routing — order 1001 (49.00 USD at risk)");
    expect((s?.blocks as { type: string }[]).map((b) => b.type)).toEqual(["header", "section", "context", "context"]);
    const [p] = await bodies(pd);
    expect(p).toMatchObject({ routing_key: "R0UTINGKEY", event_action: "trigger", dedup_key: "tk_n1", payload: { severity: "warning", source: `handoff:${tenant}` } });
    const [h] = await requests(hook);
    expect(h?.headers["webhook-id"]).toMatch(/^ntf_[0-9a-f]{24}$/);
    expect(new Webhook(WH_SECRET).verify(h?.body ?? "", h?.headers ?? {})).toMatchObject({ type: "notification.sla.breached", subject: "tk_n1", contact_id: "ops" });

    let list = await notifications(tenant, key, "?task_id=tk_n1");
    expect(list.map((d) => [d.channel_type, d.status, d.attempts.length]).sort()).toEqual([
      ["email", "delivered", 1],
      ["pagerduty", "delivered", 1],
      ["slack", "delivered", 1],
      ["webhook", "delivered", 1],
    ]);

    // The same notice again (a retried drain, a restarted order object): nothing new is sent.
    expect(await stub.enqueue(tenant, [notice(tenant)])).toEqual({ added: 0 });
    await drainNotifier(tenant);
    expect((await requests(pd)).length).toBe(1);

    await stub.enqueue(tenant, [notice(tenant, { key: "tk_n1:resolve", phase: "resolve", kind: "sla.recovered", recipient: null })]);
    await drainNotifier(tenant);
    const pds = await bodies(pd);
    expect(pds[1]).toEqual({ routing_key: "R0UTINGKEY", event_action: "resolve", dedup_key: "tk_n1" });
    expect((await bodies(slack))[1]?.text).toContain("SLA recovered");
    list = await notifications(tenant, key, "?task_id=tk_n1");
    expect(list.filter((d) => d.phase === "resolve").length).toBe(4);
  });
});

describe("rotations and retries", () => {
  it("a rotation pages whoever is on call at the moment of the event, and the delivery says so", async () => {
    const tenant = "ntf-rota";
    const key = await createTenant(tenant);
    const pd = freshScenario("pd-rota");
    await script(pd, [], pdAccepted("tk_r"));
    for (const who of ["ana", "ben"]) await contact(tenant, who, { name: who, channels: [{ type: "pagerduty", routing_key: `KEY-${who}`, events_url: consumerUrl(pd) }] });
    const starts = Date.parse("2026-01-05T09:00:00Z");
    const rot = await call("PUT", `/v1/tenants/${tenant}/rotations/oncall`, { token: ADMIN_TOKEN, body: { members: ["ana", "ben"], shift: "P7D", starts_at: new Date(starts).toISOString() } });
    expect(rot.status).toBe(200);
    // Week 3 after the start (shift 3): ben's turn, whenever the notifier gets to it.
    const at = starts + 3 * 7 * 86_400_000 + 3_600_000;
    await notifierStub(tenant).enqueue(tenant, [notice(tenant, { key: "tk_r:L2:alert", subject: "tk_r", level: 2, kind: "sla.escalated", recipient: "oncall", at })]);
    await drainNotifier(tenant);
    expect((await bodies(pd))[0]).toMatchObject({ routing_key: "KEY-ben", payload: { severity: "critical" } });
    const [d] = await notifications(tenant, key, "?task_id=tk_r");
    expect(d).toMatchObject({ recipient: "oncall", contact_id: "ben", via: "oncall (shift 3, member #1)", status: "delivered" });
  });

  it("503 + Retry-After is retried after what the receiver asked; a 404 is not retried", async () => {
    const tenant = "ntf-retry";
    const key = await createTenant(tenant);
    const pd = freshScenario("pd-retry");
    const slack = freshScenario("slack-gone");
    await script(pd, [{ status: 503, headers: { "retry-after": "30" } }], pdAccepted("tk_x"));
    await script(slack, [], { status: 404, body: "no_service" });
    await contact(tenant, "ops", { name: "Ops", channels: [{ type: "pagerduty", routing_key: "K", events_url: consumerUrl(pd) }, { type: "slack", webhook_url: consumerUrl(slack) }] });
    const stub = notifierStub(tenant);
    await stub.enqueue(tenant, [notice(tenant, { key: "tk_x:L0:alert", subject: "tk_x" })]);
    await drainNotifier(tenant);
    let list = await notifications(tenant, key, "?task_id=tk_x");
    const pending = list.find((d) => d.channel_type === "pagerduty");
    expect(pending).toMatchObject({ status: "pending", attempts: [{ n: 1, status: 503, error_class: "http_5xx", outcome: "retry" }] });
    expect(Date.parse(pending?.next_attempt_at ?? "")).toBeGreaterThanOrEqual(Date.parse(pending?.attempts[0]?.at ?? "") + 30_000);
    expect(list.find((d) => d.channel_type === "slack")).toMatchObject({ status: "rejected", last_error: "HTTP 404: no_service" });

    await withNotifier(tenant, (o) => {
      o.clock = () => Date.now() + 31_000;
    });
    await runDurableObjectAlarm(stub);
    list = await notifications(tenant, key, "?task_id=tk_x");
    expect(list.find((d) => d.channel_type === "pagerduty")).toMatchObject({ status: "delivered", attempts: [{ n: 1 }, { n: 2, status: 202, outcome: "delivered" }] });
    expect((await requests(pd)).map((r) => r.answered_status)).toEqual([503, 202]);
    expect((await requests(slack)).length).toBe(1);
  });
});

describe("a channel outage", () => {
  it("every channel failing past its retries opens a notification_failed task for the default owner; nothing is unreachable silently", async () => {
    const tenant = "ntf-outage";
    const key = await createTenant(tenant);
    const down = freshScenario("slack-down");
    await script(down, [], { status: 503 });
    await contact(tenant, "ops", { name: "Ops", channels: [{ type: "slack", webhook_url: consumerUrl(down) }] });
    const stub = notifierStub(tenant);
    await withNotifier(tenant, (o) => {
      o.policy = { initial: 1, max_interval: 1, max_attempts: 3, max_age: 60_000 };
    });
    await stub.enqueue(tenant, [notice(tenant, { key: "tk_o:L0:alert", subject: "tk_o" }), notice(tenant, { key: "tk_o:L1:alert", subject: "tk_o", level: 1, recipient: "nobody-by-that-name" })]);
    for (let i = 0; i < 4; i++) await runDurableObjectAlarm(stub);
    await drainNotifier(tenant);

    const list = await notifications(tenant, key, "?task_id=tk_o");
    expect(list).toEqual([expect.objectContaining({ status: "exhausted", attempts: expect.arrayContaining([expect.objectContaining({ n: 3, outcome: "exhausted" })]) })]);
    expect((await requests(down)).length).toBe(3);
    const res = await call("GET", `/v1/tenants/${tenant}/notifications?task_id=tk_o`, { token: key });
    expect((await json<{ unreachable: { recipient: string; detail: string }[] }>(res)).unreachable).toEqual([
      expect.objectContaining({ recipient: "nobody-by-that-name", detail: "'nobody-by-that-name' is neither a contact nor a rotation" }),
    ]);
    const tasks = await json<{ tasks: { type: string; title: string; owner: string }[] }>(await call("GET", `/v1/tenants/${tenant}/tasks?type=notification_failed`, { token: key }));
    // The fallback goes to the tenant's default_owner, on every rung: the routing step's owner may be the one who could not be reached.
    expect(tasks.tasks).toEqual([expect.objectContaining({ type: "notification_failed", title: "Could not reach ops about: SLA breached: routing", owner: `ops@${tenant}.example` })]);
    const [failed] = tasks.tasks as unknown as { task_id: string; escalation: string[]; owning_party: string }[];
    expect(failed?.escalation).toEqual([`ops@${tenant}.example`, `ops@${tenant}.example`, `ops@${tenant}.example`]);

    // Every attempt, the unreachable notice and the fallback are on the order's notification chain, which verifies.
    const trail = await notificationTrail(env, tenant, "1001", "tk_o");
    expect(trail.chain_valid).toBe(true);
    expect(trail.entries.map((e) => [e.type, e.data.level, e.data.attempt, e.data.outcome])).toEqual([
      ["notification.unreachable", 1, null, "unreachable"],
      ["notification.attempt", 0, 1, "retry"],
      ["notification.attempt", 0, 2, "retry"],
      ["notification.attempt", 0, 3, "exhausted"],
      ["notification.fallback", 0, null, "fallback_opened"],
    ]);
    expect(trail.entries.at(-1)?.data.detail).toContain(`${failed?.task_id} for ops@${tenant}.example`);
  });
});
