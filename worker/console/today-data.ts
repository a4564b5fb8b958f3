import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, or, sql } from "drizzle-orm";
import { db } from "../db/client";
import { orders, slaBreaches, tasks, type HandoffRow } from "../db/schema";
import type { Env } from "../env";
import { unackedHandoffs } from "../watchers/reports";

/**
 * The today board's reads: D1's cross-order views only (one query each), so
 * the morning page costs the same however many orders are in flight.
 */

export const UNACKED_AFTER_MS = 15 * 60_000;
const LIMIT = 500;

export interface BreachGroup {
  step: string;
  owner: string;
  owning_party: string;
  orders: { order_id: string; due_at: string; level: number }[];
  oldest_due: string;
}

export interface TaskTypeCount {
  type: string;
  open: number;
  claimed: number;
  overdue: number;
}

export interface AtRisk {
  currency: string;
  amount_minor: number;
  orders: number;
}

export interface AtRiskOrder {
  order_id: string;
  state: string;
  value_minor: number;
  currency: string;
  holds: number;
  breaches: number;
}

export interface TodayData {
  breaches: BreachGroup[];
  unacked: HandoffRow[];
  tasks: TaskTypeCount[];
  atRisk: AtRisk[];
  topAtRisk: AtRiskOrder[];
}

/** Open breaches grouped by step and the step's owner (the level-0 contact); each order shows how far it has escalated. */
async function breachGroups(env: Env, tenant: string): Promise<BreachGroup[]> {
  const rows = await db(env.DB)
    .select()
    .from(slaBreaches)
    .where(and(eq(slaBreaches.tenantId, tenant), isNull(slaBreaches.resolvedAt)))
    .orderBy(asc(slaBreaches.dueAt))
    .limit(LIMIT)
    .all();
  const topLevel = new Map<string, number>();
  for (const r of rows) {
    const k = `${r.orderId}\u0000${r.step}`;
    topLevel.set(k, Math.max(topLevel.get(k) ?? 0, r.level));
  }
  const groups = new Map<string, BreachGroup>();
  for (const r of rows) {
    if (r.level !== 0) continue;
    const key = `${r.step}\u0000${r.contact}`;
    let g = groups.get(key);
    if (!g) {
      g = { step: r.step, owner: r.contact, owning_party: r.owningParty, orders: [], oldest_due: r.dueAt };
      groups.set(key, g);
    }
    g.orders.push({ order_id: r.orderId, due_at: r.dueAt, level: topLevel.get(`${r.orderId}\u0000${r.step}`) ?? 0 });
    if (r.dueAt < g.oldest_due) g.oldest_due = r.dueAt;
  }
  return [...groups.values()].sort((a, b) => b.orders.length - a.orders.length || (a.oldest_due < b.oldest_due ? -1 : 1));
}

/** A handoff sent (or still being sent) and not acknowledged within 15 minutes of being issued: the missing-acks report's query. */
function unacked(env: Env, tenant: string, now: number): Promise<HandoffRow[]> {
  return unackedHandoffs(env, tenant, UNACKED_AFTER_MS, now, 100);
}

async function taskCounts(env: Env, tenant: string, now: number): Promise<TaskTypeCount[]> {
  const nowIso = new Date(now).toISOString();
  const rows = await db(env.DB)
    .select({
      type: tasks.type,
      open: sql<number>`sum(case when ${tasks.status} = 'open' then 1 else 0 end)`,
      claimed: sql<number>`sum(case when ${tasks.status} = 'claimed' then 1 else 0 end)`,
      overdue: sql<number>`sum(case when ${tasks.slaDue} < ${nowIso} then 1 else 0 end)`,
    })
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenant), inArray(tasks.status, ["open", "claimed"])))
    .groupBy(tasks.type)
    .all();
  return rows
    .map((r) => ({ type: r.type, open: Number(r.open), claimed: Number(r.claimed), overdue: Number(r.overdue) }))
    .sort((a, b) => b.overdue - a.overdue || b.open + b.claimed - (a.open + a.claimed));
}

/** Stuck or on hold: a hold, an open breach, or an open task. Value is summed per currency, never across. */
function atRiskWhere(tenant: string) {
  const openTask = sql`exists (select 1 from ${tasks} where ${tasks.tenantId} = ${orders.tenantId} and ${tasks.orderId} = ${orders.orderId} and ${tasks.status} in ('open', 'claimed'))`;
  return and(eq(orders.tenantId, tenant), isNotNull(orders.valueMinor), isNotNull(orders.currency), or(gt(orders.holds, 0), gt(orders.breaches, 0), openTask));
}

async function atRisk(env: Env, tenant: string): Promise<AtRisk[]> {
  const rows = await db(env.DB)
    .select({ currency: orders.currency, amount: sql<number>`sum(${orders.valueMinor})`, n: sql<number>`count(*)` })
    .from(orders)
    .where(atRiskWhere(tenant))
    .groupBy(orders.currency)
    .all();
  return rows.map((r) => ({ currency: r.currency ?? "?", amount_minor: Number(r.amount), orders: Number(r.n) })).sort((a, b) => b.amount_minor - a.amount_minor);
}

async function topAtRisk(env: Env, tenant: string): Promise<AtRiskOrder[]> {
  const rows = await db(env.DB)
    .select({ order_id: orders.orderId, state: orders.state, value_minor: orders.valueMinor, currency: orders.currency, holds: orders.holds, breaches: orders.breaches })
    .from(orders)
    .where(atRiskWhere(tenant))
    .orderBy(desc(orders.valueMinor))
    .limit(8)
    .all();
  return rows.map((r) => ({ ...r, value_minor: r.value_minor ?? 0, currency: r.currency ?? "?" }));
}

export async function loadToday(env: Env, tenant: string, now: number): Promise<TodayData> {
  const [b, u, t, r, top] = await Promise.all([breachGroups(env, tenant), unacked(env, tenant, now), taskCounts(env, tenant, now), atRisk(env, tenant), topAtRisk(env, tenant)]);
  return { breaches: b, unacked: u, tasks: t, atRisk: r, topAtRisk: top };
}
