import { describe, expect, it } from "vitest";
import { Channel, ruleNameIssues } from "../../../domain/notify/directory";
import { emailMessage, pagerdutyEvent, slackMessage, webhookEvent } from "../../../domain/notify/messages";
import type { Notice } from "../../../domain/notify/notice";
import { exampleRules } from "../../helpers/ownership";

const T0 = Date.parse("2026-12-07T09:00:00.000Z");
const notice: Notice = {
  key: "tk_1:L1:alert",
  subject: "tk_1",
  phase: "alert",
  level: 1,
  kind: "sla.escalated",
  recipient: "acme-oncall",
  at: T0,
  tenant: "acme",
  order_id: "1001",
  task_id: "tk_1",
  task_type: "sla_breach",
  title: "SLA breached: routing <urgent> & late",
  step: "routing",
  owner: "routing@agency.example",
  due_at: "2026-12-07T08:30:00.000Z",
  value: { amount_minor: 123450, currency: "USD" },
};
const ctx = { consoleBase: "https://handoff.example.com", contact_id: "ana", via: "acme-oncall (shift 3, member #1)" };

describe("Slack Block Kit message (incoming webhook)", () => {
  it("a fallback text and blocks Slack accepts: header ≤150 plain_text, mrkdwn fields, a URL button", () => {
    const m = slackMessage(notice, ctx);
    expect(m.text).toBe("SLA breach escalated: routing — order 1001 (1,234.50 USD at risk)");
    const blocks = m.blocks as Record<string, unknown>[];
    expect(blocks.map((b) => b.type)).toEqual(["header", "section", "context", "actions"]);
    expect(blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: "🚨 SLA breach escalated: routing", emoji: true } });
    const section = blocks[1] as { text: { type: string; text: string }; fields: { type: string; text: string }[] };
    // &, < and > are Slack control characters and must be escaped in mrkdwn.
    expect(section.text).toEqual({ type: "mrkdwn", text: "SLA breached: routing &lt;urgent&gt; &amp; late" });
    expect(section.fields.length).toBeLessThanOrEqual(10);
    expect(section.fields).toContainEqual({ type: "mrkdwn", text: "*Value at risk*\n1,234.50 USD" });
    expect(section.fields).toContainEqual({ type: "mrkdwn", text: "*Owner*\nrouting@agency.example" });
    expect(section.fields).toContainEqual({ type: "mrkdwn", text: "*Due*\n2026-12-07T08:30:00.000Z" });
    expect(blocks[3]).toEqual({
      type: "actions",
      elements: [{ type: "button", text: { type: "plain_text", text: "Open in console" }, url: "https://handoff.example.com/console/tasks/tk_1", action_id: "open_console" }],
    });
  });

  it("without a console origin there is no button (Slack needs an absolute URL); the path is in a context block", () => {
    const blocks = slackMessage(notice, { ...ctx, consoleBase: null }).blocks as Record<string, unknown>[];
    expect(blocks.map((b) => b.type)).toEqual(["header", "section", "context", "context"]);
    expect(JSON.stringify(blocks[3])).toContain("/console/tasks/tk_1");
  });
});

describe("PagerDuty Events API v2", () => {
  it("trigger: routing_key, event_action, dedup_key = the subject, payload with the required summary/source/severity", () => {
    const e = pagerdutyEvent(notice, "R0UT1NGKEY", ctx);
    expect(e).toMatchObject({ routing_key: "R0UT1NGKEY", event_action: "trigger", dedup_key: "tk_1", client: "Handoff", client_url: "https://handoff.example.com/console/tasks/tk_1" });
    const payload = e.payload as Record<string, unknown>;
    expect(payload).toMatchObject({ source: "handoff:acme", severity: "error", timestamp: "2026-12-07T09:00:00.000Z", component: "routing", group: "acme", class: "sla_breach" });
    expect(["critical", "error", "warning", "info"]).toContain(payload.severity);
    expect(String(payload.summary).length).toBeLessThanOrEqual(1024);
    expect(payload.custom_details).toMatchObject({ order_id: "1001", paged: "ana", value_at_risk: "1,234.50 USD" });
  });

  it("resolve: the same dedup_key and nothing else", () => {
    expect(pagerdutyEvent({ ...notice, phase: "resolve", kind: "task.resolved", key: "tk_1:resolve" }, "R0UT1NGKEY", ctx)).toEqual({
      routing_key: "R0UT1NGKEY",
      event_action: "resolve",
      dedup_key: "tk_1",
    });
  });
});

describe("webhook and email", () => {
  it("the webhook event names its stable id and the person reached", () => {
    expect(webhookEvent(notice, "ntf_abc", ctx)).toMatchObject({ type: "notification.sla.escalated", notification_id: "ntf_abc", contact_id: "ana", level: 1, role: "backup" });
  });

  it("email: one-line subject, readable body with the console link", () => {
    const m = emailMessage({ ...notice, title: "evil\r\nBcc: x@y" }, "handoff@example.com", "ana@acme.example", ctx);
    expect(m.subject).not.toMatch(/[\r\n]/);
    expect(m.text).toContain("Open it:   https://handoff.example.com/console/tasks/tk_1");
    expect(m.text).toContain("Sent to:   ana (via acme-oncall (shift 3, member #1))");
  });
});

describe("channels and rule names", () => {
  it("a PagerDuty channel defaults to the public Events v2 endpoint; a webhook needs a whsec_ secret", () => {
    expect(Channel.parse({ type: "pagerduty", routing_key: "k" })).toEqual({ type: "pagerduty", routing_key: "k", events_url: "https://events.pagerduty.com/v2/enqueue" });
    expect(Channel.safeParse({ type: "webhook", url: "https://x.example", secret: "plain" }).success).toBe(false);
  });

  it("every owner/backup/on_call/exception contact must be a contact or rotation; the issue names the field", () => {
    const rules = exampleRules();
    const contacts = new Map<string, { channels: ("slack" | "pagerduty" | "email" | "webhook")[] }>();
    for (const step of Object.values(rules.steps)) for (const n of [step.owner, step.backup, step.exception_path?.contact_id ?? step.owner]) contacts.set(n, { channels: ["email", "slack", "pagerduty", "webhook"] });
    const rotations = new Set(Object.values(rules.steps).map((s) => s.on_call));
    expect(ruleNameIssues(rules, { contacts, rotations })).toEqual([]);
    contacts.delete("lead@agency.example");
    contacts.set("finance@acme.example", { channels: ["slack"] });
    expect(ruleNameIssues(rules, { contacts, rotations }).map((i) => i.path)).toEqual(["steps.payment.exception_path.contact_id", "steps.routing.backup"]);
  });
});
