import { signedHeaders, USER_AGENT, type AttemptResult } from "../../domain/handoff/delivery";
import type { Channel } from "../../domain/notify/directory";
import { emailMessage, pagerdutyChangeEvent, pagerdutyChangeUrl, pagerdutyEvent, slackMessage, webhookEvent, type MessageContext } from "../../domain/notify/messages";
import type { Notice } from "../../domain/notify/notice";
import { attempt } from "../order/deliver";

/**
 * The one side effect of a notification: put one message on one channel and
 * classify what happened as an AttemptResult, so the retry decision is the
 * exports' own (domain/handoff/delivery.ts). HTTP channels go through the
 * exports' attempt(); email through the send_email binding.
 */

export interface SendDeps {
  timeoutMs: number;
  now: () => number;
  email: SendEmail | undefined;
  emailFrom: string;
  /** The attempt's span (null when tracing is off): sent as `traceparent` on HTTP channels, as deliveries do. */
  traceparent: string | null;
}

function traced(headers: Record<string, string>, deps: SendDeps): Record<string, string> {
  return deps.traceparent ? { ...headers, traceparent: deps.traceparent } : headers;
}

function json(url: string, body: Record<string, unknown>, deps: SendDeps, headers: Record<string, string> = {}): Promise<AttemptResult> {
  return attempt(url, JSON.stringify(body), traced({ "content-type": "application/json", "user-agent": USER_AGENT, ...headers }, deps), deps.timeoutMs, deps.now);
}

/**
 * send_email throws for everything: a destination or sender the binding does
 * not allow will never succeed (a person must fix the address), anything else
 * is treated as transient and retried.
 */
async function sendEmail(n: Notice, address: string, ctx: MessageContext, deps: SendDeps): Promise<AttemptResult> {
  const started = deps.now();
  if (!deps.email) {
    return { status: null, latency_ms: 0, error_class: "http_4xx", retry_after_ms: null, error: "no send_email binding (EMAIL) is configured", body_excerpt: null };
  }
  try {
    const m = emailMessage(n, deps.emailFrom, address, ctx);
    const r = await deps.email.send({ from: m.from, to: m.to, subject: m.subject, text: m.text });
    return { status: null, latency_ms: Math.max(0, deps.now() - started), error_class: null, retry_after_ms: null, error: null, body_excerpt: r.messageId };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const permanent = /not allowed|invalid|not verified/i.test(message);
    return { status: null, latency_ms: Math.max(0, deps.now() - started), error_class: permanent ? "http_4xx" : "network", retry_after_ms: null, error: message.slice(0, 300), body_excerpt: null };
  }
}

export async function sendOn(channel: Channel, n: Notice, deliveryId: string, ctx: MessageContext, deps: SendDeps): Promise<AttemptResult> {
  switch (channel.type) {
    case "slack":
      return json(channel.webhook_url, slackMessage(n, ctx), deps);
    case "pagerduty":
      // Watchers are told, never paged: a change event opens no incident.
      if (n.phase === "info") return json(pagerdutyChangeUrl(channel.events_url), pagerdutyChangeEvent(n, channel.routing_key, ctx), deps);
      return json(channel.events_url, pagerdutyEvent(n, channel.routing_key, ctx), deps);
    case "webhook": {
      const body = JSON.stringify(webhookEvent(n, deliveryId, ctx));
      // The delivery id is the webhook-id: stable across retries, so the receiver can deduplicate.
      const headers = await signedHeaders(channel.secret, deliveryId, deps.now(), body);
      return attempt(channel.url, body, traced(headers, deps), deps.timeoutMs, deps.now);
    }
    case "email":
      return sendEmail(n, channel.address, ctx, deps);
  }
}
