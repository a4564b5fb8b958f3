import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { chunk, db, rowsPerStatement } from "../../worker/db/client";
import { auditLog, orders, type AuditInsert, type OrderInsert } from "../../worker/db/schema";

export interface DrainBatch {
  audit: AuditInsert[];
  index: OrderInsert | null;
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
  const [first, ...rest] = statements;
  if (!first) return;
  await d.batch([first, ...rest]);
}
