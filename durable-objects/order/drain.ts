import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { chunk, db, rowsPerStatement } from "../../worker/db/client";
import { auditLog, handoffs, orders, slaBreaches, tasks, type AuditInsert, type HandoffInsert, type OrderInsert, type SlaBreachInsert, type TaskInsert } from "../../worker/db/schema";

export interface DrainBatch {
  audit: AuditInsert[];
  index: OrderInsert | null;
  /** The order's exports and breaches as they are now; sent with the index. */
  handoffs: HandoffInsert[];
  breaches: SlaBreachInsert[];
  tasks: TaskInsert[];
}

const AUDIT_COLUMNS = 8;

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
  if (batch.index) {
    statements.push(
      d
        .insert(orders)
        .values(batch.index)
        .onConflictDoUpdate({
          target: [orders.tenantId, orders.orderId],
          set: {
            state: sql`excluded.state`,
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
            // The order may have been first heard of through its payment: adopt the real creation time and sender.
            source: sql`excluded.source`,
            createdAt: sql`excluded.created_at`,
            updatedAt: sql`excluded.updated_at`,
          },
          setWhere: sql`excluded.version > ${orders.version}`,
        }),
    );
  }
  // Exports and breaches only change through the object that writes them here,
  // so the latest report simply overwrites (chunked to stay under 100 bound parameters).
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
        }),
    );
  }
  // Tasks carry their evidence (up to tens of KB each): one row per statement keeps each under D1's statement limits.
  for (const row of batch.tasks) {
    const { tenantId: _t, taskId: _id, ...update } = row;
    statements.push(d.insert(tasks).values(row).onConflictDoUpdate({ target: [tasks.tenantId, tasks.taskId], set: update }));
  }
  const [first, ...rest] = statements;
  if (!first) return;
  await d.batch([first, ...rest]);
}
