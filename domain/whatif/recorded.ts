import type { CanonicalEvent } from "../events/canonical";
import type { AttemptResult, ErrorClass } from "../handoff/delivery";
import type { Resolution } from "../tasks/task";
import { epochMs } from "../order/facts";

/**
 * What the outside world did to one order, read back from its audit trail:
 * the deliveries that reached it (with their facts and the rules version they
 * met), each answer a consumer gave to a delivery attempt or an ack, and what
 * people did with its tasks. Everything else on the trail (exports issued,
 * breaches, tasks opened) is a decision, and decisions are what a replay
 * recomputes rather than reads.
 */

interface At {
  /** Epoch ms of the entry: the moment the object made the decision that recorded it. */
  at: number;
  /** The entry's seq: ties at one ms keep the recorded order. */
  seq: number;
}

export type RecordedInput = At &
  (
    | {
        kind: "receipt";
        receipt_id: string;
        source: string;
        idempotency_key: string;
        raw_sha256: string;
        request_id: string;
        events: CanonicalEvent[];
        rules_version: number | null;
      }
    | { kind: "attempt" | "cancel_attempt"; export_id: string; first_attempt_at: number; result: AttemptResult }
    | { kind: "ack" | "cancel_ack"; export_id: string; status: "accepted" | "rejected"; reason: string | null }
    | { kind: "claim"; task_id: string; by: string }
    | { kind: "resolve"; task_id: string; resolution: Resolution }
  );

export interface AuditLine {
  readonly seq: number;
  readonly at: string;
  readonly type: string;
  readonly data: unknown;
}

/**
 * An audit row as D1 returns it (`data` as JSON text), parsed when its data is first read. A what-if
 * never reads a `task.escalated` entry's data (the entry only moves `last_at`) nor any `event.applied`
 * but an order's last (decisionsOf): a quarter of the JSON text a job is handed, never parsed.
 */
export class StoredAuditLine implements AuditLine {
  private text: string | null;
  private parsed: unknown = null;

  constructor(
    readonly seq: number,
    readonly at: string,
    readonly type: string,
    text: string,
  ) {
    this.text = text;
  }

  get data(): unknown {
    if (this.text !== null) {
      this.parsed = JSON.parse(this.text);
      this.text = null;
    }
    return this.parsed;
  }
}

export interface RecordedOrder {
  tenant: string;
  order_id: string;
  inputs: RecordedInput[];
  /** The trail itself, for the side of the comparison that actually happened. */
  trail: readonly AuditLine[];
  /** Entries the replay cannot use (a receipt written before receipts carried their facts): the order is only approximated. */
  gaps: string[];
  /** Epoch ms of the latest entry read (-Infinity for none): how far the live object's recorded decisions are known to reach. */
  last_at: number;
}

type Data = Record<string, unknown>;

const str = (d: Data, k: string): string => (typeof d[k] === "string" ? d[k] : "");
const strOrNull = (d: Data, k: string): string | null => (typeof d[k] === "string" ? d[k] : null);
const num = (d: Data, k: string): number | null => (typeof d[k] === "number" ? d[k] : null);

function attemptResult(d: Data): AttemptResult {
  return {
    status: num(d, "status"),
    latency_ms: num(d, "latency_ms") ?? 0,
    error_class: strOrNull(d, "error_class") as ErrorClass,
    retry_after_ms: num(d, "retry_after_ms"),
    error: strOrNull(d, "error"),
    // Not on the trail: it only colours the wording of a rejection, never the decision.
    body_excerpt: null,
  };
}

function isData(v: unknown): v is Data {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An entry's data as an object ({} for anything else), read only by the entries that use it (see StoredAuditLine). */
function dataOf(e: AuditLine): Data {
  const d = e.data;
  return isData(d) ? d : {};
}

function inSeqOrder(trail: readonly AuditLine[]): boolean {
  for (let i = 1; i < trail.length; i++) if ((trail[i]?.seq ?? 0) < (trail[i - 1]?.seq ?? 0)) return false;
  return true;
}

/** The external inputs in one order's trail, in the order they happened. */
export function recordedOrder(tenant: string, orderId: string, trail: readonly AuditLine[]): RecordedOrder {
  const inputs: RecordedInput[] = [];
  const gaps: string[] = [];
  // D1 hands the trail over in seq order (ORDER BY order_id, seq): copied and sorted only when it is not.
  const sorted = inSeqOrder(trail) ? trail : [...trail].sort((a, b) => a.seq - b.seq);
  let lastAt = Number.NEGATIVE_INFINITY;
  for (const e of sorted) {
    // Plain fields on each input, not a spread of a shared {at, seq}: spreading cost ~5x the rest of this loop (measured).
    const at = epochMs(e.at);
    const seq = e.seq;
    if (at > lastAt) lastAt = at;
    switch (e.type) {
      case "receipt.recorded": {
        const d = dataOf(e);
        if (!Array.isArray(d.facts)) {
          gaps.push(`seq ${e.seq}: receipt ${str(d, "receipt_id")} has no facts on the trail`);
          break;
        }
        inputs.push({
          at,
          seq,
          kind: "receipt",
          receipt_id: str(d, "receipt_id"),
          source: str(d, "source"),
          idempotency_key: str(d, "idempotency_key"),
          raw_sha256: str(d, "raw_sha256"),
          request_id: str(d, "request_id"),
          // Written from the schema-checked events by the object itself.
          events: d.facts as CanonicalEvent[],
          rules_version: num(d, "rules_version"),
        });
        break;
      }
      case "export.attempt":
      case "cancellation.attempt": {
        const d = dataOf(e);
        const exportId = e.type === "export.attempt" ? str(d, "export_id") : str(d, "cancels");
        const first = strOrNull(d, "first_attempt_at");
        if (first === null) {
          gaps.push(`seq ${e.seq}: attempt on ${exportId} without first_attempt_at`);
          break;
        }
        const kind = e.type === "export.attempt" ? "attempt" : "cancel_attempt";
        inputs.push({ at, seq, kind, export_id: exportId, first_attempt_at: epochMs(first), result: attemptResult(d) });
        break;
      }
      case "export.acked": {
        const d = dataOf(e);
        // Acks by the consumer's own events or by a 2xx follow from other inputs; only a signed ack is an input.
        if (d.via === "ack") inputs.push({ at, seq, kind: "ack", export_id: str(d, "export_id"), status: d.status === "rejected" ? "rejected" : "accepted", reason: strOrNull(d, "reason") });
        break;
      }
      case "cancellation.acked": {
        const d = dataOf(e);
        inputs.push({ at, seq, kind: "cancel_ack", export_id: str(d, "export_id"), status: d.status === "rejected" ? "rejected" : "accepted", reason: strOrNull(d, "reason") });
        break;
      }
      case "task.claimed": {
        const d = dataOf(e);
        inputs.push({ at, seq, kind: "claim", task_id: str(d, "task_id"), by: str(d, "by") });
        break;
      }
      case "task.resolved": {
        const d = dataOf(e);
        const action = d.action === "replay" || d.action === "override" ? d.action : "close";
        inputs.push({
          at,
          seq,
          kind: "resolve",
          task_id: str(d, "task_id"),
          resolution: { resolution: str(d, "resolution"), justification: str(d, "justification"), action, by: str(d, "by") },
        });
        break;
      }
    }
  }
  return { tenant, order_id: orderId, inputs, trail: sorted, gaps, last_at: lastAt };
}

/** The audit entry types a replay needs: its inputs and the decisions it is compared with. */
export const REPLAY_AUDIT_TYPES = [
  "receipt.recorded",
  "export.attempt",
  "cancellation.attempt",
  "export.acked",
  "cancellation.acked",
  "task.claimed",
  "task.resolved",
  "export.issued",
  "export.escalated",
  "sla.breached",
  "sla.escalated",
  "task.opened",
  "task.escalated",
  "event.applied",
] as const;
