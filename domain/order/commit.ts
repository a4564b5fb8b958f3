import type { RulesInput } from "../handoff/plan";
import type { Task } from "../tasks/task";
import type { AttemptRecord, AuditRecord, BreachRecord, CancellationPatch, CancellationRecord, Effect, ExportPatch, ExportRecord, TimerRecord } from "./effects";
import type { StoredReceipt } from "./receipt";
import { iso, parseInstant } from "../time";
import type { Allocation } from "../inventory/allocate";

/**
 * When the alarm drains a commit that its own request did not (durable-objects/order/drainer.ts:
 * the committing request drains at once, after its answer). A backstop, so it can wait a second.
 * The drain has no timer: it is due whenever the object's outbox holds something (apply.ts arms the alarm).
 */
export const DRAIN_DELAY_MS = 1000;

/**
 * How near a clock of the order's own must be for its alarm to stand in for the drain's backstop.
 * With `durable_object_io_tasks_prevent_eviction` (wrangler.toml) the request's drain survives the
 * object going idle; only a runtime restart or a deploy in the milliseconds it runs can cut it, and
 * then the alarm of that clock drains what is pending. So D1 lags such a lost drain by at most this
 * long: the cron sweep's period, the lag the index already tolerates for a stalled order.
 */
export const DRAIN_BACKSTOP_HORIZON_MS = 5 * 60_000;

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
  a.breached_at - b.breached_at || (a.step < b.step ? -1 : a.step > b.step ? 1 : a.run - b.run || a.level - b.level);
function inDueOrder(rows: readonly TimerRecord[]): boolean {
  for (let i = 1; i < rows.length; i++) if ((rows[i]?.due_at ?? 0) < (rows[i - 1]?.due_at ?? 0)) return false;
  return true;
}

/** By due time, then task id; each `sla_due` read once per sort, not once per comparison. */
function sortTasks(tasks: readonly Task[]): Task[] {
  const keyed = tasks.map((task) => ({ task, due: parseInstant(task.sla_due) }));
  keyed.sort((a, b) => a.due - b.due || (a.task.task_id < b.task.task_id ? -1 : a.task.task_id > b.task.task_id ? 1 : 0));
  return keyed.map((k) => k.task);
}
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
 * Tables are copy-on-write: an effect that changes one replaces its array, so a
 * read hands out the current array itself (no copy per read: a decision reads
 * its exports dozens of times) and a loop may still emit while it iterates.
 * Tables are loaded on first read (most decisions never look at receipts or
 * the audit trail); a table loaded late replays the effects emitted before.
 */
export class OrderCommit {
  readonly effects: Effect[] = [];
  private exportRows: readonly ExportRecord[] | null = null;
  private attemptRows: readonly AttemptRecord[] | null = null;
  private cancellationRows: readonly CancellationRecord[] | null = null;
  private timerRows: readonly TimerRecord[] | null = null;
  /** `timerRows` by due time, until the next timer effect. */
  private timersByDue: readonly TimerRecord[] | null = null;
  private breachRows: readonly BreachRecord[] | null = null;
  private taskRows: readonly Task[] | null = null;
  private receiptRows: readonly StoredReceipt[] | null = null;
  private auditRows: readonly AuditRecord[] | null = null;
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

  /** The order's D1 row is stale: queue it for the next drain (due as soon as anything is queued). */
  refreshIndex(): void {
    this.emit({ type: "enqueue_index" });
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
    this.exportRows ??= this.load(this.reader.exports(), applyExport);
    return this.exportRows;
  }

  exportById(id: string): ExportRecord | null {
    return this.exports().find((r) => r.export_id === id) ?? null;
  }

  attempts(exportId?: string): readonly AttemptRecord[] {
    this.attemptRows ??= this.load(this.reader.attempts(), applyAttempt);
    return exportId === undefined ? this.attemptRows : this.attemptRows.filter((a) => a.export_id === exportId);
  }

  cancellations(): readonly CancellationRecord[] {
    this.cancellationRows ??= this.load(this.reader.cancellations(), applyCancellation);
    return this.cancellationRows;
  }

  cancellation(exportId: string): CancellationRecord | null {
    return this.cancellations().find((r) => r.export_id === exportId) ?? null;
  }

  timers(kind?: string): readonly TimerRecord[] {
    this.timerRows ??= this.load(this.reader.timers(), applyTimer);
    // A stable sort of rows already in due order is those rows in that order: no copy (a replay's table is the last commit's sorted one).
    this.timersByDue ??= inDueOrder(this.timerRows) ? this.timerRows : [...this.timerRows].sort((a, b) => a.due_at - b.due_at);
    return kind === undefined ? this.timersByDue : this.timersByDue.filter((t) => t.kind === kind);
  }

  breaches(): readonly BreachRecord[] {
    this.breachRows ??= this.load(this.reader.breaches(), (rows, e) => applyBreach(rows, e, this.now));
    return this.breachRows;
  }

  tasks(): readonly Task[] {
    this.taskRows ??= this.load(this.reader.tasks(), applyTask);
    return this.taskRows;
  }

  task(id: string): Task | null {
    return this.tasks().find((t) => t.task_id === id) ?? null;
  }

  receipts(): readonly StoredReceipt[] {
    this.receiptRows ??= this.load(this.reader.receipts(), applyReceipt);
    return this.receiptRows;
  }

  /** The latest audit entries, including the ones this decision has emitted. */
  recentAudit(): readonly AuditRecord[] {
    this.auditRows ??= this.load(this.reader.recentAudit(EVIDENCE_AUDIT_ENTRIES), (rows, e) => applyAudit(rows, e, this.now));
    return this.auditRows;
  }

  private load<T>(rows: readonly T[], apply: (rows: readonly T[], e: Effect) => readonly T[]): readonly T[] {
    let out = rows;
    for (const e of this.effects) out = apply(out, e);
    return out;
  }

  private applyLoaded(e: Effect): void {
    if (this.exportRows) this.exportRows = applyExport(this.exportRows, e);
    if (this.attemptRows) this.attemptRows = applyAttempt(this.attemptRows, e);
    if (this.cancellationRows) this.cancellationRows = applyCancellation(this.cancellationRows, e);
    if (this.timerRows) {
      const before = this.timerRows;
      this.timerRows = applyTimer(before, e);
      if (this.timerRows !== before) this.timersByDue = null;
    }
    if (this.breachRows) this.breachRows = applyBreach(this.breachRows, e, this.now);
    if (this.taskRows) this.taskRows = applyTask(this.taskRows, e);
    if (this.receiptRows) this.receiptRows = applyReceipt(this.receiptRows, e);
    if (this.auditRows) this.auditRows = applyAudit(this.auditRows, e, this.now);
    if (this.allocationRow !== undefined && e.type === "record_allocation") this.allocationRow = e.allocation;
  }
}

// Each applies one effect to one table exactly as the object's SQL does (INSERT OR IGNORE, upserts, ordering),
// as a new array when the effect changes the table and the same array when it does not.

function applyExport(rows: readonly ExportRecord[], e: Effect): readonly ExportRecord[] {
  if (e.type === "issue_export") {
    if (rows.some((r) => r.export_id === e.row.export_id)) return rows;
    return [...rows, { ...e.row, first_attempt_at: null, delivered_at: null, acked_at: null, ack: null, ack_redeliveries: 0 }].sort(byExport);
  }
  if (e.type === "update_export") return patched<ExportRecord>(rows, (r) => r.export_id === e.export_id, e.patch);
  return rows;
}

/** The row `match` finds, with `patch` over it; the same array when there is none. */
function patched<T>(rows: readonly T[], match: (r: T) => boolean, patch: Partial<T>): readonly T[] {
  const i = rows.findIndex(match);
  const row = rows[i];
  if (row === undefined) return rows;
  const out = [...rows];
  out[i] = { ...row, ...patch };
  return out;
}

function applyAttempt(rows: readonly AttemptRecord[], e: Effect): readonly AttemptRecord[] {
  if (e.type !== "record_attempt") return rows;
  const a = e.attempt;
  return [...rows.filter((r) => r.export_id !== a.export_id || r.n !== a.n), a].sort(byAttempt);
}

function applyCancellation(rows: readonly CancellationRecord[], e: Effect): readonly CancellationRecord[] {
  if (e.type === "put_cancellation") {
    const fresh = { status: "pending", first_attempt_at: null, delivered_at: null, acked_at: null, ack: null, redeliveries: 0 };
    const out = [...rows];
    const i = out.findIndex((r) => r.export_id === e.row.export_id);
    if (i >= 0) out[i] = { ...e.row, ...fresh };
    else out.push({ ...e.row, ...fresh });
    return out.sort((a, b) => a.requested_at - b.requested_at || (a.export_id < b.export_id ? -1 : a.export_id > b.export_id ? 1 : 0));
  }
  if (e.type === "update_cancellation") return patched<CancellationRecord>(rows, (r) => r.export_id === e.export_id, e.patch);
  return rows;
}

function applyTimer(rows: readonly TimerRecord[], e: Effect): readonly TimerRecord[] {
  if (e.type === "schedule_timer") {
    const i = rows.findIndex((r) => r.kind === e.kind && r.key === e.key);
    const t = rows[i];
    if (!t) return [...rows, { kind: e.kind, key: e.key, due_at: e.due_at }];
    const due = e.replace ? e.due_at : Math.min(t.due_at, e.due_at);
    if (due === t.due_at) return rows;
    const out = [...rows];
    out[i] = { ...t, due_at: due };
    return out;
  }
  if (e.type === "cancel_timer") {
    const i = rows.findIndex((r) => r.kind === e.kind && r.key === e.key);
    return i < 0 ? rows : [...rows.slice(0, i), ...rows.slice(i + 1)];
  }
  return rows;
}

function applyBreach(rows: readonly BreachRecord[], e: Effect, now: number): readonly BreachRecord[] {
  if (e.type === "insert_breach") {
    if (rows.some((b) => b.step === e.breach.step && b.run === e.breach.run && b.level === e.breach.level)) return rows;
    return [...rows, { ...e.breach, resolved_at: null }].sort(byBreach);
  }
  if (e.type === "resolve_breaches") {
    if (!rows.some((b) => b.step === e.step && b.resolved_at === null)) return rows;
    return rows.map((b) => (b.step === e.step && b.resolved_at === null ? { ...b, resolved_at: now } : b));
  }
  return rows;
}

function applyTask(rows: readonly Task[], e: Effect): readonly Task[] {
  if (e.type !== "open_task" && e.type !== "update_task") return rows;
  const out = [...rows];
  const i = out.findIndex((t) => t.task_id === e.task.task_id);
  if (i >= 0) out[i] = e.task;
  else out.push(e.task);
  return sortTasks(out);
}

function applyReceipt(rows: readonly StoredReceipt[], e: Effect): readonly StoredReceipt[] {
  if (e.type !== "record_receipt") return rows;
  return [...rows, e.receipt].sort(byReceipt);
}

function applyAudit(rows: readonly AuditRecord[], e: Effect, now: number): readonly AuditRecord[] {
  if (e.type !== "audit") return rows;
  const seq = (rows.at(-1)?.seq ?? 0) + 1;
  // Stored as JSON text and read back: what a reader after the commit would see.
  const out = [...rows, { seq, at: iso(now), type: e.entry.type, data: JSON.parse(JSON.stringify(e.entry.data)) as unknown }];
  return out.length > EVIDENCE_AUDIT_ENTRIES ? out.slice(out.length - EVIDENCE_AUDIT_ENTRIES) : out;
}
