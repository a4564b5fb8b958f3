import { z } from "zod";
import { fromBase64 } from "../crypto";
import { durationProblem, parseDuration } from "../ownership/duration";
import { STEPS, type OwnershipRules } from "../ownership/schema";
import { httpUrl } from "../ownership/url";

/**
 * Who a notification can reach: contacts (a person or a team with channels)
 * and on-call rotations (contacts taking turns). Ownership rules name either
 * in `owner`, `backup`, `on_call` and `exception_path.contact_id`; both share
 * one namespace per tenant so a name means one thing.
 */

/** The names the example rules already use (`ops@acme.example`, `#acme-fulfillment`, `pagerduty:acme`) stay valid ids. */
export const DirectoryId = z
  .string()
  .regex(/^[A-Za-z0-9#@][A-Za-z0-9#@:._+-]{0,127}$/, "1-128 chars: letters, digits and # @ : . _ + - (not starting with : . _ + -)")
  .meta({ example: "ops@acme.example" });

/** PagerDuty's Events API v2 endpoint (developer.pagerduty.com, "Send an Alert Event"). */
export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";

const WhSecret = z
  .string()
  .max(512)
  .superRefine((v, ctx) => {
    const key = v.startsWith("whsec_") ? fromBase64(v.slice(6)) : null;
    if (!key || key.length < 16) ctx.addIssue({ code: "custom", message: "must be a Standard Webhooks secret: 'whsec_' + base64 of at least 16 bytes" });
  });

function channelSchema(url: z.ZodString) {
  return z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("slack"), webhook_url: url.meta({ description: "Slack incoming-webhook URL. Write-only, sealed at rest." }) }),
    z.strictObject({
      type: z.literal("pagerduty"),
      routing_key: z.string().min(1).max(128).meta({ description: "Integration (routing) key. Write-only, sealed at rest." }),
      events_url: url.default(PAGERDUTY_EVENTS_URL).meta({ description: "Events API v2 endpoint; override for tests and self-hosted relays." }),
    }),
    z.strictObject({ type: z.literal("email"), address: z.email().max(254) }),
    z.strictObject({ type: z.literal("webhook"), url: url.meta({ description: "Write-only, sealed at rest." }), secret: WhSecret.meta({ description: "Write-only, sealed at rest." }) }),
  ]);
}

/**
 * A channel as a PUT gives it. Its URLs are sealed and never shown, so
 * credentials in them are refused for another reason than the consumer URL's:
 * workerd's fetch drops a URL's user:password without a word (no
 * Authorization header goes out), so such a channel would fail at 3 a.m.
 * rather than at the PUT.
 */
export const Channel = channelSchema(httpUrl(null, { credentials: { refused: "they would not be sent (fetch drops them); a channel authenticates with its secret, routing key or the token in its path" } })).meta({
  id: "ContactChannel",
});

/**
 * A channel as it was sealed, read back at the moment of sending: a contact
 * saved before credentials were refused still reaches the notifier (and its
 * failure shows on that delivery) instead of failing the read of every notice.
 */
export const StoredChannel = channelSchema(httpUrl(null, { credentials: "allow" }));
export type Channel = z.infer<typeof Channel>;
export type ChannelType = Channel["type"];
export const CHANNEL_TYPES = ["slack", "pagerduty", "email", "webhook"] as const satisfies readonly ChannelType[];

export function isChannelType(s: string): s is ChannelType {
  return (CHANNEL_TYPES as readonly string[]).includes(s);
}

export const ContactInput = z
  .strictObject({ name: z.string().trim().min(1).max(200), channels: z.array(Channel).max(10).default([]) })
  .meta({ id: "ContactInput" });
export type ContactInput = z.infer<typeof ContactInput>;

/** A channel as responses show it: secrets and secret-bearing URLs only as keyed fingerprints. */
export const ChannelView = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("slack"), webhook_url: z.string().describe("sha256: fingerprint"), host: z.string() }),
    z.object({ type: z.literal("pagerduty"), routing_key: z.string().describe("sha256: fingerprint"), events_url: z.string() }),
    z.object({ type: z.literal("email"), address: z.string() }),
    z.object({ type: z.literal("webhook"), url: z.string().describe("sha256: fingerprint"), host: z.string(), secret: z.string().describe("sha256: fingerprint") }),
  ])
  .meta({ id: "ContactChannelView" });
export type ChannelView = z.infer<typeof ChannelView>;

export const Contact = z
  .object({ contact_id: z.string(), name: z.string(), channels: z.array(ChannelView), updated_at: z.string() })
  .meta({ id: "Contact" });
export type Contact = z.infer<typeof Contact>;

const Instant = z.iso.datetime({ offset: true }).meta({ example: "2026-12-07T09:00:00Z" });

const ShiftDuration = z
  .string()
  .superRefine((v, ctx) => {
    const problem = durationProblem(v);
    if (problem !== null) ctx.addIssue({ code: "custom", message: `Duration ${problem}` });
    else if ((parseDuration(v) ?? 0) < 60_000) ctx.addIssue({ code: "custom", message: "a shift lasts at least a minute (PT1M)" });
  })
  .meta({ example: "P7D" });

export const Override = z
  .strictObject({ contact_id: DirectoryId, from: Instant, to: Instant })
  .refine((o) => Date.parse(o.from) < Date.parse(o.to), { message: "an override's from must be before its to", path: ["to"] });

export const RotationInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    members: z.array(DirectoryId).min(1).max(100),
    shift: ShiftDuration,
    starts_at: Instant,
    overrides: z.array(Override).max(200).default([]),
  })
  .meta({ id: "RotationInput" });
export type RotationInput = z.infer<typeof RotationInput>;

export const Rotation = RotationInput.extend({
  rotation_id: z.string(),
  name: z.string(),
  updated_at: z.string(),
  on_call_now: z.string().nullable().describe("Who the rotation resolves to at the time of the response"),
}).meta({ id: "Rotation" });
export type Rotation = z.infer<typeof Rotation>;

/** What the rule check needs to know about the directory. */
export interface DirectoryNames {
  contacts: Map<string, { channels: ChannelType[] }>;
  rotations: Set<string>;
}

export interface NameIssue {
  path: string;
  message: string;
}

/**
 * Every person an ownership rule names must be reachable: a contact or a
 * rotation of the tenant's directory. An exception path that says how
 * (`slack`, `pagerduty`, `email`, `webhook`) must name a contact that has
 * such a channel, or a rotation (whose members are checked when it is paged).
 */
export function ruleNameIssues(rules: Pick<OwnershipRules, "steps">, dir: DirectoryNames): NameIssue[] {
  const issues: NameIssue[] = [];
  const known = (name: string) => dir.contacts.has(name) || dir.rotations.has(name);
  for (const step of STEPS) {
    const rule = rules.steps[step];
    for (const field of ["owner", "backup", "on_call"] as const) {
      if (!known(rule[field])) {
        issues.push({ path: `steps.${step}.${field}`, message: `'${rule[field]}' is neither a contact nor a rotation; PUT /v1/tenants/:tenant/contacts/:contact_id first` });
      }
    }
    for (const [i, w] of (rule.watchers ?? []).entries()) {
      if (!known(w)) issues.push({ path: `steps.${step}.watchers.${i}`, message: `'${w}' is neither a contact nor a rotation` });
    }
    const ex = rule.exception_path;
    if (!ex) continue;
    const path = `steps.${step}.exception_path.contact_id`;
    if (!known(ex.contact_id)) {
      issues.push({ path, message: `'${ex.contact_id}' is neither a contact nor a rotation` });
      continue;
    }
    const contact = dir.contacts.get(ex.contact_id);
    if (ex.type !== "manual_queue" && contact && !contact.channels.includes(ex.type)) {
      issues.push({ path, message: `exception_path.type is '${ex.type}' but contact '${ex.contact_id}' has no ${ex.type} channel` });
    }
  }
  return issues;
}
