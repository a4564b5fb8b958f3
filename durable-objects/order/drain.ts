import { and, eq, getTableColumns, lt, ne, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { chunk, db, rowsPerStatement } from "../../worker/db/client";
import { auditBlocks, handoffs, orders, slaBreaches, tasks, type HandoffInsert, type OrderInsert, type SlaBreachInsert, type TaskInsert } from "../../worker/db/schema";
import { HandoffExport } from "../../domain/handoff/document";
import { existingExports, slaDeadlines, type RulesInput } from "../../domain/handoff/plan";
import type { OrderView } from "../../domain/order/view";
import { orderNotices, type Notice } from "../../domain/notify/notice";
import type { Task } from "../../domain/tasks/task";
import { iso } from "../../domain/time";
import { auditRuns, type AuditRun } from "../../domain/order/audit-runs";
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
  tenant: string;
  orderId: string;
  /** The pending entries as `audit_blocks` rows (domain/order/audit-runs.ts). */
  audit: AuditRun[];
  index: OrderInsert | null;
  /** The order's exports and breaches as they are now; sent with the index. */
  handoffs: HandoffInsert[];
  breaches: SlaBreachInsert[];
  tasks: TaskInsert[];
  /** Verified receipts among the audit rows, per source and hour: what the silence watcher reads. */
  counts: ReturnType<typeof countRows>;
}

const AUDIT_COLUMNS = 5;

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
 * The order's index row, moved only forward by `version`, in three statements
 * of which one matches: D1 bills an index entry for every indexed column an
 * UPDATE assigns, changed or not, and most drains leave `state` and `created_at`
 * as they were. The upsert inserts a new row or rewrites the unindexed columns
 * when those two are unchanged; the first UPDATE moves a changed state (leaving
 * `created_at`, and so `orders_tenant_created`, alone); the second catches a
 * changed creation time. Each is guarded by the version, so once one moved it
 * the others match nothing. One batch, one transaction.
 */
function indexUpserts(d: ReturnType<typeof db>, row: OrderInsert): BatchItem<"sqlite">[] {
  const { tenantId: _t, orderId: _o, ...all } = row;
  const { createdAt: _c, ...stateAndQuiet } = all;
  const newer = and(eq(orders.tenantId, row.tenantId), eq(orders.orderId, row.orderId), lt(orders.version, row.version));
  return [
    d
      .insert(orders)
      .values(row)
      .onConflictDoUpdate({
        target: [orders.tenantId, orders.orderId],
        set: INDEX_QUIET_SET,
        setWhere: sql`excluded.version > ${orders.version} AND excluded.state = ${orders.state} AND excluded.created_at = ${orders.createdAt}`,
      }),
    d.update(orders).set(stateAndQuiet).where(and(newer, eq(orders.createdAt, row.createdAt))),
    // The order may have been first heard of through its payment: adopt the real creation time and sender.
    d.update(orders).set(all).where(and(newer, ne(orders.createdAt, row.createdAt))),
  ];
}

/**
 * The runs as `audit_blocks` rows, skipping any whose first entry D1 already
 * holds: under the same key (a retried drain whose write D1 did make) or in
 * `audit_log` (drained one row per entry before audit_blocks existed).
 */
function insertRuns(d: ReturnType<typeof db>, tenant: string, orderId: string, runs: readonly AuditRun[]): BatchItem<"sqlite"> {
  const values = sql.join(
    runs.map((r) => sql`(${tenant}, ${orderId}, ${r.seq}, ${r.at}, ${JSON.stringify(r.entries)})`),
    sql`, `,
  );
  // Columns in the table's order: drizzle names them all in the INSERT.
  return d
    .insert(auditBlocks)
    .select(
      sql`SELECT v.column1, v.column2, v.column3, v.column4, v.column5 FROM (VALUES ${values}) v
        WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.tenant_id = v.column1 AND a.order_id = v.column2 AND a.seq = v.column3)`,
    )
    .onConflictDoNothing();
}

/**
 * Writes one drain to D1 as a single batch (one transaction). Idempotent: audit
 * runs are keyed by (tenant, order, first seq) and skipped when already present,
 * and the index row only moves forward by `version` — so a drain retried after a
 * timeout that actually committed changes nothing. Returns how many runs D1
 * newly stored (fewer than sent means D1 held some: see drainOutbox).
 */
export async function writeDrain(d1: D1Database, batch: DrainBatch): Promise<number> {
  const d = db(d1);
  const auditStatements = chunk(batch.audit, rowsPerStatement(AUDIT_COLUMNS)).map((runs) => insertRuns(d, batch.tenant, batch.orderId, runs));
  const statements: BatchItem<"sqlite">[] = [...auditStatements];
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
  for (const rows of chunk(batch.breaches, rowsPerStatement(10))) {
    statements.push(
      d
        .insert(slaBreaches)
        .values(rows)
        .onConflictDoUpdate({
          target: [slaBreaches.tenantId, slaBreaches.orderId, slaBreaches.step, slaBreaches.run, slaBreaches.level],
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
  if (!first) return 0;
  const results = await d.batch([first, ...rest]);
  let stored = 0;
  for (const r of results.slice(0, auditStatements.length)) stored += (r as D1Result).meta.changes;
  return stored;
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
  // A restarted object asks D1 how far it holds the chain before it sends anything (watermark.ts).
  try {
    await learnDrained(store, o.d1, tenant, orderId);
  } catch (err) {
    return failed(o, err, o.clock(), false);
  }
  const pendingBlocks = store.pendingAudit(DRAIN_MAX_ROWS);
  const pendingAudit = pendingBlocks.flat();
  const runs = auditRuns(pendingBlocks);
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
    tenant,
    orderId,
    audit: runs,
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
          run: b.run,
          level: b.level,
          contact: b.contact,
          owningParty: b.owning_party,
          dueAt: iso(b.due_at),
          breachedAt: iso(b.breached_at),
          resolvedAt: b.resolved_at === null ? null : iso(b.resolved_at),
        }))
      : [],
  };
  let drainedTo = Infinity;
  try {
    const stored = await writeDrain(o.d1, batch);
    // D1 already held some runs: a retry of a write it made (all of them), or entries drained one row
    // per entry before audit_blocks, possibly only part of a commit. Count as drained what D1 holds;
    // the rest stays pending and goes as a run of its own, under its own first seq.
    if (stored < runs.length) drainedTo = await storedHead(o.d1, tenant, orderId);
    // After the commit, with the rows it reported: a failed hand-over retries with the drain, and the
    // notifier ignores keys it already holds, so a restart or a retry never tells anyone twice.
    // Watchers' notices were decided with their commit (domain/notify/watchers.ts) and wait here until the notifier has them.
    const notices = [...(indexPending ? orderNotices({ tenant, orderId, tasks: store.tasks(), breaches: store.breaches(), now }) : []), ...watched];
    if (notices.length > 0) await o.notify(notices);
  } catch (err) {
    return failed(o, err, now, indexPending);
  }
  o.tx(() => {
    store.dequeueAudit(pendingAudit.map((r) => r.seq).filter((seq) => seq <= drainedTo));
    store.dequeueNotices(watched.map((n) => n.key));
    // Only clear the index entry if no newer state was committed while D1 was answering.
    if (indexPending && (store.auditHead()?.seq ?? 0) === (head?.seq ?? 0)) store.dequeueIndex();
    store.deleteMeta("drain_attempts", "drain_error");
    // Only a failed drain keeps a timer (its retry); what is left, committed while D1 answered, is due at once:
    // the caller drains again or re-arms the alarm for it (apply.ts).
    store.cancel("drain");
  });
  return { drained: pendingAudit.length, error: null };
}

/**
 * A failed drain is recorded on the order and retried with backoff. D1 may have taken the batch
 * before the failure (the notifier's hand-over comes after it), and a restarted object learns how
 * far D1 holds the chain from D1 itself (watermark.ts): the index's stale marks on the blocks would
 * then count as sent, and the orders' notices decided from it never handed over. So a failed drain
 * that carried the index says so in a row of its own, written only on failure, kept until a drain succeeds.
 */
function failed(o: DrainInput, err: unknown, now: number, indexPending: boolean): { drained: number; error: string } {
  const { store } = o;
  const attempts = Number(store.getMeta("drain_attempts") ?? 0) + 1;
  const message = err instanceof Error ? err.message : String(err);
  o.tx(() => {
    if (indexPending) store.setMeta("index_pending", "1");
    store.setMeta("drain_attempts", String(attempts));
    store.setMeta("drain_error", message.slice(0, 500));
    store.schedule("drain", "outbox", now + drainBackoff(attempts), true);
  });
  return { drained: 0, error: message };
}

/** When the object has not yet asked since it started: how far D1 holds the order's chain (a read, no row written). */
export async function learnDrained(store: OrderStore, d1: D1Database, tenant: string, orderId: string): Promise<void> {
  if (store.watermark.unverified()) store.watermark.learn(await storedHead(d1, tenant, orderId));
}

/** The highest seq of the order's chain that D1 holds. */
async function storedHead(d1: D1Database, tenant: string, orderId: string): Promise<number> {
  const row = await d1.prepare("SELECT max(seq) AS seq FROM audit_entries WHERE tenant_id = ? AND order_id = ?").bind(tenant, orderId).first<{ seq: number | null }>();
  return row?.seq ?? 0;
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
  const dues = o.rules ? slaDeadlines(v, o.rules, existingExports(store.exports()), store.allocation()).map((d) => d.due_at) : [];
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
