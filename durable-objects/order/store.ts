import { Allocation } from "../../domain/inventory/allocate";
import type { MachineEvent } from "../../domain/events/handoff-events";
import { toFactSet } from "../../domain/order/facts";
import { derive, type MachineState } from "../../domain/order/machine";
import { Task } from "../../domain/tasks/task";
import type { OrderReader } from "../../domain/order/commit";
import type { AttemptRecord, AuditRecord, BreachRecord, ExportRecord } from "../../domain/order/effects";
import type { AuditEntry, StoredReceipt } from "../../domain/order/object";
import type { Notice } from "../../domain/notify/notice";
import { AuditBlocks } from "./audit-store";
import { BreachRows } from "./breach-rows";
import { ExportRows, isExportTimer, type ExportTimes } from "./export-rows";
import { FactRows } from "./fact-rows";
import { DrainWatermark } from "./watermark";
import { MetaTable } from "./meta";
import {
  ORDER_SCHEMA,
  type AttemptDbRow,
  type AuditDbRow,
  type BreachDbRow,
  type CancellationDbRow,
  type ExportDbRow,
  type ReceiptDbRow,
  type TimerDbRow,
} from "./storage";

export { iso } from "../../domain/time";

/**
 * Typed access to the order object's SQLite tables. Synchronous on purpose:
 * everything here runs inside `transactionSync`, so a write either all lands
 * or none of it does.
 */
export class OrderStore extends MetaTable implements OrderReader {
  private readonly chain = new AuditBlocks(() => this.sql);
  private readonly exportRows = new ExportRows(() => this.sql);
  private readonly breachRows = new BreachRows(() => this.sql);
  private readonly factRows = new FactRows(() => this.sql, this.chain);
  /** How far D1 holds the chain: written down on each new block, or (objects from before) the `drained_seq` meta row. */
  readonly watermark = new DrainWatermark(() => Math.max(Number(this.getMeta("drained_seq") ?? 0), this.chain.carriedDrained() ?? 0), () => this.auditHead()?.seq ?? 0);

  /** One exec for the whole schema: a new object (every new order) pays one call, not one per table. */
  migrate(): void {
    this.sql.exec(ORDER_SCHEMA.join(";\n"));
    this.markMigrated();
    this.chain.upgrade();
    this.exportRows.upgrade();
    this.breachRows.upgrade();
    this.upgradeOutbox();
  }

  /** An object from before the watermark: carry its `outbox` rows over to the watermark and flag, once. */
  private upgradeOutbox(): void {
    if (this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").toArray().length === 0) return;
    const first = this.sql.exec<{ seq: number | null }>("SELECT MIN(CAST(key AS INTEGER)) AS seq FROM outbox WHERE kind = 'audit'").one().seq;
    const index = this.sql.exec("SELECT 1 FROM outbox WHERE kind = 'index'").toArray().length > 0;
    this.setMeta("drained_seq", String(first === null ? (this.auditHead()?.seq ?? 0) : first - 1));
    if (index) this.setMeta("index_pending", "1");
    this.sql.exec("DROP TABLE outbox");
  }

  /** After a rolled-back transaction: the copy may hold writes SQLite undid. Every transaction must go through OrderDO.tx, which calls this. */
  override forget(): void {
    super.forget();
    this.chain.forget();
    this.factRows.forget();
    this.watermark.forget();
  }

  // ── facts (on the commits' audit blocks: fact-rows.ts) ───────────────────
  loadState(orderId: string): MachineState {
    const facts = toFactSet(this.factRows.all());
    return { order_id: orderId, facts, view: derive(orderId, facts) };
  }

  factCount(): number {
    return this.factRows.count();
  }

  /** Returns false when the fact was already known (its id is the dedupe key). */
  addFact(e: MachineEvent): boolean {
    return this.factRows.add(e);
  }

  // ── receipts ─────────────────────────────────────────────────────────────
  // A receipt rides on its commit's audit block (audit-store.ts). An object from
  // before holds the ones it took in a `receipts` table, read alongside; a new
  // object has none (an empty table would still be a page stored).
  private legacyReceipts: boolean | null = null;

  private olderReceipts(where = "", ...bindings: SqlStorageValue[]): StoredReceipt[] {
    this.legacyReceipts ??= this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'receipts'").toArray().length > 0;
    if (!this.legacyReceipts) return [];
    return this.sql
      .exec<ReceiptDbRow>(`SELECT * FROM receipts ${where}`, ...bindings)
      .toArray()
      .map((r) => this.toReceipt(r));
  }

  receiptByKey(key: string): StoredReceipt | null {
    return this.olderReceipts("WHERE idempotency_key = ?", key)[0] ?? this.chain.receiptByKey(key);
  }

  recordReceipt(r: StoredReceipt): void {
    this.chain.recordReceipt(r);
  }

  /** The topic a body was first accepted under, if it was sent with one. */
  bodyTopic(rawSha256: string): { topic: string; receipt_id: string } | null {
    return this.sql.exec<{ topic: string; receipt_id: string }>("SELECT topic, receipt_id FROM body_topics WHERE raw_sha256 = ?", rawSha256).toArray()[0] ?? null;
  }

  recordBodyTopic(rawSha256: string, topic: string, receiptId: string): void {
    this.sql.exec("INSERT OR IGNORE INTO body_topics (raw_sha256, topic, receipt_id) VALUES (?, ?, ?)", rawSha256, topic, receiptId);
  }

  receipts(): StoredReceipt[] {
    return [...this.olderReceipts(), ...this.chain.receipts()].sort((a, b) =>
      a.received_at < b.received_at ? -1 : a.received_at > b.received_at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
  }

  firstReceipt(): StoredReceipt | null {
    return this.receipts()[0] ?? null;
  }

  private toReceipt(r: ReceiptDbRow): StoredReceipt {
    return {
      id: r.id,
      order_id: this.getMeta("order_id") ?? "",
      events: JSON.parse(r.events) as StoredReceipt["events"],
      received_at: r.received_at,
      source: r.source,
      idempotency_key: r.idempotency_key,
      raw_sha256: r.raw_sha256,
    };
  }

  // ── audit chain (one row per commit: audit-store.ts) ─────────────────────
  auditHead(): { seq: number; hash: string } | null {
    return this.chain.auditHead();
  }

  /** Appends one link to the chain; `commitAudit()` writes the commit's links and queues them for D1. */
  appendAudit(tenant: string, orderId: string, type: string, data: Record<string, unknown>, now: number): number {
    return this.chain.append(tenant, orderId, type, data, now);
  }

  /** The end of a commit's effects: its entries become one row, carrying the index mark if it has one. */
  commitAudit(): void {
    const left = this.chain.commit(this.watermark.seq());
    if (left.indexStale) this.setMeta("index_pending", "1");
    this.factRows.keep(left.facts);
  }

  audit(): AuditEntry[] {
    return this.chain.all().map((r) => ({ ...r, data: JSON.parse(r.data) as unknown }));
  }

  allocation(): Allocation | null {
    const raw = this.getMeta("allocation");
    return raw === null ? null : Allocation.parse(JSON.parse(raw));
  }

  recentAudit(n: number): AuditRecord[] {
    return this.chain.recent(n);
  }

  /** Pending entries grouped by the commit that wrote them (whole blocks, up to about `limit` entries). */
  pendingAudit(limit: number): AuditDbRow[][] {
    return this.chain.blocksAfter(this.watermark.seq(), limit);
  }

  pendingAuditSeqs(): number[] {
    return this.chain.after(this.watermark.seq()).map((r) => r.seq);
  }

  // ── outbox ───────────────────────────────────────────────────────────────
  // What D1 lacks: audit entries past the drained watermark (watermark.ts), and the index row if
  // `index_pending`. (An outbox row per entry cost two billed writes and said nothing seq does not.)

  /** In a commit: marked on the commit's audit block, or (a commit without entries) in meta. */
  markIndexPending(): void {
    this.chain.markIndexStale();
  }
  indexPending(): boolean {
    return this.getMeta("index_pending") !== null || this.chain.indexStaleAfter(this.watermark.seq());
  }

  outboxSize(): number {
    return Math.max(0, (this.auditHead()?.seq ?? 0) - this.watermark.seq()) + (this.indexPending() ? 1 : 0) + (this.hasQueuedNotices() ? 1 : 0);
  }

  /**
   * Whether the drain is due without a timer of its own: the outbox holds
   * something and no failed drain is backing off. Only a failed drain keeps a
   * `drain` timer (its retry time); a timer row written per commit and deleted
   * per drain was two billed rows per commit (bench/results/cost.md).
   */
  drainPending(): boolean {
    return this.outboxSize() > 0 && this.getMeta("drain_attempts") === null;
  }

  /** As drainPending, leaving out the blocks D1 was not yet asked about since the object started (watermark.ts). */
  drainPendingBesidesUnverified(): boolean {
    return this.watermark.unverified() ? (this.getMeta("index_pending") !== null || this.hasQueuedNotices()) && this.getMeta("drain_attempts") === null : this.drainPending();
  }

  /** Watchers' notices, kept until the notifier has them (by key: a commit decided again queues nothing new). */
  queueNotices(notices: readonly Notice[]): void {
    for (const n of notices) this.sql.exec("INSERT OR IGNORE INTO notices_out (key, body) VALUES (?, ?)", n.key, JSON.stringify(n));
  }

  hasQueuedNotices(): boolean {
    return this.sql.exec("SELECT 1 FROM notices_out LIMIT 1").toArray().length > 0;
  }

  queuedNotices(): Notice[] {
    return this.sql.exec<{ body: string }>("SELECT body FROM notices_out ORDER BY key").toArray().map((r) => JSON.parse(r.body) as Notice);
  }

  dequeueNotices(keys: readonly string[]): void {
    for (const k of keys) this.sql.exec("DELETE FROM notices_out WHERE key = ?", k);
  }

  /** Drains take the pending entries in seq order, so the highest drained seq is the new watermark (moved in memory: watermark.ts). */
  dequeueAudit(seqs: readonly number[]): void {
    this.watermark.learn(Math.max(0, ...seqs));
  }

  dequeueIndex(): void {
    this.deleteMeta("index_pending");
  }
  // ── timers ───────────────────────────────────────────────────────────────
  /**
   * `replace` moves an existing timer; otherwise the earlier due time wins. A
   * timer already due then is left untouched: an UPDATE to the same value is
   * still a billed row written.
   */
  schedule(kind: string, key: string, dueAt: number, replace = false): void {
    this.sql.exec(
      replace
        ? "INSERT INTO timers (kind, key, due_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at WHERE excluded.due_at IS NOT timers.due_at"
        : "INSERT INTO timers (kind, key, due_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at WHERE excluded.due_at < timers.due_at",
      kind,
      key,
      dueAt,
    );
  }

  cancel(kind: string, key?: string): void {
    if (key !== undefined && isExportTimer(kind)) this.exportRows.setTimer(kind, key, null);
    if (key === undefined) this.sql.exec("DELETE FROM timers WHERE kind = ?", kind);
    else this.dropTimerRow(kind, key);
  }

  /** Only the timers table's row: an export's timer column is written with its row (writeExport). */
  dropTimerRow(kind: string, key: string): void {
    this.sql.exec("DELETE FROM timers WHERE kind = ? AND key = ?", kind, key);
  }

  timer(kind: string, key: string): TimerDbRow | null {
    const row = this.sql.exec<TimerDbRow>("SELECT * FROM timers WHERE kind = ? AND key = ?", kind, key).toArray()[0];
    return row ?? (isExportTimer(kind) ? this.exportRows.timer(kind, key) : null);
  }

  /**
   * The timers table and the exports' timer columns (export-rows.ts). A row
   * wins over a column of the same kind and key: a failed handler's deferred
   * retry, or a timer an object from before wrote, which its next schedule or
   * cancel moves to the column.
   */
  timers(kind?: string): TimerDbRow[] {
    const rows = this.sql.exec<TimerDbRow>("SELECT * FROM timers ORDER BY due_at").toArray();
    const held = new Set(rows.map((r) => `${r.kind}:${r.key}`));
    const all = [...rows, ...this.exportRows.timers().filter((t) => !held.has(`${t.kind}:${t.key}`))].sort((a, b) => a.due_at - b.due_at);
    return kind === undefined ? all : all.filter((t) => t.kind === kind);
  }

  /** A handler that threw is retried later, not immediately: a past-due timer would re-fire the alarm in a loop. */
  deferFailedTimer(t: TimerDbRow, now: number): void {
    const attempts = t.attempts + 1;
    // Upsert: the handler may have removed its timer before it threw.
    this.sql.exec(
      "INSERT INTO timers (kind, key, due_at, attempts) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at, attempts = excluded.attempts",
      t.kind,
      t.key,
      now + Math.min(300_000, 1000 * 2 ** Math.min(attempts, 10)),
      attempts,
    );
  }

  // ── exports, attempts, breaches ──────────────────────────────────────────
  exports(): ExportDbRow[] {
    return this.exportRows.all();
  }

  exportById(id: string): ExportDbRow | null {
    return this.exportRows.byId(id);
  }

  /** A commit's last word on an export: its row and timers in one statement (export-rows.ts). */
  writeExport(row: ExportRecord, times: ExportTimes): void {
    this.exportRows.write(row, times);
  }

  attempts(exportId?: string): AttemptDbRow[] {
    return exportId === undefined
      ? this.sql.exec<AttemptDbRow>("SELECT * FROM attempts ORDER BY export_id, n").toArray()
      : this.sql.exec<AttemptDbRow>("SELECT * FROM attempts WHERE export_id = ? ORDER BY n", exportId).toArray();
  }

  insertAttempt(a: AttemptRecord): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO attempts (export_id, n, at, status, latency_ms, error_class, outcome, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      a.export_id,
      a.n,
      a.at,
      a.status,
      a.latency_ms,
      a.error_class,
      a.outcome,
      a.next_attempt_at,
    );
  }

  breaches(): BreachDbRow[] {
    return this.breachRows.all();
  }

  insertBreach(b: Omit<BreachRecord, "resolved_at">): boolean {
    return this.breachRows.insert(b);
  }

  resolveBreaches(step: string, now: number): number {
    return this.breachRows.resolve(step, now);
  }

  // ── cancellations ────────────────────────────────────────────────────────
  cancellations(): CancellationDbRow[] {
    return this.sql.exec<CancellationDbRow>("SELECT * FROM cancellations ORDER BY requested_at, export_id").toArray();
  }

  cancellation(exportId: string): CancellationDbRow | null {
    return this.sql.exec<CancellationDbRow>("SELECT * FROM cancellations WHERE export_id = ?", exportId).toArray()[0] ?? null;
  }

  /** A replay asks again: the row starts over, its earlier attempts stay on record. */
  putCancellation(row: Pick<CancellationDbRow, "export_id" | "cancellation_id" | "body" | "reason" | "superseded_by" | "requested_at">): void {
    this.sql.exec(
      `INSERT INTO cancellations (export_id, cancellation_id, body, status, reason, superseded_by, requested_at) VALUES (?, ?, ?, 'pending', ?, ?, ?)
       ON CONFLICT (export_id) DO UPDATE SET body = excluded.body, status = 'pending', reason = excluded.reason, superseded_by = excluded.superseded_by,
         requested_at = excluded.requested_at, first_attempt_at = NULL, delivered_at = NULL, acked_at = NULL, ack = NULL, redeliveries = 0`,
      row.export_id,
      row.cancellation_id,
      row.body,
      row.reason,
      row.superseded_by,
      row.requested_at,
    );
  }

  updateCancellation(
    exportId: string,
    patch: Partial<Pick<CancellationDbRow, "status" | "superseded_by" | "first_attempt_at" | "delivered_at" | "acked_at" | "ack" | "redeliveries">>,
  ): void {
    const cols = Object.keys(patch) as (keyof typeof patch)[];
    if (cols.length === 0) return;
    this.sql.exec(`UPDATE cancellations SET ${cols.map((c) => `${c} = ?`).join(", ")} WHERE export_id = ?`, ...cols.map((c) => patch[c] ?? null), exportId);
  }

  // ── tasks ────────────────────────────────────────────────────────────────
  tasks(): Task[] {
    return this.sql.exec<{ json: string }>("SELECT json FROM tasks ORDER BY sla_due, task_id").toArray().map((r) => Task.parse(JSON.parse(r.json)));
  }

  task(id: string): Task | null {
    const r = this.sql.exec<{ json: string }>("SELECT json FROM tasks WHERE task_id = ?", id).toArray()[0];
    return r ? Task.parse(JSON.parse(r.json)) : null;
  }

  putTask(t: Task): void {
    this.sql.exec(
      "INSERT INTO tasks (task_id, status, sla_due, json) VALUES (?, ?, ?, ?) ON CONFLICT (task_id) DO UPDATE SET status = excluded.status, sla_due = excluded.sla_due, json = excluded.json",
      t.task_id,
      t.status,
      Date.parse(t.sla_due),
      JSON.stringify(t),
    );
  }
}
