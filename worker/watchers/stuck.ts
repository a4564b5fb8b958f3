import { ORDER_STATES, TERMINAL_STATES } from "../../domain/order/view";
import { judgeStuck, stuckRef } from "../../domain/watchers/stuck";
import { shortestSla, stepSla } from "../../domain/watchers/defaults";
import { iso } from "../../domain/time";
import { select, type WatchContext } from "./context";
import { closeWatcherTask, openWatcherTask } from "./tasks";

/** Orders judged per run and tenant; the next run (5 min later) takes the rest, oldest first. */
export const STUCK_BATCH = 200;

interface Candidate {
  order_id: string;
  state: string;
  milestones: string;
  created_at: string;
  updated_at: string;
  source: string | null;
  value_minor: number | null;
  currency: string | null;
}

// An IN list (not NOT IN) so the (tenant, state, created_at) index seeks only the orders still in flight.
const NON_TERMINAL_SQL = `state IN (${ORDER_STATES.filter((s) => !TERMINAL_STATES.includes(s) && s !== "on_hold").map((s) => `'${s}'`).join(", ")})`;

/**
 * No order without an owner: a non-terminal order with no open task, no open
 * hold and no running clock, waiting on its step past that step's SLA (the
 * tenant's, or the built-in one when it has no rules), gets one `stuck_order`
 * task. Reads the order index and the task table only.
 */
export async function watchStuckOrders(w: WatchContext): Promise<{ opened: string[]; closed: string[] }> {
  const rules = w.rules?.rules ?? null;
  // Nothing created more recently than the shortest SLA can be late yet: the index range keeps the read small.
  const cutoff = iso(w.now - shortestSla(rules));
  const rows = await select<Candidate>(
    w,
    `SELECT order_id, state, milestones, created_at, updated_at, source, value_minor, currency FROM orders o
      WHERE o.tenant_id = ?1 AND o.${NON_TERMINAL_SQL} AND o.holds = 0 AND o.next_due_at IS NULL AND o.created_at < ?2
        AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.tenant_id = o.tenant_id AND t.order_id = o.order_id AND t.status IN ('open', 'claimed'))
      ORDER BY o.created_at LIMIT ${STUCK_BATCH}`,
    w.tenant,
    cutoff,
  );
  const opened: string[] = [];
  for (const r of rows) {
    const milestones = JSON.parse(r.milestones) as Record<string, string>;
    const verdict = judgeStuck({ orderId: r.order_id, state: r.state, milestones, createdAt: r.created_at }, rules, w.now);
    if (!verdict) continue;
    const [last] = await select<{ at: string; data: string }>(
      w,
      `SELECT at, data FROM audit_entries WHERE tenant_id = ?1 AND order_id = ?2 AND type = 'receipt.recorded' ORDER BY seq DESC LIMIT 1`,
      w.tenant,
      r.order_id,
    );
    const receipt = last ? (JSON.parse(last.data) as { receipt_id?: string; source?: string; events?: unknown }) : null;
    const id = await openWatcherTask(w, {
      type: "stuck_order",
      step: verdict.step,
      subject: r.order_id,
      orderId: r.order_id,
      ref: stuckRef(r.state, verdict.since),
      title: `Order stuck in ${r.state}: no ${verdict.step} progress since ${verdict.since}`,
      slaMs: stepSla(rules, verdict.step),
      value: r.value_minor !== null && r.currency !== null ? { amount_minor: r.value_minor, currency: r.currency } : null,
      evidence: {
        order: { id: r.order_id, state: r.state, since: verdict.since, step: verdict.step, due: verdict.due, milestones, first_source: r.source, index_updated_at: r.updated_at },
        sla: { ms: verdict.sla_ms, from: rules ? "ownership_rules" : "built_in_default", version: w.rules?.version ?? null },
        last_receipt: last && receipt ? { at: last.at, receipt_id: receipt.receipt_id ?? null, source: receipt.source ?? null, events: receipt.events ?? [] } : null,
      },
    });
    if (id) opened.push(id);
  }
  return { opened, closed: await closeMovedOn(w) };
}

/** A stuck order that moved on (or reached an end) needs nobody any more: its task is cancelled, saying where it went. */
async function closeMovedOn(w: WatchContext): Promise<string[]> {
  const open = await select<{ task_id: string; ref: string; state: string }>(
    w,
    `SELECT t.task_id, t.ref, o.state FROM tasks t JOIN orders o ON o.tenant_id = t.tenant_id AND o.order_id = t.order_id
      WHERE t.tenant_id = ?1 AND t.status IN ('open', 'claimed') AND t.type = 'stuck_order'`,
    w.tenant,
  );
  const closed: string[] = [];
  for (const t of open) {
    const stuckIn = t.ref.split(":")[1];
    if (stuckIn === t.state) continue;
    if (await closeWatcherTask(w, t.task_id, "stuck_order", "cancelled", `the order moved on from ${stuckIn ?? "?"} to ${t.state}`)) closed.push(t.task_id);
  }
  return closed;
}
