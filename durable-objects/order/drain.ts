import { and, eq, getTableColumns, lt, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { chunk, db, rowsPerStatement } from "../../worker/db/client";
import { auditLog, handoffs, orders, slaBreaches, tasks, type AuditInsert, type HandoffInsert, type OrderInsert, type SlaBreachInsert, type TaskInsert } from "../../worker/db/schema";
import { HandoffExport } from "../../domain/handoff/document";
import { existingExports, slaDeadlines, type RulesInput } from "../../domain/handoff/plan";
import { DRAIN_DELAY_MS } from "../../domain/order/commit";
import type { OrderView } from "../../domain/order/view";
import { orderNotices, type Notice } from "../../domain/notify/notice";
import type { Task } from "../../domain/tasks/task";
import { iso } from "../../domain/time";
import type { OrderStore } from "./store";
import { countRows, upsertCounts, VERIFIED } from "../../worker/watchers/counters";

const DRAIN_BACKOFF_MAX_MS = 5 * 60_000;
/** Rows per drain: ~20 statements, well inside a Worker invocation's query budget after a long D1 outage. */
const DRAIN_MAX_ROWS = 240;

/** Retries of a failing drain: 1 s, 2 s, 4 s … capped at 5 min, so a D1 outage is ridden out, not hammered. */
export function drainBackoff(attempts: number): number {
  return Math.min(DRAIN_BACKOFF_MAX_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

export interface DrainBatch {
  audit: AuditInsert[];
  index: OrderInsert | null;
  /** The order's exports and breaches as they are now; sent with the index. */
  handoffs: HandoffInsert[];
  breaches: SlaBreachInsert[];
  tasks: TaskInsert[];
  /** Verified receipts among the audit rows, per source and hour: what the silence watcher reads. */
  counts: ReturnType<typeof countRows>;
}

const AUDIT_COLUMNS = 8;

/**
 * The WHERE of an upsert that rewrites a row only when one of these columns
 * differs. Each index drain reports every handoff, task and breach of the
 * order as it is now, most of them unchanged; D1 bills every row an UPDATE
 * touches, index entries included, even when it writes the same values.
 */
function differs(cols: readonly SQLiteColumn[]): SQL {
  return sql`(${sql.join(
    cols.map((c) => sql`${c} IS NOT excluded.${sql.identifier(c.name)}`),
    sql` OR `,
  )})`;
}

const HANDOFF_CHANGES = [handoffs.status, handoffs.attempts, handoffs.lastStatus, handoffs.lastErrorClass, handoffs.deliveredAt, handoffs.ackedAt];
const TASK_COLUMNS = getTableColumns(tasks);

/** The index row's columns that no index of `orders` holds: what a drain that leaves state and creation alone rewrites. */
const INDEX_QUIET_SET = {
  locked: sql`excluded.locked`,
  valueMinor: sql`excluded.value_minor`,
  currency: sql`excluded.currency`,
  milestones: sql`excluded.milestones`,
  attribution: sql`excluded.attribution`,
  holds: sql`excluded.holds`,
  conflicts: sql`excluded.conflicts`,
  breaches: sql`excluded.breaches`,
  openExports: sql`excluded.open_exports`,
  nextDueAt: sql`excluded.next_due_at`,
  version: sql`excluded.version`,
  source: sql`excluded.source`,
  updatedAt: sql`excluded.updated_at`,
};

/**
 * The order's index row, moved only forward by `version`, in two statements: D1
 * bills an index entry for every indexed column an UPDATE assigns, changed or
 * not, and most drains leave `state` and `created_at` as they were. The upsert
 * inserts a new row or rewrites the unindexed columns when those two are
 * unchanged; the UPDATE after it catches the rest (it matches nothing when the
 * upsert already moved the version). One batch, one transaction.
 */
function indexUpserts(d: ReturnType<typeof db>, row: OrderInsert): BatchItem<"sqlite">[] {
  const { tenantId: _t, orderId: _o, ...all } = row;
  return [
    d
      .insert(orders)
      .values(row)
      .onConflictDoUpdate({
        target: [orders.tenantId, orders.orderId],
        set: INDEX_QUIET_SET,
        setWhere: sql`excluded.version > ${orders.version} AND excluded.state = ${orders.state} AND excluded.created_at = ${orders.createdAt}`,
      }),
    // The order may have been first heard of through its payment: adopt the real creation time and sender.
    d
      .update(orders)
      .set(all)
      .where(and(eq(orders.tenantId, row.tenantId), eq(orders.orderId, row.orderId), lt(orders.version, row.version))),
  ];
}

/**
 * Writes one drain to D1 as a single batch (one transaction). Idempotent: audit
 * rows are keyed by (tenant, order, seq) and ignored when already present, and
 * the index row only moves forward by `version` — so a drain retried after a
 * timeout that actually committed changes nothing.
 */
export async function writeDrain(d1: D1Database, batch: DrainBatch): Promise<void> {
  const d = db(d1);
  const statements: BatchItem<"sqlite">[] = chunk(batch.audit, rowsPerStatement(AUDIT_COLUMNS)).map((rows) =>
    d.insert(auditLog).values(rows).onConflictDoNothing(),
  );
  statements.push(...upsertCounts(d, batch.counts));
  if (batch.index) statements.push(...indexUpserts(d, batch.index));
  // Exports and breaches only change through the object that writes them here,
  // so the latest report overwrites what changed (chunked to stay under 100 bound parameters).
  for (const rows of chunk(batch.handoffs, rowsPerStatement(17))) {
    statements.push(
      d
        .insert(handoffs)
        .values(rows)
        .onConflictDoUpdate({
          target: [handoffs.tenantId, handoffs.exportId],
          set: {
            status: sql`excluded.status`,
            attempts: sql`excluded.attempts`,
            lastStatus: sql`excluded.last_status`,
            lastErrorClass: sql`excluded.last_error_class`,
            deliveredAt: sql`excluded.delivered_at`,
            ackedAt: sql`excluded.acked_at`,
            updatedAt: sql`excluded.updated_at`,
          },
          setWhere: differs(HANDOFF_CHANGES),
        }),
    );
  }
  for (const rows of chunk(batch.breaches, rowsPerStatement(9))) {
    statements.push(
      d
        .insert(slaBreaches)
        .values(rows)
        .onConflictDoUpdate({
          target: [slaBreaches.tenantId, slaBreaches.orderId, slaBreaches.step, slaBreaches.level],
          set: { resolvedAt: sql`excluded.resolved_at` },
          setWhere: differs([slaBreaches.resolvedAt]),
        }),
    );
  }
  // Tasks carry their evidence (up to tens of KB each): one row per statement keeps each under D1's statement limits.
  for (const row of batch.tasks) {
    const { tenantId: _t, taskId: _id, ...update } = row;
    const compared = Object.keys(update).flatMap((k) => (k === "updatedAt" ? [] : [TASK_COLUMNS[k as keyof typeof TASK_COLUMNS]]));
    statements.push(d.insert(tasks).values(row).onConflictDoUpdate({ target: [tasks.tenantId, tasks.taskId], set: update, setWhere: differs(compared) }));
  }
  const [first, ...rest] = statements;
  if (!first) return;
  await d.batch([first, ...rest]);
}

export interface DrainInput {
  store: OrderStore;
  d1: D1Database;
  tenant: string;
  orderId: string;
  /** The order's view, derived only if the index row is due. */
  view: () => OrderView;
  rules: RulesInput | null;
  clock: () => number;
  /** The object's transaction (it drops its caches when one rolls back). */
  tx: (fn: () => void) => void;
  /** Hands the order's notices to the tenant's notifier (idempotent by key; see domain/notify/notice.ts). */
  notify: (notices: Notice[]) => Promise<void>;
}

/**
 * One drain of the outbox to D1: the pending audit rows and, when the order
 * changed, its index row with its handoffs, tasks and breaches as they are now.
 * A failure is recorded on the order and retried with backoff.
 */
export async function drainOutbox(o: DrainInput): Promise<{ drained: number; error: string | null }> {
  const { store, tenant, orderId } = o;
  const pendingAudit = store.pendingAudit(DRAIN_MAX_ROWS);
  const indexPending = store.indexPending();
  const watched = store.queuedNotices();
  if (pendingAudit.length === 0 && !indexPending && watched.length === 0) {
    store.cancel("drain");
    store.deleteMeta("drain_attempts", "drain_error");
    return { drained: 0, error: null };
  }
  const now = o.clock();
  const head = store.auditHead();
  const batch: DrainBatch = {
    audit: pendingAudit.map((r) => ({ tenantId: tenant, orderId, seq: r.seq, at: r.at, type: r.type, data: r.data, prevHash: r.prev_hash, hash: r.hash })),
    counts: countRows(
      tenant,
      pendingAudit.filter((r) => r.type === "receipt.recorded").map((r) => ({ source: String((JSON.parse(r.data) as { source?: unknown }).source), kind: VERIFIED, at: r.at })),
    ),
    index: indexPending ? indexRow(o, head?.seq ?? 0, now) : null,
    handoffs: indexPending ? handoffRows(store, tenant, orderId, now) : [],
    tasks: indexPending ? store.tasks().map((t) => taskRow(t, now)) : [],
    breaches: indexPending
      ? store.breaches().map((b) => ({
          tenantId: tenant,
          orderId,
          step: b.step,
          level: b.level,
          contact: b.contact,
          owningParty: b.owning_party,
          dueAt: iso(b.due_at),
          breachedAt: iso(b.breached_at),
          resolvedAt: b.resolved_at === null ? null : iso(b.resolved_at),
        }))
      : [],
  };
  try {
    await writeDrain(o.d1, batch);
    // After the commit, with the rows it reported: a failed hand-over retries with the drain, and the
    // notifier ignores keys it already holds, so a restart or a retry never tells anyone twice.
    // Watchers' notices were decided with their commit (domain/notify/watchers.ts) and wait here until the notifier has them.
    const notices = [...(indexPending ? orderNotices({ tenant, orderId, tasks: store.tasks(), breaches: store.breaches(), now }) : []), ...watched];
    if (notices.length > 0) await o.notify(notices);
  } catch (err) {
    const attempts = Number(store.getMeta("drain_attempts") ?? 0) + 1;
    const message = err instanceof Error ? err.message : String(err);
    o.tx(() => {
      store.setMeta("drain_attempts", String(attempts));
      store.setMeta("drain_error", message.slice(0, 500));
      store.schedule("drain", "outbox", now + drainBackoff(attempts), true);
    });
    return { drained: 0, error: message };
  }
  o.tx(() => {
    store.dequeueAudit(pendingAudit.map((r) => r.seq));
    store.dequeueNotices(watched.map((n) => n.key));
    // Only clear the index entry if no newer state was committed while D1 was answering.
    if (indexPending && (store.auditHead()?.seq ?? 0) === (head?.seq ?? 0)) store.dequeueIndex();
    store.deleteMeta("drain_attempts", "drain_error");
    if (store.outboxSize() === 0) store.cancel("drain");
    else store.schedule("drain", "outbox", now + DRAIN_DELAY_MS, true);
  });
  return { drained: pendingAudit.length, error: null };
}

// ── row projections: the object's state as D1's cross-order tables hold it ──

function handoffRows(store: OrderStore, tenant: string, orderId: string, now: number): DrainBatch["handoffs"] {
  const attempts = store.attempts();
  return store.exports().map((r) => {
    const ex = HandoffExport.parse(JSON.parse(r.body));
    const mine = attempts.filter((a) => a.export_id === r.export_id);
    const last = mine.at(-1);
    return {
      tenantId: tenant,
      exportId: r.export_id,
      orderId,
      action: r.action,
      step: ex.step,
      version: r.version,
      status: r.status,
      owningParty: ex.owning_party,
      owner: ex.owner,
      consumerUrl: r.consumer_url,
      attempts: mine.length,
      lastStatus: last?.status ?? null,
      lastErrorClass: last?.error_class ?? null,
      issuedAt: ex.issued_at,
      deliveredAt: r.delivered_at === null ? null : iso(r.delivered_at),
      ackedAt: r.acked_at === null ? null : iso(r.acked_at),
      updatedAt: iso(now),
    };
  });
}

function indexRow(o: DrainInput, version: number, now: number): DrainBatch["index"] {
  const { store, tenant, orderId } = o;
  const v = o.view();
  const dues = o.rules ? slaDeadlines(v, o.rules, existingExports(store.exports())).map((d) => d.due_at) : [];
  const first = store.firstReceipt();
  const milestones: Record<string, string> = {};
  for (const [k, val] of Object.entries(v.milestones)) if (typeof val === "string") milestones[k] = val;
  return {
    tenantId: tenant,
    orderId,
    state: v.state,
    locked: v.locked,
    valueMinor: v.value?.amount_minor ?? null,
    currency: v.value?.currency ?? null,
    source: first?.source ?? null,
    milestones,
    attribution: v.attribution,
    holds: v.holds.length,
    conflicts: v.conflicts.length,
    breaches: store.breaches().filter((b) => b.resolved_at === null).length,
    openExports: store.exports().filter((e) => e.status === "pending" || e.status === "delivered").length,
    nextDueAt: dues.length > 0 ? iso(Math.min(...dues)) : null,
    version,
    createdAt: v.milestones.created_at ?? first?.received_at ?? iso(now),
    updatedAt: iso(now),
  };
}

function taskRow(t: Task, now: number): DrainBatch["tasks"][number] {
  return {
    tenantId: t.tenant,
    taskId: t.task_id,
    orderId: t.order_id,
    rejectionId: t.rejection_id,
    type: t.type,
    status: t.status,
    step: t.step,
    ref: t.ref,
    owner: t.owner,
    owningParty: t.owning_party,
    escalation: t.escalation,
    level: t.level,
    slaDue: t.sla_due,
    title: t.title,
    evidence: t.evidence,
    valueMinor: t.value?.amount_minor ?? null,
    currency: t.value?.currency ?? null,
    openedAt: t.opened_at,
    claimedAt: t.claimed_at,
    claimedBy: t.claimed_by,
    resolvedAt: t.resolved_at,
    resolvedBy: t.resolved_by,
    resolution: t.resolution,
    justification: t.justification,
    action: t.action,
    updatedAt: iso(now),
  };
}
