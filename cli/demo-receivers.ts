import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { OwnershipRulesInput } from "../domain/ownership/schema";
import { readBody, reply } from "./consumer-http";

/**
 * The demo's Slack and PagerDuty: the engine's notifications for the demo
 * tenant land here and are printed, so a newcomer sees a page arrive. They
 * answer as the real services do: Slack's incoming webhook `200 ok`
 * (text/plain), PagerDuty's Events API v2 `202 {"status":"success",…}`.
 */

const Slack = z.object({ text: z.string(), blocks: z.array(z.object({ type: z.string() }).loose()).optional() });
const PagerDuty = z.object({
  routing_key: z.string(),
  event_action: z.enum(["trigger", "acknowledge", "resolve"]),
  dedup_key: z.string().optional(),
  payload: z.object({ summary: z.string(), severity: z.string() }).loose().optional(),
});

function parse<T>(schema: z.ZodType<T>, body: string): T | null {
  try {
    const r = schema.safeParse(JSON.parse(body));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** Handles `/slack/<contact>` and `/pagerduty`; false for any other route. */
export async function receiveNotification(route: string, req: IncomingMessage, res: ServerResponse, log: (line: string) => void): Promise<boolean> {
  const slack = /^\/slack\/(.+)$/.exec(route);
  if (!slack && route !== "/pagerduty") return false;
  if (req.method !== "POST") {
    reply(res, 405, { error: "POST only" }, { allow: "POST" });
    return true;
  }
  const body = await readBody(req);
  if (slack) {
    const m = body === null ? null : parse(Slack, body);
    if (!m) {
      // What Slack answers a payload it cannot read.
      res.writeHead(400, { "content-type": "text/plain" }).end("invalid_payload");
      log(`[demo-slack] ${decodeURIComponent(slack[1] ?? "")}: invalid payload → 400`);
      return true;
    }
    log(`[demo-slack] to ${decodeURIComponent(slack[1] ?? "")}: ${m.text}  (${m.blocks?.length ?? 0} blocks)`);
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    return true;
  }
  const e = body === null ? null : parse(PagerDuty, body);
  if (!e) {
    reply(res, 400, { status: "invalid event", message: "Event object is invalid", errors: ["could not parse"] });
    log("[demo-pagerduty] invalid event → 400");
    return true;
  }
  const what = e.event_action === "trigger" ? `${e.payload?.severity ?? "?"}: ${e.payload?.summary ?? ""}` : "";
  log(`[demo-pagerduty] ${e.event_action} ${e.dedup_key ?? ""} (routing key ${e.routing_key}) ${what}`.trimEnd());
  reply(res, 202, { status: "success", message: "Event processed", dedup_key: e.dedup_key ?? "" });
  return true;
}

type Channel = { type: "slack"; webhook_url: string } | { type: "pagerduty"; routing_key: string; events_url: string } | { type: "email"; address: string };

/**
 * A contact for every name the demo rules use: people and channels get the
 * demo Slack (and email when the name is an address), `pagerduty:*` names the
 * demo PagerDuty; `demo-oncall` is a weekly rotation of the ops people.
 */
export const DEMO_ROTATION = { id: "demo-oncall", members: ["ops@demo.example", "ops-lead@demo.example"], shift: "P1D", starts_at: "2026-01-05T08:00:00Z" } as const;

export function demoContacts(rules: OwnershipRulesInput, receiversUrl: string): { id: string; name: string; channels: Channel[] }[] {
  const names = new Set<string>(DEMO_ROTATION.members);
  for (const step of Object.values(rules.steps)) {
    for (const n of [step.owner, step.backup, step.on_call, step.exception_path?.contact_id]) if (n && n !== DEMO_ROTATION.id) names.add(n);
  }
  return [...names].sort().map((id) => {
    if (id.startsWith("pagerduty:")) {
      return { id, name: `PagerDuty ${id.slice(10)}`, channels: [{ type: "pagerduty", routing_key: `demo-${id.slice(10)}`, events_url: `${receiversUrl}/pagerduty` }] };
    }
    const channels: Channel[] = [{ type: "slack", webhook_url: `${receiversUrl}/slack/${encodeURIComponent(id)}` }];
    if (/^[^@\s]+@[^@\s]+\.[a-z]+$/i.test(id)) channels.push({ type: "email", address: id });
    return { id, name: id, channels };
  });
}
