/**
 * How many refused deliveries one tenant's source may cost us per minute.
 * Honest, signed traffic never reaches this: only a refusal asks it.
 *
 * Per bucket (a tenant's named source, or all of its unknown sources, or all of
 * its acks) and per window:
 *  - the first `record` refusals are recorded in full (the sample someone can
 *    inspect and replay);
 *  - the next ones up to `limit` are answered with their usual 4xx but only
 *    counted (one counter row per bucket and window, written once);
 *  - beyond `limit`, the answer is 429 `rate_limited` with Retry-After until
 *    the window ends, and those are counted too.
 */
export interface BudgetLimits {
  record: number;
  limit: number;
  windowMs: number;
}

export const DEFAULT_BUDGET: BudgetLimits = { record: 20, limit: 120, windowMs: 60_000 };

export interface BudgetWindow {
  start: number;
  recorded: number;
  counted: number;
  limited: number;
}

export type BudgetDecision =
  | { action: "record"; window: BudgetWindow }
  | { action: "count"; window: BudgetWindow }
  | { action: "limit"; window: BudgetWindow; retryAfterSeconds: number };

/** A fixed window opened by the first refusal after the previous one closed. */
export function decideRefusal(current: BudgetWindow | null, now: number, limits: BudgetLimits): BudgetDecision {
  const open = current !== null && now < current.start + limits.windowMs ? current : { start: now, recorded: 0, counted: 0, limited: 0 };
  const seen = open.recorded + open.counted;
  if (open.recorded < limits.record) return { action: "record", window: { ...open, recorded: open.recorded + 1 } };
  if (seen < limits.limit) return { action: "count", window: { ...open, counted: open.counted + 1 } };
  const retryAfterSeconds = Math.max(1, Math.ceil((open.start + limits.windowMs - now) / 1000));
  return { action: "limit", window: { ...open, limited: open.limited + 1 }, retryAfterSeconds };
}

/** Reads the limits from the environment's strings; anything unparsable keeps the default. */
export function budgetLimits(env: { REFUSAL_RECORD_PER_MINUTE?: string; REFUSAL_LIMIT_PER_MINUTE?: string }): BudgetLimits {
  const int = (v: string | undefined, d: number) => {
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 ? n : d;
  };
  const record = int(env.REFUSAL_RECORD_PER_MINUTE, DEFAULT_BUDGET.record);
  return { record, limit: Math.max(record, int(env.REFUSAL_LIMIT_PER_MINUTE, DEFAULT_BUDGET.limit)), windowMs: DEFAULT_BUDGET.windowMs };
}

/** Which budget a refusal spends: names an attacker can vary freely share one bucket. */
export function budgetBucket(tenant: string, kind: { source: string } | "unknown_source" | "ack"): string {
  if (kind === "unknown_source") return `${tenant}\n*unknown-source`;
  if (kind === "ack") return `${tenant}\n*ack`;
  return `${tenant}\n${kind.source}`;
}

/** The budget object's contract, as the Worker shell sees it (durable-objects/refusals implements it). */
export interface RefusalBudgetObject {
  spend(tenant: string, bucket: string): Promise<BudgetDecision>;
}
