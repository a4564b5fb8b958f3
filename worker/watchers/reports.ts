import { and, asc, eq, gte, inArray, lt } from "drizzle-orm";
import { TERMINAL_STATES } from "../../domain/order/view";
import { csvCell } from "../../domain/ownership/csv";
import { iso } from "../../domain/time";
import { db } from "../db/client";
import { handoffs, orders, reports, tasks, type HandoffRow } from "../db/schema";
import type { Env } from "../env";
import { WATCHER_TASK_TYPES } from "../../domain/tasks/task";

export const MISSING_ACKS_WINDOW_MS = 15 * 60_000;
const LIMIT = 500;

/** Handoffs sent (or still being sent) and not acknowledged within `olderThanMs` of being issued: the report's and the console's one query. */
export function unackedHandoffs(env: Env, tenant: string, olderThanMs: number, now: number, limit = LIMIT): Promise<HandoffRow[]> {
  return db(env.DB)
    .select()
    .from(handoffs)
    .where(and(eq(handoffs.tenantId, tenant), inArray(handoffs.status, ["delivered", "pending"]), lt(handoffs.issuedAt, iso(now - olderThanMs))))
    .orderBy(asc(handoffs.issuedAt))
    .limit(limit)
    .all();
}

export interface MissingAcks {
  tenant: string;
  generated_at: string;
  older_than_ms: number;
  handoffs: { export_id: string; order_id: string; step: string; status: string; owner: string; consumer_url: string | null; attempts: number; issued_at: string; delivered_at: string | null; age_ms: number }[];
  orders: { order_id: string; state: string; last_progress_at: string; open_exports: number; open_tasks: boolean; age_ms: number }[];
}

/**
 * Missing acknowledgements: handoffs not acked, and in-flight orders with no
 * progress (no change to their index row), older than the window. Reads the
 * handoffs and orders indexes only, each capped at 500 rows, oldest first.
 */
export async function missingAcks(env: Env, tenant: string, olderThanMs: number, now: number): Promise<MissingAcks> {
  const cutoff = iso(now - olderThanMs);
  const h = await unackedHandoffs(env, tenant, olderThanMs, now);
  const stale = await db(env.DB)
    .select({ orderId: orders.orderId, state: orders.state, updatedAt: orders.updatedAt, openExports: orders.openExports, holds: orders.holds, breaches: orders.breaches })
    .from(orders)
    .where(and(eq(orders.tenantId, tenant), inArray(orders.state, ["received", "awaiting_payment", "authorized", "paid", "routed", "accepted", "backordered", "shipped", "on_hold"]), lt(orders.updatedAt, cutoff)))
    .orderBy(asc(orders.updatedAt))
    .limit(LIMIT)
    .all();
  return {
    tenant,
    generated_at: iso(now),
    older_than_ms: olderThanMs,
    handoffs: h.map((r) => ({
      export_id: r.exportId,
      order_id: r.orderId,
      step: r.step,
      status: r.status,
      owner: r.owner,
      consumer_url: r.consumerUrl,
      attempts: r.attempts,
      issued_at: r.issuedAt,
      delivered_at: r.deliveredAt,
      age_ms: now - Date.parse(r.issuedAt),
    })),
    orders: stale
      .filter((o) => !TERMINAL_STATES.some((s) => s === o.state))
      .map((o) => ({ order_id: o.orderId, state: o.state, last_progress_at: o.updatedAt, open_exports: o.openExports, open_tasks: o.holds + o.breaches > 0, age_ms: now - Date.parse(o.updatedAt) })),
  };
}

/** One table for spreadsheets: a `kind` column tells an unacked handoff from an order without progress. */
export function missingAcksCsv(r: MissingAcks): string {
  const rows: (string | number | null)[][] = [["kind", "order_id", "export_id", "step", "state_or_status", "owner", "since", "age_minutes", "attempts"]];
  for (const h of r.handoffs) rows.push(["handoff_unacked", h.order_id, h.export_id, h.step, h.status, h.owner, h.issued_at, Math.floor(h.age_ms / 60_000), h.attempts]);
  for (const o of r.orders) rows.push(["order_no_progress", o.order_id, null, null, o.state, null, o.last_progress_at, Math.floor(o.age_ms / 60_000), null]);
  return rows.map((cells) => `${cells.map(csvCell).join(",")}\r\n`).join("");
}

export interface DailyReport {
  tenant: string;
  day: string;
  generated_at: string;
  unacknowledged_older_than_15m: { handoffs: number; orders: number; sample: MissingAcks };
  reconciliation_tasks_opened: Record<string, number>;
  time_to_first_response_ms: { claimed: number; median: number | null; p90: number | null };
}

function quantile(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? null;
}

/**
 * The daily report the seed asks for, for the UTC day before `now`: what was
 * unacknowledged at the end of it (older than 15 min), the watcher and
 * reconciliation tasks opened that day, and how fast people first responded.
 * Kept as a dated D1 row (`reports`, one per tenant and day): written once,
 * by the first cron run of the next day, and never rewritten.
 */
export async function writeDailyReport(env: Env, tenant: string, now: number): Promise<{ day: string; written: boolean }> {
  const end = Math.floor(now / 86_400_000) * 86_400_000;
  const day = iso(end - 86_400_000).slice(0, 10);
  const d = db(env.DB);
  const exists = await d.select({ day: reports.day }).from(reports).where(and(eq(reports.tenantId, tenant), eq(reports.kind, "daily"), eq(reports.day, day))).get();
  if (exists) return { day, written: false };
  const sample = await missingAcks(env, tenant, MISSING_ACKS_WINDOW_MS, end);
  const opened = await d
    .select({ type: tasks.type })
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenant), gte(tasks.openedAt, `${day}T00:00:00.000Z`), lt(tasks.openedAt, iso(end)), inArray(tasks.type, [...WATCHER_TASK_TYPES, "payment_mismatch", "duplicate_fulfillment", "conflicting_fulfillment"])))
    .all();
  const claimed = await d
    .select({ openedAt: tasks.openedAt, claimedAt: tasks.claimedAt })
    .from(tasks)
    .where(and(eq(tasks.tenantId, tenant), gte(tasks.claimedAt, `${day}T00:00:00.000Z`), lt(tasks.claimedAt, iso(end))))
    .all();
  const ttfr = claimed.flatMap((t) => (t.claimedAt ? [Date.parse(t.claimedAt) - Date.parse(t.openedAt)] : []));
  const byType: Record<string, number> = {};
  for (const t of opened) byType[t.type] = (byType[t.type] ?? 0) + 1;
  const body: DailyReport = {
    tenant,
    day,
    generated_at: iso(now),
    unacknowledged_older_than_15m: { handoffs: sample.handoffs.length, orders: sample.orders.length, sample },
    reconciliation_tasks_opened: byType,
    time_to_first_response_ms: { claimed: ttfr.length, median: quantile(ttfr, 0.5), p90: quantile(ttfr, 0.9) },
  };
  const res = await d.insert(reports).values({ tenantId: tenant, kind: "daily", day, body, createdAt: iso(now) }).onConflictDoNothing().run();
  return { day, written: res.meta.changes > 0 };
}

export async function dailyReport(env: Env, tenant: string, day: string): Promise<DailyReport | null> {
  const row = await db(env.DB).select().from(reports).where(and(eq(reports.tenantId, tenant), eq(reports.kind, "daily"), eq(reports.day, day))).get();
  return row ? (row.body as DailyReport) : null;
}
