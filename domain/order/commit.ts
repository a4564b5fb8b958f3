import type { RulesInput } from "../handoff/plan";
import type { Task } from "../tasks/task";
import type { AttemptRecord, AuditRecord, BreachRecord, CancellationPatch, CancellationRecord, Effect, ExportPatch, ExportRecord, TimerRecord } from "./effects";
import type { StoredReceipt } from "./receipt";
import { iso } from "../time";
import type { Allocation } from "../inventory/allocate";

/** A short coalescing window so a burst of events on one order drains in one D1 batch. */
export const DRAIN_DELAY_MS = 50;

/** How many of the latest audit entries a task's evidence shows. */
export const EVIDENCE_AUDIT_ENTRIES = 40;

/**
 * The order object's tables, read-only, in the order its storage returns them.
 * The object's store implements this; a test can hand in plain arrays.
 */
export interface OrderReader {
  exports(): readonly ExportRecord[];
  attempts(): readonly AttemptRecord[];
  cancellations(): readonly CancellationRecord[];
  timers(): readonly TimerRecord[];
  breaches(): readonly BreachRecord[];
  tasks(): readonly Task[];
  receipts(): readonly StoredReceipt[];
  /** The last `n` audit entries, oldest first. */
  recentAudit(n: number): readonly AuditRecord[];
  /** The stock decision taken when the order became routable; absent or null: none (untracked). */
  allocation?(): Allocation | null;
  /**
   * False for a what-if replay: a task's evidence is for the person working it and
   * no decision ever reads it back, so a replay of a month need not gather it per task.
   */
  readonly gathersEvidence?: boolean;
}

const byExport = (a: ExportRecord, b: ExportRecord) => (a.action < b.action ? -1 : a.action > b.action ? 1 : a.version - b.version);
const byAttempt = (a: AttemptRecord, b: AttemptRecord) => (a.export_id < b.export_id ? -1 : a.export_id > b.export_id ? 1 : a.n - b.n);
const byBreach = (a: BreachRecord, b: BreachRecord) =>
  a.breached_at - b.breached_at || (a.step < b.step ? -1 : a.step > b.step ? 1 : a.level - b.level);
const byTask = (a: Task, b: Task) => Date.parse(a.sla_due) - Date.parse(b.sla_due) || (a.task_id < b.task_id ? -1 : a.task_id > b.task_id ? 1 : 0);
const byReceipt = (a: StoredReceipt, b: StoredReceipt) =>
  a.received_at < b.received_at ? -1 : a.received_at > b.received_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/**
 * One decision about one order: the context it is made in (who, when, under
 * which rules), the effects it has emitted so far, and a working copy of the
 * object's tables with those effects already applied, so a later read in the
 * same decision sees an earlier write, exactly as it would inside the
 * object's transaction. Nothing here touches storage: the object applies
 * `effects` afterwards, in one place.
 *
 * Reads return copies, so a loop may emit while it iterates. Tables are loaded on first read (most decisions never look at receipts or
 * the audit trail); a table loaded late replays the effects emitted before.
 */
export class OrderCommit {
  readonly effects: Effect[] = [];
  private exportRows: ExportRecord[] | null = null;
  private attemptRows: AttemptRecord[] | null = null;
  private cancellationRows: CancellationRecord[] | null = null;
  private timerRows: TimerRecord[] | null = null;
  private breachRows: BreachRecord[] | null = null;
  private taskRows: Task[] | null = null;
  private receiptRows: StoredReceipt[] | null = null;
  private auditRows: AuditRecord[] | null = null;
  private allocationRow: Allocation | null | undefined = undefined;

  constructor(
    private readonly reader: OrderReader,
    readonly tenant: string,
    readonly orderId: string,
    readonly now: number,
    readonly rules: RulesInput | null,
    /** The tenant's default owner: who gets the order's tasks when no ownership rule names anyone. */
    readonly defaultOwner: string | null = null,
    /** The tenant's contact and rotation ids as the last event brought them; null: unknown or none (names unchecked). */
    readonly directory: ReadonlySet<string> | null = null,
  ) {}

  /** Whether a task opened in this decision carries its evidence (always, except in a what-if replay). */
  get gathersEvidence(): boolean {
    return this.reader.gathersEvidence !== false;
  }

  // ── writes ───────────────────────────────────────────────────────────────
  emit(e: Effect): void {
    this.effects.push(e);
    this.applyLoaded(e);
  }

  audit(type: string, data: Record<string, unknown>): void {
    this.emit({ type: "audit", entry: { type, data } });
  }

  schedule(kind: string, key: string, dueAt: number, replace = false): void {
    this.emit({ type: "schedule_timer", kind, key, due_at: dueAt, replace });
  }

  cancel(kind: string, key: string): void {
    this.emit({ type: "cancel_timer", kind, key });
  }

  /** The order's D1 row is stale: queue it for the next drain, soon. */
  refreshIndex(): void {
    this.emit({ type: "enqueue_index" });
    this.schedule("drain", "outbox", this.now + DRAIN_DELAY_MS);
  }

  updateExport(exportId: string, patch: ExportPatch): void {
    this.emit({ type: "update_export", export_id: exportId, patch });
  }

  updateCancellation(exportId: string, patch: CancellationPatch): void {
    this.emit({ type: "update_cancellation", export_id: exportId, patch });
  }

  /** The order's stock decision (or how its holds ended) changed: kept beside the facts. */
  recordAllocation(allocation: Allocation): void {
    this.emit({ type: "record_allocation", allocation });
  }

  // ── reads (with this decision's effects applied) ─────────────────────────
  allocation(): Allocation | null {
    if (this.allocationRow === undefined) {
      this.allocationRow = this.reader.allocation?.() ?? null;
      for (const e of this.effects) if (e.type === "record_allocation") this.allocationRow = e.allocation;
    }
    return this.allocationRow;
  }

  exports(): readonly ExportRecord[] {
    this.exportRows ??= this.load([...this.reader.exports()], (rows, e) => applyExport(rows, e));
    return [...this.exportRows];
  }

  exportById(id: string): ExportRecord | null {
    return this.exports().find((r) => r.export_id === id) ?? null;
  }

  attempts(exportId?: string): readonly AttemptRecord[] {
    this.attemptRows ??= this.load([...this.reader.attempts()], (rows, e) => applyAttempt(rows, e));
    return this.attemptRows.filter((a) => exportId === undefined || a.export_id === exportId);
  }

  cancellations(): readonly CancellationRecord[] {
    this.cancellationRows ??= this.load([...this.reader.cancellations()], (rows, e) => applyCancellation(rows, e));
    return [...this.cancellationRows];
  }

  cancellation(exportId: string): CancellationRecord | null {
    return this.cancellations().find((r) => r.export_id === exportId) ?? null;
  }

  timers(kind?: string): readonly TimerRecord[] {
    this.timerRows ??= this.load([...this.reader.timers()], (rows, e) => applyTimer(rows, e));
    const rows = [...this.timerRows].sort((a, b) => a.due_at - b.due_at);
    return kind === undefined ? rows : rows.filter((t) => t.kind === kind);
  }

  breaches(): readonly BreachRecord[] {
    this.breachRows ??= this.load([...this.reader.breaches()], (rows, e) => applyBreach(rows, e, this.now));
    return [...this.breachRows];
  }

  tasks(): readonly Task[] {
    this.taskRows ??= this.load([...this.reader.tasks()], (rows, e) => applyTask(rows, e));
    return [...this.taskRows];
  }

  task(id: string): Task | null {
    return this.tasks().find((t) => t.task_id === id) ?? null;
  }

  receipts(): readonly StoredReceipt[] {
    this.receiptRows ??= this.load([...this.reader.receipts()], (rows, e) => applyReceipt(rows, e));
    return [...this.receiptRows];
  }

  /** The latest audit entries, including the ones this decision has emitted. */
  recentAudit(): readonly AuditRecord[] {
    this.auditRows ??= this.load([...this.reader.recentAudit(EVIDENCE_AUDIT_ENTRIES)], (rows, e) => applyAudit(rows, e, this.now));
    return [...this.auditRows];
  }

  private load<T>(rows: T[], apply: (rows: T[], e: Effect) => void): T[] {
    for (const e of this.effects) apply(rows, e);
    return rows;
  }

  private applyLoaded(e: Effect): void {
    if (this.exportRows) applyExport(this.exportRows, e);
    if (this.attemptRows) applyAttempt(this.attemptRows, e);
    if (this.cancellationRows) applyCancellation(this.cancellationRows, e);
    if (this.timerRows) applyTimer(this.timerRows, e);
    if (this.breachRows) applyBreach(this.breachRows, e, this.now);
    if (this.taskRows) applyTask(this.taskRows, e);
    if (this.receiptRows) applyReceipt(this.receiptRows, e);
    if (this.auditRows) applyAudit(this.auditRows, e, this.now);
    if (this.allocationRow !== undefined && e.type === "record_allocation") this.allocationRow = e.allocation;
  }
}

// Each applies one effect to one table exactly as the object's SQL does (INSERT OR IGNORE, upserts, ordering).

function applyExport(rows: ExportRecord[], e: Effect): void {
  if (e.type === "issue_export") {
    if (rows.some((r) => r.export_id === e.row.export_id)) return;
    rows.push({ ...e.row, first_attempt_at: null, delivered_at: null, acked_at: null, ack: null, ack_redeliveries: 0 });
    rows.sort(byExport);
  } else if (e.type === "update_export") {
    const i = rows.findIndex((r) => r.export_id === e.export_id);
    const row = rows[i];
    if (row) rows[i] = { ...row, ...e.patch };
  }
}

function applyAttempt(rows: AttemptRecord[], e: Effect): void {
  if (e.type !== "record_attempt") return;
  const i = rows.findIndex((a) => a.export_id === e.attempt.export_id && a.n === e.attempt.n);
  if (i >= 0) rows.splice(i, 1);
  rows.push(e.attempt);
  rows.sort(byAttempt);
}

function applyCancellation(rows: CancellationRecord[], e: Effect): void {
  if (e.type === "put_cancellation") {
    const fresh = { status: "pending", first_attempt_at: null, delivered_at: null, acked_at: null, ack: null, redeliveries: 0 };
    const i = rows.findIndex((r) => r.export_id === e.row.export_id);
    if (i >= 0) rows[i] = { ...e.row, ...fresh };
    else rows.push({ ...e.row, ...fresh });
    rows.sort((a, b) => a.requested_at - b.requested_at || (a.export_id < b.export_id ? -1 : a.export_id > b.export_id ? 1 : 0));
  } else if (e.type === "update_cancellation") {
    const i = rows.findIndex((r) => r.export_id === e.export_id);
    const row = rows[i];
    if (row) rows[i] = { ...row, ...e.patch };
  }
}

function applyTimer(rows: TimerRecord[], e: Effect): void {
  if (e.type === "schedule_timer") {
    const i = rows.findIndex((r) => r.kind === e.kind && r.key === e.key);
    const t = rows[i];
    if (!t) rows.push({ kind: e.kind, key: e.key, due_at: e.due_at });
    else rows[i] = { ...t, due_at: e.replace ? e.due_at : Math.min(t.due_at, e.due_at) };
  } else if (e.type === "cancel_timer") {
    const i = rows.findIndex((r) => r.kind === e.kind && r.key === e.key);
    if (i >= 0) rows.splice(i, 1);
  }
}

function applyBreach(rows: BreachRecord[], e: Effect, now: number): void {
  if (e.type === "insert_breach") {
    if (rows.some((b) => b.step === e.breach.step && b.level === e.breach.level)) return;
    rows.push({ ...e.breach, resolved_at: null });
    rows.sort(byBreach);
  } else if (e.type === "resolve_breaches") {
    for (let i = 0; i < rows.length; i++) {
      const b = rows[i];
      if (b && b.step === e.step && b.resolved_at === null) rows[i] = { ...b, resolved_at: now };
    }
  }
}

function applyTask(rows: Task[], e: Effect): void {
  if (e.type !== "open_task" && e.type !== "update_task") return;
  const i = rows.findIndex((t) => t.task_id === e.task.task_id);
  if (i >= 0) rows[i] = e.task;
  else rows.push(e.task);
  rows.sort(byTask);
}

function applyReceipt(rows: StoredReceipt[], e: Effect): void {
  if (e.type !== "record_receipt") return;
  rows.push(e.receipt);
  rows.sort(byReceipt);
}

function applyAudit(rows: AuditRecord[], e: Effect, now: number): void {
  if (e.type !== "audit") return;
  const seq = (rows.at(-1)?.seq ?? 0) + 1;
  // Stored as JSON text and read back: what a reader after the commit would see.
  rows.push({ seq, at: iso(now), type: e.entry.type, data: JSON.parse(JSON.stringify(e.entry.data)) as unknown });
  if (rows.length > EVIDENCE_AUDIT_ENTRIES) rows.splice(0, rows.length - EVIDENCE_AUDIT_ENTRIES);
}
