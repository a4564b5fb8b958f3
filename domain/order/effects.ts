import type { MachineEvent } from "../events/handoff-events";
import type { Task } from "../tasks/task";
import type { StoredReceipt } from "./receipt";
import type { Allocation } from "../inventory/allocate";
import type { Notice } from "../notify/notice";

/**
 * What a decision about an order wants written, as data. The decisions
 * (machine, handoff, SLA, tasks) return these; the order object applies the
 * whole list to its storage in one place, inside one transaction. The records
 * below are the object's rows as the decisions read them.
 */

export interface ExportRecord {
  export_id: string;
  action: string;
  version: number;
  /** The HandoffExport document as sent, JSON. */
  body: string;
  status: string;
  consumer_url: string | null;
  /** Still sealed: unsealed only for the moment of signing. */
  consumer_secret: string | null;
  requires_ack: number;
  first_attempt_at: number | null;
  delivered_at: number | null;
  acked_at: number | null;
  ack: string | null;
  ack_redeliveries: number;
}

export type NewExport = Omit<ExportRecord, "first_attempt_at" | "delivered_at" | "acked_at" | "ack" | "ack_redeliveries">;
export type ExportPatch = Partial<Pick<ExportRecord, "status" | "first_attempt_at" | "delivered_at" | "acked_at" | "ack" | "ack_redeliveries">>;

export interface AttemptRecord {
  export_id: string;
  n: number;
  at: number;
  status: number | null;
  latency_ms: number;
  error_class: string | null;
  outcome: string;
  next_attempt_at: number | null;
}

/** One export we asked the consumer to drop (domain/handoff/cancellation.ts). */
export interface CancellationRecord {
  export_id: string;
  cancellation_id: string;
  /** The ExportCancellation message as sent, JSON. */
  body: string;
  status: string;
  reason: string;
  superseded_by: string | null;
  requested_at: number;
  first_attempt_at: number | null;
  delivered_at: number | null;
  acked_at: number | null;
  ack: string | null;
  redeliveries: number;
}

export type NewCancellation = Pick<CancellationRecord, "export_id" | "cancellation_id" | "body" | "reason" | "superseded_by" | "requested_at">;
export type CancellationPatch = Partial<Pick<CancellationRecord, "status" | "superseded_by" | "first_attempt_at" | "delivered_at" | "acked_at" | "ack" | "redeliveries">>;

export interface BreachRecord {
  step: string;
  /**
   * Which run of the step's clock the level belongs to: 0 for the first run that breached, one more
   * for each later one. A step's unresolved breaches are always one run, its current one (sla.ts).
   */
  run: number;
  /** The run's start (epoch ms, the deadline's since_at); null in a row an object wrote before runs. */
  since_at: number | null;
  level: number;
  due_at: number;
  breached_at: number;
  contact: string;
  owning_party: string;
  resolved_at: number | null;
}

export interface TimerRecord {
  kind: string;
  key: string;
  due_at: number;
}

/** An audit entry as the evidence shows it (the chain's hashes are the object's business). */
export interface AuditRecord {
  seq: number;
  at: string;
  type: string;
  data: unknown;
}

export type AuditEffect = { type: "audit"; entry: { type: string; data: Record<string, unknown> } };

/** Discriminated on `type`. The machine emits audits only; the handoff, SLA and task decisions emit the rest. */
export type Effect =
  | AuditEffect
  | { type: "add_fact"; event: MachineEvent }
  | { type: "record_receipt"; receipt: StoredReceipt }
  | { type: "issue_export"; row: NewExport }
  | { type: "update_export"; export_id: string; patch: ExportPatch }
  | { type: "record_attempt"; attempt: AttemptRecord }
  /** Starts (or, on a replay, restarts) the cancellation of an export: status pending, earlier attempts kept. */
  | { type: "put_cancellation"; row: NewCancellation }
  | { type: "update_cancellation"; export_id: string; patch: CancellationPatch }
  /** `replace` moves an existing timer; otherwise the earlier due time wins. */
  | { type: "schedule_timer"; kind: string; key: string; due_at: number; replace: boolean }
  | { type: "cancel_timer"; kind: string; key: string }
  | { type: "open_task"; task: Task }
  | { type: "update_task"; task: Task }
  /** Recorded once per (step, run, level): a decision emits it only for a level its run has not recorded. */
  | { type: "insert_breach"; breach: Omit<BreachRecord, "resolved_at"> }
  /** Ends the step's current run: every unresolved breach of the step is resolved. */
  | { type: "resolve_breaches"; step: string }
  /** The order's row in D1 must be refreshed by the next drain. */
  | { type: "enqueue_index" }
  /** The order's stock decision (domain/inventory/allocate.ts), replaced whole. */
  | { type: "record_allocation"; allocation: Allocation }
  /** Watchers' notices about this commit's export changes (domain/notify/watchers.ts): queued, handed to the notifier by the drain. */
  | { type: "notify_watchers"; notices: Notice[] };
