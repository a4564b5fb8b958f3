import type { ExceptionKind, MachineEvent } from "../events/handoff-events";
import type { OrderCommit } from "../order/commit";
import type { Step } from "../ownership/schema";
import { iso } from "../time";
import type { Outcome } from "./delivery";

/**
 * What a delivery attempt and an escalation leave on the record, the same way
 * for an export and for the cancellation of one.
 */

export interface AttemptOutcome {
  status: number | null;
  latency_ms: number;
  error_class: string | null;
  error: string | null;
  /** The consumer's Retry-After (ms), when it sent one: it moves the next attempt and can exhaust max_age. */
  retry_after_ms?: number | null;
}

/** One attempt, in the attempts table (keyed by the webhook-id sent) and on the audit trail. */
export function logAttempt(c: OrderCommit, id: string, n: number, result: AttemptOutcome, outcome: Outcome, auditType: string, extra: Record<string, unknown> = {}): void {
  const next = outcome.kind === "retry" ? outcome.at : null;
  c.emit({
    type: "record_attempt",
    attempt: { export_id: id, n, at: c.now, status: result.status, latency_ms: result.latency_ms, error_class: result.error_class, outcome: outcome.kind, next_attempt_at: next },
  });
  c.audit(auditType, {
    export_id: id,
    ...extra,
    attempt: n,
    status: result.status,
    latency_ms: result.latency_ms,
    error_class: result.error_class,
    error: result.error,
    retry_after_ms: result.retry_after_ms ?? null,
    outcome: outcome.kind,
    next_attempt_at: next === null ? null : iso(next),
  });
}

/**
 * Names the owner and on-call on the audit trail and returns the fact that
 * holds the order: the hold (and its task) follow from the fact set.
 */
export function escalation(c: OrderCommit, exportId: string, step: Step, kind: ExceptionKind, detail: string): MachineEvent {
  const rule = c.rules?.rules.steps[step];
  c.audit("export.escalated", {
    export_id: exportId,
    kind,
    detail,
    owner: rule?.owner ?? null,
    escalate_to: rule?.on_call ?? null,
    exception_path: rule?.exception_path ?? null,
  });
  return {
    id: `handoff:${kind}:${exportId}`,
    type: "handoff.exception",
    order_id: c.orderId,
    occurred_at: iso(c.now),
    source: "handoff",
    data: { kind, export_id: exportId, step, detail },
  };
}
