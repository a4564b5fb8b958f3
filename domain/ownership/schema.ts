import { z } from "zod";
import { fromBase64 } from "../crypto";
import { durationProblem, parseDuration } from "./duration";
import { httpUrl } from "./url";

/**
 * Ownership rules: who owns each step of an order, how long it may take, where
 * its exceptions go and which system it is handed to. These schemas validate
 * the admin's PUT, type the store and the order object, and document the API.
 */

export const STEPS = ["payment", "routing", "fulfillment", "shipping", "delivery", "customer"] as const;
export const Step = z.enum(STEPS).meta({ id: "OwnershipStep" });
export type Step = z.infer<typeof Step>;

export const Duration = z
  .string()
  .superRefine((v, ctx) => {
    const problem = durationProblem(v);
    if (problem !== null) ctx.addIssue({ code: "custom", message: `Duration ${problem}` });
  })
  .meta({ description: "ISO-8601 duration with fixed-length units only: P[nW][nD][T[nH][nM][n[.fff]S]]", example: "PT4H" });

// The URL is shown in GET responses and the runbook CSV; only the secret is redacted.
export const HttpUrl = httpUrl("consumer.url", { credentials: { refused: "the consumer authenticates deliveries with its secret" } }).meta({ example: "https://wms.example.com/handoff" });

/** A Standard Webhooks secret as its owner hands it over: "whsec_" + base64 of the key bytes. */
export const WebhookSecret = z
  .string()
  .max(512)
  .superRefine((v, ctx) => {
    const key = v.startsWith("whsec_") ? fromBase64(v.slice(6)) : null;
    if (!key || key.length < 16) {
      ctx.addIssue({ code: "custom", message: "consumer.secret must be a Standard Webhooks secret: 'whsec_' + base64 of at least 16 bytes" });
    }
  })
  .meta({ description: "Write-only. Sealed at rest; responses show only its keyed fingerprint ('sha256:' + 8 hex), never any of its characters." });

const Contact = z.string().trim().min(1).max(200);

export const ExceptionPath = z
  .strictObject({
    type: z.enum(["manual_queue", "email", "slack", "pagerduty", "webhook"]),
    contact_id: Contact,
  })
  .meta({ id: "ExceptionPath" });
export type ExceptionPath = z.infer<typeof ExceptionPath>;

export const DEFAULT_RETRY = { initial: "PT1S", max_interval: "PT5M", max_attempts: 8, max_age: "PT24H" } as const;

export const RetryPolicy = z
  .strictObject({
    initial: Duration.default(DEFAULT_RETRY.initial),
    max_interval: Duration.default(DEFAULT_RETRY.max_interval),
    max_attempts: z.number().int().min(1).max(50).default(DEFAULT_RETRY.max_attempts),
    max_age: Duration.default(DEFAULT_RETRY.max_age),
  })
  .meta({ id: "RetryPolicy" });
export type RetryPolicy = z.infer<typeof RetryPolicy>;

const OwningParty = z
  .string()
  .max(200)
  .regex(/^[a-z0-9][a-z0-9_-]*(?::\S+)?$/, "owning_party is 'kind' or 'kind:name', e.g. 'merchant', '3pl:acme', 'agency:fulfillment-team'");

/** Structural view the cross-field check needs, shared by the input and stored variants. */
interface CheckedShape {
  steps: Record<Step, { exception_path?: unknown; consumer?: unknown } | undefined>;
  policy: { retry: { initial: string; max_interval: string } };
}

/**
 * Every step that can fail needs somewhere for its exceptions to go: the
 * machine-driven steps always can, and so can any step handed to a consumer
 * (the delivery itself can be refused). Only a `customer` step that no system
 * acts on may omit it.
 */
function checkRules(v: CheckedShape, ctx: z.RefinementCtx): void {
  for (const step of STEPS) {
    const rule = v.steps[step];
    if (!rule) continue;
    const canFail = step !== "customer" || rule.consumer !== undefined;
    if (canFail && rule.exception_path === undefined) {
      const why = step === "customer" ? "it is handed to a consumer" : "it can fail";
      ctx.addIssue({
        code: "custom",
        path: ["steps", step, "exception_path"],
        message: `steps.${step}.exception_path is required: ${why}, so its exceptions need an owner to go to`,
      });
    }
  }
  const initial = parseDuration(v.policy.retry.initial);
  const maxInterval = parseDuration(v.policy.retry.max_interval);
  if (initial !== null && maxInterval !== null && initial > maxInterval) {
    ctx.addIssue({
      code: "custom",
      path: ["policy", "retry", "initial"],
      message: `policy.retry.initial (${v.policy.retry.initial}) must not exceed policy.retry.max_interval (${v.policy.retry.max_interval})`,
    });
  }
}

/**
 * Built twice: once for what an admin sends (secrets must be real Standard
 * Webhooks secrets) and once for what is stored and returned (the secret is
 * then AES-GCM ciphertext or a redacted hint, so only its presence is checked).
 */
function buildRules<S extends z.ZodType<string>>(secret: S, suffix: "" | "View") {
  const Consumer = z
    .strictObject({
      url: HttpUrl,
      secret,
      requires_ack: z.boolean().default(true),
    })
    .meta({ id: `Consumer${suffix}` });
  const StepRule = z
    .strictObject({
      owning_party: OwningParty,
      owner: Contact,
      backup: Contact,
      on_call: Contact,
      sla: Duration,
      exception_path: ExceptionPath.optional(),
      consumer: Consumer.optional(),
      watchers: z
        .array(Contact)
        .max(20)
        .optional()
        .meta({ description: "Contacts told about changes to this step's exports (copied onto each export); unlike owner, backup and on_call they own nothing" }),
      valid_for: Duration.optional().meta({
        description:
          "How long an export of this step stays a valid decision (its valid_until). Separate from the retry budget (policy.retry.max_age): an export not acknowledged within it is decided again from current facts and rules, never delivered stale",
        example: "PT2H",
      }),
    })
    .meta({ id: `OwnershipStepRule${suffix}` });
  const steps = z.strictObject({
    payment: StepRule,
    routing: StepRule,
    fulfillment: StepRule,
    shipping: StepRule,
    delivery: StepRule,
    customer: StepRule,
    /** Who owns the units stock could not cover (a split's rest, or a whole backordered order); without it, routing's rule. */
    backorder: StepRule.optional(),
  });
  const policy = z.strictObject({
    fulfil_on: z.enum(["captured", "authorized"]).default("captured"),
    retry: RetryPolicy.default({ ...DEFAULT_RETRY }),
  });
  return z
    .strictObject({ steps, policy: policy.default({ fulfil_on: "captured", retry: { ...DEFAULT_RETRY } }) })
    .superRefine(checkRules);
}

/** What `PUT …/ownership` accepts. */
export const OwnershipRules = buildRules(WebhookSecret, "").meta({ id: "OwnershipRules" });
export type OwnershipRules = z.infer<typeof OwnershipRules>;
/** The request body before defaults are applied (fixtures, clients). */
export type OwnershipRulesInput = z.input<typeof OwnershipRules>;

/** Stored or returned rules: consumer.secret is sealed ciphertext (stored) or a redacted hint (responses). */
export const StoredOwnershipRules = buildRules(z.string().min(1), "View").meta({ id: "OwnershipRulesView" });

export type StepRule = OwnershipRules["steps"][Step];
export type Consumer = NonNullable<StepRule["consumer"]>;

export function durationMs(iso: string, field: string): number {
  const ms = parseDuration(iso);
  // Rules are validated before they are stored, so this only trips on a bypassed schema.
  if (ms === null) throw new Error(`${field}: invalid duration '${iso}'`);
  return ms;
}

/** Steps with an SLA clock and an escalation ladder: the six, and the optional backorder step (issue 17). */
export type ClockStep = Step | "backorder";

/** A clock step's rule: the backorder step falls back to routing's when the tenant set none (as its export does). */
export function clockRule(rules: OwnershipRules, step: ClockStep): StepRule {
  if (step === "backorder") return rules.steps.backorder ?? rules.steps.routing;
  return rules.steps[step];
}

export function stepSlaMs(rules: OwnershipRules, step: ClockStep): number {
  return durationMs(clockRule(rules, step).sla, `steps.${step}.sla`);
}

export function retryPolicyMs(rules: OwnershipRules): { initial: number; max_interval: number; max_attempts: number; max_age: number } {
  const r = rules.policy.retry;
  return {
    initial: durationMs(r.initial, "policy.retry.initial"),
    max_interval: durationMs(r.max_interval, "policy.retry.max_interval"),
    max_attempts: r.max_attempts,
    max_age: durationMs(r.max_age, "policy.retry.max_age"),
  };
}
