/**
 * When the trouble a task reports began, from the task's own evidence: the
 * start of the clock that time to detect (MTTD) runs on, per detector.
 *
 * - source_silent: the sender's last verified receipt (it has been quiet since);
 *   a sender never heard from, from when it was configured;
 * - stuck_order: when the order's step was due (in its state since + the step's SLA);
 * - sla_breach, payment_not_captured: the step's due time (its level-0 breach);
 * - anything else: not recorded (null), rather than a guess.
 */

export interface OnsetFacts {
  last_verified_receipt_at: string | null;
  source_configured_at: string | null;
  stuck_since: string | null;
  stuck_sla_ms: number | null;
  breach_due_at: string | null;
}

function at(text: string | null): number | null {
  if (text === null) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** ISO time of the onset, or null when the task's evidence does not say. */
export function taskOnset(type: string, f: OnsetFacts): string | null {
  let ms: number | null = null;
  if (type === "source_silent") ms = at(f.last_verified_receipt_at) ?? at(f.source_configured_at);
  else if (type === "stuck_order") {
    const since = at(f.stuck_since);
    ms = since === null || f.stuck_sla_ms === null ? null : since + f.stuck_sla_ms;
  } else if (type === "sla_breach" || type === "payment_not_captured") ms = at(f.breach_due_at);
  return ms === null ? null : new Date(ms).toISOString();
}

