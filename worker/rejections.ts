import { db } from "./db/client";
import { rejections, type RejectionInsert } from "./db/schema";
import type { Env } from "./env";
import { ApiError, ERROR_CODES, type ErrorCode } from "./errors";
import { toBase64 } from "../domain/crypto";
import { budgetBucket, type BudgetDecision } from "../domain/refusals/budget";
import { openRejectionTask } from "./tasks";
import { countRows, upsertCounts } from "./watchers/counters";

export interface RejectionInput {
  tenant: string;
  source: string;
  code: ErrorCode;
  reason: string;
  details?: unknown;
  headers: Record<string, string>;
  /** What is kept of the body (all of it once the signature verified). */
  body: Uint8Array;
  /** SHA-256 of the whole body as received, even when only part is kept. */
  bodySha256: string;
  /** Full size when the body was cut at the limit. */
  bodyBytes: number;
  truncated: boolean;
  signatureVerified: boolean;
  now: number;
  /** Which refusal budget this spends: a configured source, any unknown source, or any ack. */
  budget: { source: string } | "unknown_source" | "ack";
}

/**
 * Asks the tenant source's budget object whether this refusal is recorded,
 * only counted, or answered 429. If the budget cannot be asked, record it:
 * losing evidence is worse than one row too many.
 */
async function spend(env: Env, r: RejectionInput): Promise<BudgetDecision["action"] | { retryAfter: number }> {
  try {
    const bucket = budgetBucket(r.tenant, r.budget);
    const d = await env.REFUSALS.get(env.REFUSALS.idFromName(bucket)).spend(r.tenant, bucket);
    return d.action === "limit" ? { retryAfter: d.retryAfterSeconds } : d.action;
  } catch (err) {
    console.error("refusal budget unavailable", err);
    return "record";
  }
}

/**
 * Records a refused delivery and returns the error to answer with. If the
 * record cannot be written, answer 503 instead of the 4xx: the sender then
 * retries, and the evidence is not lost.
 */
export async function reject(env: Env, r: RejectionInput): Promise<ApiError> {
  const spent = await spend(env, r);
  if (typeof spent === "object") {
    return new ApiError("rate_limited", "Too many refused deliveries from this source; retry later", { refused_with: r.code }, {
      "retry-after": String(spent.retryAfter),
    });
  }
  const cause = r.details === undefined ? {} : { cause: r.details };
  // Past the full-record budget the refusal is only counted (rejection_overflow), so the answer names no record.
  if (spent === "count") return new ApiError(r.code, r.reason, { rejection_id: null, recorded: false, ...cause });
  const row: RejectionInsert = {
    id: `rej_${crypto.randomUUID().replace(/-/g, "")}`,
    tenantId: r.tenant,
    source: r.source,
    status: ERROR_CODES[r.code],
    code: r.code,
    reason: r.reason,
    details: r.details ?? null,
    headers: r.headers,
    bodyBase64: toBase64(r.body),
    bodyTruncated: r.truncated,
    bodySha256: r.bodySha256,
    signatureVerified: r.signatureVerified,
    bodyBytes: r.bodyBytes,
    receivedAt: new Date(r.now).toISOString(),
  };
  try {
    const d = db(env.DB);
    // A configured sender's refusals are counted per hour and code beside the record: the silence watcher's evidence.
    const counted = typeof r.budget === "object" ? upsertCounts(d, countRows(r.tenant, [{ source: r.source, kind: r.code, at: row.receivedAt }])) : [];
    const [[stored]] = await d.batch([d.insert(rejections).values(row).returning(), ...counted]);
    // A genuine body that did not map needs a person: it joins the manual queue.
    if (stored) await openRejectionTask(env, stored);
  } catch (err) {
    console.error("rejection not recorded", err);
    return new ApiError("rejection_not_recorded", "The delivery was refused but could not be recorded; retry later", {
      refused_with: r.code,
    }, { "retry-after": "30" });
  }
  return new ApiError(r.code, r.reason, { rejection_id: row.id, ...cause });
}
