import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { db } from "../db/client";
import { slaBreaches, tasks, tenants } from "../db/schema";
import type { Env } from "../env";
import { agencyTemplates, inheritors } from "../ownership/templates";

/**
 * The agency overview's reads: every merchant of the agency with its queue and
 * Today counts, in three grouped queries whatever the number of merchants.
 */

export interface MerchantCounts {
  id: string;
  name: string;
  active: number;
  unclaimed: number;
  overdue: number;
  /** Orders with an open SLA breach. */
  late_orders: number;
}

export async function agencyMerchants(env: Env, agency: string): Promise<{ id: string; name: string }[]> {
  return db(env.DB).select({ id: tenants.id, name: tenants.name }).from(tenants).where(eq(tenants.agencyId, agency)).orderBy(asc(tenants.id)).all();
}

export async function merchantCounts(env: Env, agency: string, now: number): Promise<MerchantCounts[]> {
  const merchants = await agencyMerchants(env, agency);
  if (merchants.length === 0) return [];
  const ids = merchants.map((m) => m.id);
  const nowIso = new Date(now).toISOString();
  const d = db(env.DB);
  // D1 binds at most 100 parameters: an agency's merchants are read 90 at a time.
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += 90) chunks.push(ids.slice(i, i + 90));
  const taskRows = (
    await Promise.all(
      chunks.map((c) =>
        d
          .select({
            tenant: tasks.tenantId,
            active: sql<number>`count(*)`,
            unclaimed: sql<number>`coalesce(sum(case when ${tasks.status} = 'open' then 1 else 0 end), 0)`,
            overdue: sql<number>`coalesce(sum(case when ${tasks.slaDue} < ${nowIso} then 1 else 0 end), 0)`,
          })
          .from(tasks)
          .where(and(inArray(tasks.tenantId, c), inArray(tasks.status, ["open", "claimed"])))
          .groupBy(tasks.tenantId)
          .all(),
      ),
    )
  ).flat();
  const breachRows = (
    await Promise.all(
      chunks.map((c) =>
        d
          .select({ tenant: slaBreaches.tenantId, orders: sql<number>`count(distinct ${slaBreaches.orderId})` })
          .from(slaBreaches)
          .where(and(inArray(slaBreaches.tenantId, c), isNull(slaBreaches.resolvedAt)))
          .groupBy(slaBreaches.tenantId)
          .all(),
      ),
    )
  ).flat();
  const t = new Map(taskRows.map((r) => [r.tenant, r]));
  const b = new Map(breachRows.map((r) => [r.tenant, Number(r.orders)]));
  return merchants.map((m) => {
    const r = t.get(m.id);
    return { id: m.id, name: m.name, active: Number(r?.active ?? 0), unclaimed: Number(r?.unclaimed ?? 0), overdue: Number(r?.overdue ?? 0), late_orders: b.get(m.id) ?? 0 };
  });
}

export interface TemplateSummary {
  template_id: string;
  version: number;
  created_by: string;
  created_at: string;
  /** Each inheriting merchant with the template version its rules were last computed from. */
  merchants: { tenant: string; applied_version: number }[];
}

/** The agency's rule templates (newest version of each) and who inherits each: two queries. */
export async function templateSummaries(env: Env, agency: string): Promise<TemplateSummary[]> {
  const [templates, links] = await Promise.all([agencyTemplates(env, agency), inheritors(env, agency, null)]);
  return templates.map((t) => ({
    template_id: t.template_id,
    version: t.version,
    created_by: t.created_by,
    created_at: t.created_at,
    merchants: links.filter((l) => l.template_id === t.template_id).map((l) => ({ tenant: l.tenant, applied_version: l.applied_version })),
  }));
}
