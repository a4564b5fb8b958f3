import { afterEach, describe, expect, it } from "vitest";
import { demoOwnershipRules, startDemoConsumers, type DemoConsumers } from "../../cli/demo-consumers";
import { demoContacts, DEMO_ROTATION } from "../../cli/demo-receivers";
import { ContactInput, ruleNameIssues } from "../../domain/notify/directory";
import { pagerdutyEvent, slackMessage } from "../../domain/notify/messages";
import type { Notice } from "../../domain/notify/notice";
import { OwnershipRules } from "../../domain/ownership/schema";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
let consumers: DemoConsumers | null = null;

afterEach(async () => {
  await consumers?.close();
  consumers = null;
});

const notice: Notice = {
  key: "tk_d:L0:alert",
  subject: "tk_d",
  phase: "alert",
  level: 0,
  kind: "task.opened",
  recipient: "ops@demo.example",
  at: Date.parse("2026-12-07T09:00:00Z"),
  tenant: "demo",
  order_id: "1001",
  task_id: "tk_d",
  task_type: "conflicting_fulfillment",
  title: "Two locations accepted the order",
  step: "fulfillment",
  owner: "warehouse@demo-wms.example",
  due_at: null,
  value: null,
};

describe("the demo's Slack and PagerDuty", () => {
  it("print what the engine's messages say and answer as the real services do", async () => {
    const lines: string[] = [];
    consumers = await startDemoConsumers({ port: 0, base: "http://127.0.0.1:9", tenant: "demo", consumerSecrets: { wms: SECRET, carrier: SECRET }, sourceSecrets: { wms: SECRET, carrier: SECRET }, log: (l) => lines.push(l) });
    const ctx = { consoleBase: null, contact_id: "ops@demo.example", via: null };
    const slack = await fetch(`${consumers.url}/slack/ops%40demo.example`, { method: "POST", body: JSON.stringify(slackMessage(notice, ctx)) });
    expect([slack.status, await slack.text()]).toEqual([200, "ok"]);
    const pd = await fetch(`${consumers.url}/pagerduty`, { method: "POST", body: JSON.stringify(pagerdutyEvent(notice, "demo-ops", ctx)) });
    expect(pd.status).toBe(202);
    expect(await pd.json()).toEqual({ status: "success", message: "Event processed", dedup_key: "tk_d" });
    const bad = await fetch(`${consumers.url}/slack/x`, { method: "POST", body: "{" });
    expect([bad.status, await bad.text()]).toEqual([400, "invalid_payload"]);
    expect(lines).toEqual([
      "[demo-slack] to ops@demo.example: Task opened: Two locations accepted the order — order 1001  (4 blocks)",
      "[demo-pagerduty] trigger tk_d (routing key demo-ops) warning: Task opened: Two locations accepted the order — order 1001",
      "[demo-slack] x: invalid payload → 400",
    ]);
  });

  it("every name in the demo rules is a valid contact or the demo rotation, with the channels its exception path asks for", () => {
    const rules = OwnershipRules.parse(demoOwnershipRules("http://127.0.0.1:8788", { wms: SECRET, carrier: SECRET }));
    const contacts = demoContacts(rules, "http://127.0.0.1:8788");
    for (const c of contacts) expect(ContactInput.safeParse({ name: c.name, channels: c.channels }).success).toBe(true);
    const names = { contacts: new Map(contacts.map((c) => [c.id, { channels: c.channels.map((ch) => ch.type) }])), rotations: new Set([DEMO_ROTATION.id]) };
    expect(ruleNameIssues(rules, names)).toEqual([]);
    for (const m of DEMO_ROTATION.members) expect(names.contacts.has(m)).toBe(true);
  });
});
