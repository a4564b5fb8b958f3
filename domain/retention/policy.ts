import { z } from "zod";

/**
 * How long each kind of D1 row is kept before the retention job archives it to
 * R2 and deletes it. Whole UTC days only: the job archives and deletes one UTC
 * day at a time, so a finer unit would promise a precision it does not have.
 */

export const RETAINED_TABLES = ["rejections", "audit_log", "tasks"] as const;
export type RetainedTable = (typeof RETAINED_TABLES)[number];

/** The policy field that governs each table. */
export const POLICY_FIELD = {
  rejections: "rejections_days",
  audit_log: "audit_days",
  tasks: "resolved_tasks_days",
} as const satisfies Record<RetainedTable, string>;
type PolicyField = (typeof POLICY_FIELD)[RetainedTable];

/**
 * Defaults (docs/retention.md, "Defaults"): rejected bodies are the bulkiest
 * and least valuable rows and can be written by anyone who knows a tenant id,
 * so they go first; audit rows are the event receipts and the dispute evidence
 * (card chargebacks are raised up to 120 days after the transaction, some
 * schemes allow 540), so they outlive a year-on-year review; resolved tasks
 * feed the monthly review and the SLA notebook, two quarters back.
 */
export const DEFAULT_POLICY = { rejections_days: 30, audit_days: 400, resolved_tasks_days: 180 } as const satisfies Record<PolicyField, number>;

/** Nobody deletes yesterday by mistake: the shortest windows a PUT may set. */
export const POLICY_FLOOR = { rejections_days: 7, audit_days: 90, resolved_tasks_days: 30 } as const satisfies Record<PolicyField, number>;

/** Ten years: past that a policy is "forever" spelled as a number. */
export const POLICY_CEILING_DAYS = 3650;

const DAYS = /^P(?:(\d{1,4})W)?(?:(\d{1,5})D)?$/;

/** Days in `P<n>W`, `P<n>D` or `P<n>W<n>D`; null for any other shape (hours, months, years). */
export function isoDays(iso: string): number | null {
  const m = DAYS.exec(iso);
  if (!m || iso === "P") return null;
  return Number(m[1] ?? 0) * 7 + Number(m[2] ?? 0);
}

/** A window as whole days: an integer, or an ISO-8601 duration in weeks and days. */
function Window(field: PolicyField) {
  const floor = POLICY_FLOOR[field];
  return z
    .union([z.number(), z.string()], { error: "expected a whole number of days or an ISO-8601 duration such as P30D" })
    .transform((v, ctx) => {
      const days = typeof v === "number" ? (Number.isInteger(v) ? v : null) : isoDays(v);
      if (days === null) {
        ctx.addIssue({ code: "custom", message: `'${String(v)}' is not a whole number of days nor an ISO-8601 duration in weeks/days (e.g. P30D, P8W)` });
        return z.NEVER;
      }
      if (days < floor) {
        ctx.addIssue({ code: "custom", message: `${days} days is below the floor of ${floor} days for ${field}` });
        return z.NEVER;
      }
      if (days > POLICY_CEILING_DAYS) {
        ctx.addIssue({ code: "custom", message: `${days} days is above the ceiling of ${POLICY_CEILING_DAYS} days` });
        return z.NEVER;
      }
      return days;
    })
    .meta({ description: `Whole days (integer) or ISO-8601 weeks/days (P30D, P8W); at least ${floor}, default ${DEFAULT_POLICY[field]}` });
}

/** A PUT: every field optional, a missing one keeps its default. */
export const RetentionPolicyInput = z
  .object({
    rejections_days: Window("rejections_days").optional(),
    audit_days: Window("audit_days").optional(),
    resolved_tasks_days: Window("resolved_tasks_days").optional(),
  })
  .strict()
  .meta({ id: "RetentionPolicyInput" });

export const RetentionPolicy = z
  .object({
    rejections_days: z.number().int().describe("Rejected deliveries (bodies included), by received_at"),
    audit_days: z.number().int().describe("Audit rows (event receipts and everything else on the per-order chains), by at"),
    resolved_tasks_days: z.number().int().describe("Resolved tasks, by resolved_at; open tasks are never deleted"),
  })
  .meta({ id: "RetentionPolicy" });
export type RetentionPolicy = z.infer<typeof RetentionPolicy>;

export function completePolicy(input: z.output<typeof RetentionPolicyInput>): RetentionPolicy {
  return { ...DEFAULT_POLICY, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) };
}

const DAY_MS = 86_400_000;

/** The UTC day (`yyyy-mm-dd`) of an ISO timestamp or epoch ms. */
export function utcDay(at: string | number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/**
 * The newest UTC day a table may archive at `now`: a row is expired once its
 * whole day lies more than `days` days in the past, so a row is kept at least
 * `days` full days and at most one day longer.
 */
export function lastExpiredDay(now: number, days: number): string {
  const todayStart = Math.floor(now / DAY_MS) * DAY_MS;
  return utcDay(todayStart - (days + 1) * DAY_MS);
}

/** The day after `day`, the exclusive upper bound of its rows' timestamps. */
export function nextDay(day: string): string {
  return utcDay(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS);
}

export const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a UTC day as yyyy-mm-dd")
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && utcDay(`${d}T00:00:00Z`) === d, "not a calendar day");
