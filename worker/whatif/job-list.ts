import { and, desc, eq, lt, or } from "drizzle-orm";
import type { JobState, WhatIfJobListItem } from "../../domain/whatif/job";
import { iso } from "../../domain/time";
import { db } from "../db/client";
import { whatIfJobs, type WhatIfJobRow } from "../db/schema";

/**
 * The tenant's list of what-if jobs: D1 rows the job objects write (one per
 * job, rewritten whole on every save), read newest first and keyset-paged by
 * (created_at, id), so a list never calls a job object.
 */

function rowOf(job: JobState): WhatIfJobRow {
  return {
    tenantId: job.tenant,
    id: job.id,
    status: job.status,
    ordersDone: job.orders_done,
    ordersTotal: job.orders_total,
    from: job.from,
    to: job.to,
    createdBy: job.created_by,
    createdAt: iso(job.created_at),
    finishedAt: job.finished_at === null ? null : iso(job.finished_at),
    expiresAt: job.expires_at === null ? null : iso(job.expires_at),
  };
}

export async function saveJobRow(d1: D1Database, job: JobState): Promise<void> {
  const { tenantId: _t, id: _i, ...set } = rowOf(job);
  await db(d1)
    .insert(whatIfJobs)
    .values(rowOf(job))
    .onConflictDoUpdate({ target: [whatIfJobs.tenantId, whatIfJobs.id], set });
}

function itemOf(r: WhatIfJobRow): WhatIfJobListItem {
  return {
    id: r.id,
    status: r.status as WhatIfJobListItem["status"],
    progress: { orders_done: r.ordersDone, orders_total: r.ordersTotal },
    from: r.from,
    to: r.to,
    created_at: r.createdAt,
    created_by: r.createdBy,
    expires_at: r.expiresAt,
  };
}

/** A cursor is `<created_at>|<id>` of the last job of the previous page; null when it is malformed. */
export function parseCursor(cursor: string): { created_at: string; id: string } | null {
  const [createdAt, id, extra] = cursor.split("|");
  return createdAt && id && extra === undefined ? { created_at: createdAt, id } : null;
}

export async function listJobs(
  d1: D1Database,
  tenant: string,
  limit: number,
  after: { created_at: string; id: string } | null,
): Promise<{ jobs: WhatIfJobListItem[]; next_cursor: string | null }> {
  const mine = eq(whatIfJobs.tenantId, tenant);
  const where = after ? and(mine, or(lt(whatIfJobs.createdAt, after.created_at), and(eq(whatIfJobs.createdAt, after.created_at), lt(whatIfJobs.id, after.id)))) : mine;
  const rows = await db(d1)
    .select()
    .from(whatIfJobs)
    .where(where)
    .orderBy(desc(whatIfJobs.createdAt), desc(whatIfJobs.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { jobs: page.map(itemOf), next_cursor: rows.length > limit && last ? `${last.createdAt}|${last.id}` : null };
}
