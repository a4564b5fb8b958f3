import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { TASK_STATUSES, TaskType } from "../../domain/tasks/task";
import { db } from "../db/client";
import { tasks } from "../db/schema";
import type { Env } from "../env";
import { listTasks, type TaskSummary } from "../tasks";

/**
 * The queue page's reads. "active" (open + claimed) is the default view: a task
 * someone claimed is still work in progress and must not vanish from the list.
 * listTasks filters one status, so active merges two keyset pages on the same
 * (sla_due, task_id) order, which keeps paging exact.
 */

const STATUS_FILTERS = ["active", "all", ...TASK_STATUSES] as const;

export const QueueFilters = z.object({
  status: z.enum(STATUS_FILTERS).catch("active").default("active"),
  owner: z.string().trim().max(200).catch("").default(""),
  type: z.union([TaskType, z.literal("")]).catch("").default(""),
  overdue: z.enum(["", "true", "false"]).catch("").default(""),
  cursor: z.string().max(400).regex(/^[^|]+\|[^|]+$/).optional().catch(undefined),
});
export type QueueFilters = z.infer<typeof QueueFilters>;
export { STATUS_FILTERS };

export const PAGE_SIZE = 50;

export async function loadQueue(env: Env, tenant: string, f: QueueFilters, now: number): Promise<{ tasks: TaskSummary[]; next_cursor: string | null }> {
  const base = {
    limit: PAGE_SIZE,
    ...(f.owner ? { owner: f.owner } : {}),
    ...(f.type ? { type: f.type } : {}),
    ...(f.overdue ? { overdue: f.overdue } : {}),
    ...(f.cursor ? { cursor: f.cursor } : {}),
  };
  if (f.status !== "active") return listTasks(env, tenant, { ...base, ...(f.status === "all" ? {} : { status: f.status }) }, now);
  const [open, claimed] = await Promise.all([listTasks(env, tenant, { ...base, status: "open" }, now), listTasks(env, tenant, { ...base, status: "claimed" }, now)]);
  const merged = [...open.tasks, ...claimed.tasks].sort((a, b) => (a.sla_due === b.sla_due ? cmp(a.task_id, b.task_id) : cmp(a.sla_due, b.sla_due)));
  const page = merged.slice(0, PAGE_SIZE);
  const more = merged.length > PAGE_SIZE || open.next_cursor !== null || claimed.next_cursor !== null;
  const last = page.at(-1);
  return { tasks: page, next_cursor: more && last ? `${last.sla_due}|${last.task_id}` : null };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Everyone who holds or held a task: the owner filter's suggestions. */
export async function knownOwners(env: Env, tenant: string): Promise<string[]> {
  const rows = await db(env.DB).selectDistinct({ owner: tasks.owner }).from(tasks).where(eq(tasks.tenantId, tenant)).orderBy(tasks.owner).limit(200).all();
  return rows.map((r) => r.owner);
}

export interface ActiveCounts {
  active: number;
  overdue: number;
  unclaimed: number;
}

export async function activeCounts(env: Env, tenant: string, now: number): Promise<ActiveCounts> {
  const nowIso = new Date(now).toISOString();
  const row = await db(env.DB)
    .select({
      active: sql<number>`count(*)`,
      overdue: sql<number>`coalesce(sum(case when ${tasks.slaDue} < ${nowIso} then 1 else 0 end), 0)`,
      unclaimed: sql<number>`coalesce(sum(case when ${tasks.status} = 'open' then 1 else 0 end), 0)`,
    })
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenant), inArray(tasks.status, ["open", "claimed"])))
    .get();
  return { active: Number(row?.active ?? 0), overdue: Number(row?.overdue ?? 0), unclaimed: Number(row?.unclaimed ?? 0) };
}
