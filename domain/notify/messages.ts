import { formatMoney } from "../money";
import type { Notice, NoticeKind } from "./notice";
import { ROLES } from "./notice";

/**
 * What each channel receives for a notice, built purely so tests can hold the
 * exact bytes against the senders' public formats:
 * - Slack incoming webhook: `{ text, blocks }` (Block Kit; `text` is the
 *   fallback Slack shows in notifications). Limits respected: header ≤ 150
 *   chars, field text ≤ 2000, ≤ 10 fields.
 * - PagerDuty Events API v2: `trigger` with `payload { summary ≤ 1024, source,
 *   severity, timestamp, component, group, class, custom_details }` and a
 *   stable `dedup_key` (≤ 255), `resolve` with the same key.
 * - Standard Webhook: a JSON event with a stable id (the sender signs it).
 * - Email: subject + plain text for the send_email binding's builder form.
 */

const HEADLINE: Record<NoticeKind, string> = {
  "sla.breached": "SLA breached",
  "sla.escalated": "SLA breach escalated",
  "sla.recovered": "SLA recovered",
  "task.opened": "Task opened",
  "task.escalated": "Task escalated",
  "task.resolved": "Task resolved",
  "export.issued": "Export issued",
  "export.blocked": "Export blocked",
  "export.expired": "Export expired",
  "export.superseded": "Export superseded",
  "export.withdrawn": "Export withdrawn",
  "export.cancelled": "Export cancelled",
  "export.not_cancelled": "Export not cancelled",
};

/** What a level is called in a message: an informational notice has none. */
function levelText(n: Notice): string {
  return n.phase === "resolve" ? "resolved" : n.phase === "info" ? "for your information" : `${n.level} (${role(n.level)})`;
}

export interface MessageContext {
  /** The console's origin (`https://handoff.example.com`), or null when unknown: then the path alone is shown. */
  consoleBase: string | null;
  /** The contact the message is for, and how it was reached (a rotation's member or the contact itself). */
  contact_id: string;
  via: string | null;
}

export function consolePath(n: Notice): string {
  if (n.task_id) return `/console/tasks/${encodeURIComponent(n.task_id)}`;
  if (n.order_id) return `/console/orders/${encodeURIComponent(n.order_id)}`;
  return "/console/queue";
}

function link(n: Notice, ctx: MessageContext): string {
  return `${ctx.consoleBase ?? ""}${consolePath(n)}`;
}

function role(level: number): string {
  return ROLES[level] ?? `level ${level}`;
}

function valueText(n: Notice): string {
  return n.value ? formatMoney(n.value.amount_minor, n.value.currency) : "—";
}

/** One line a person reads first: "SLA breached: routing — order 1001 (49.00 USD at risk)". */
export function summary(n: Notice): string {
  const what = n.kind.startsWith("sla.") ? `${HEADLINE[n.kind]}: ${n.step}` : `${HEADLINE[n.kind]}: ${n.title}`;
  const order = n.order_id ? ` — order ${n.order_id}` : "";
  const value = n.value ? ` (${valueText(n)} at risk)` : "";
  return `${what}${order}${value}`;
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** Slack mrkdwn treats &, < and > as control characters. */
function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function slackMessage(n: Notice, ctx: MessageContext): Record<string, unknown> {
  const url = link(n, ctx);
  const resolved = n.phase === "resolve";
  const icon = resolved ? "✅" : n.phase === "info" ? "ℹ️" : "🚨";
  const fields = [
    `*Order*\n${esc(n.order_id ?? "—")}`,
    `*Value at risk*\n${esc(valueText(n))}`,
    `*Owner*\n${esc(n.owner)}`,
    `*Due*\n${esc(n.due_at ?? "—")}`,
    `*Step*\n${esc(n.step)}`,
    `*Level*\n${levelText(n)}`,
    ...(n.export ? [`*Export*\n${esc(`${n.export.export_id} (${n.export.status})`)}`, `*Current*\n${esc(n.export.current ?? "none")}`] : []),
  ].map((text) => ({ type: "mrkdwn", text: clip(text, 2000) }));
  const blocks: Record<string, unknown>[] = [
    { type: "header", text: { type: "plain_text", text: clip(`${icon} ${HEADLINE[n.kind]}: ${n.step}`, 150), emoji: true } },
    { type: "section", text: { type: "mrkdwn", text: clip(esc(n.title), 3000) }, fields },
    {
      type: "context",
      elements: [{ type: "mrkdwn", text: clip(esc(`To ${ctx.contact_id}${ctx.via ? ` via ${ctx.via}` : ""} · ${n.subject} · ${new Date(n.at).toISOString()}`), 3000) }],
    },
  ];
  // A button needs an absolute URL; without a known console origin the path is in the text instead.
  if (ctx.consoleBase) {
    blocks.push({ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Open in console" }, url: clip(url, 3000), action_id: "open_console" }] });
  } else {
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `Console: ${esc(url)}` }] });
  }
  return { text: clip(summary(n), 3000), blocks };
}

const SEVERITY = ["warning", "error", "critical"] as const;

/**
 * A watcher's notice is a PagerDuty Change Event (`/v2/change/enqueue`): shown on
 * the service's timeline, never an incident, so nobody is paged for it.
 */
export function pagerdutyChangeEvent(n: Notice, routingKey: string, ctx: MessageContext): Record<string, unknown> {
  return {
    routing_key: routingKey,
    payload: {
      summary: clip(summary(n), 1024),
      source: `handoff:${n.tenant}`,
      timestamp: new Date(n.at).toISOString(),
      custom_details: { kind: n.kind, order_id: n.order_id, step: n.step, owner: n.owner, ...(n.export ?? {}), to: ctx.contact_id, via: ctx.via, console: link(n, ctx) },
    },
    ...(ctx.consoleBase ? { links: [{ href: link(n, ctx), text: "Open in the Handoff console" }] } : {}),
  };
}

/** The Change Events endpoint beside an Events API v2 endpoint (`…/v2/enqueue` → `…/v2/change/enqueue`); a relay without that path gets both. */
export function pagerdutyChangeUrl(eventsUrl: string): string {
  const u = new URL(eventsUrl);
  u.pathname = u.pathname.replace(/\/enqueue$/, "/change/enqueue");
  return u.toString();
}

export function pagerdutyEvent(n: Notice, routingKey: string, ctx: MessageContext): Record<string, unknown> {
  const dedup_key = clip(n.subject, 255);
  if (n.phase === "resolve") return { routing_key: routingKey, event_action: "resolve", dedup_key };
  const event: Record<string, unknown> = {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key,
    payload: {
      summary: clip(summary(n), 1024),
      source: `handoff:${n.tenant}`,
      severity: SEVERITY[n.level] ?? "critical",
      timestamp: new Date(n.at).toISOString(),
      component: n.step,
      group: n.tenant,
      class: n.task_type ?? n.kind,
      custom_details: {
        kind: n.kind,
        order_id: n.order_id,
        task_id: n.task_id,
        value_at_risk: n.value ? valueText(n) : null,
        owner: n.owner,
        due_at: n.due_at,
        level: n.level,
        role: role(n.level),
        paged: ctx.contact_id,
        via: ctx.via,
        console: link(n, ctx),
      },
    },
    client: "Handoff",
  };
  if (ctx.consoleBase) {
    event.client_url = link(n, ctx);
    event.links = [{ href: link(n, ctx), text: "Open in the Handoff console" }];
  }
  return event;
}

/** The Standard Webhook's body: `type` first, like Handoff's other signed messages. */
export function webhookEvent(n: Notice, id: string, ctx: MessageContext): Record<string, unknown> {
  return {
    type: `notification.${n.kind}`,
    notification_id: id,
    tenant: n.tenant,
    subject: n.subject,
    phase: n.phase,
    level: n.level,
    role: n.phase === "alert" ? role(n.level) : null,
    order_id: n.order_id,
    task_id: n.task_id,
    task_type: n.task_type,
    title: n.title,
    step: n.step,
    owner: n.owner,
    due_at: n.due_at,
    value: n.value,
    occurred_at: new Date(n.at).toISOString(),
    contact_id: ctx.contact_id,
    via: ctx.via,
    console_url: link(n, ctx),
    // A watcher's notice: which version changed how, and which version stands now.
    ...(n.export ? { export: n.export } : {}),
  };
}

export function emailMessage(n: Notice, from: string, to: string, ctx: MessageContext): { from: string; to: string; subject: string; text: string } {
  const lines = [
    summary(n),
    "",
    `What:      ${HEADLINE[n.kind]} (${n.phase === "resolve" ? "resolved" : n.phase === "info" ? "for your information; you watch this step" : `level ${n.level}, ${role(n.level)}`})`,
    ...(n.export ? [`Export:    ${n.export.export_id} (v${n.export.version}, ${n.export.status})`, `Current:   ${n.export.current ?? "none"}`] : []),
    `Order:     ${n.order_id ?? "—"}`,
    `Value:     ${valueText(n)}`,
    `Owner:     ${n.owner}`,
    `Due:       ${n.due_at ?? "—"}`,
    `Step:      ${n.step}`,
    `Task:      ${n.task_id ?? "—"}`,
    `When:      ${new Date(n.at).toISOString()}`,
    `Sent to:   ${ctx.contact_id}${ctx.via ? ` (via ${ctx.via})` : ""}`,
    "",
    `Open it:   ${link(n, ctx)}`,
  ];
  // Header injection: nothing user-supplied may carry a line break into the subject.
  return { from, to, subject: clip(`[Handoff] ${summary(n)}`.replace(/[\r\n]+/g, " "), 200), text: lines.join("\n") };
}
