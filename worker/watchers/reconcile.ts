import { lastActivity, mismatches, RECONCILE_GRACE_MS } from "../../domain/watchers/reconcile";
import { ORDER_STATES } from "../../domain/order/view";
import { stepSla } from "../../domain/watchers/defaults";
import { iso } from "../../domain/time";
import { select, type WatchContext } from "./context";
import { closeWatcherTask, openWatcherTask } from "./tasks";

/** Only orders touched in this window are re-judged: an old mismatch was seen (and tasked) when it was recent. */
export const RECONCILE_LOOKBACK_MS = 7 * 86_400_000;
const BATCH = 200;

interface Row {
  order_id: string;
  state: string;
  milestones: string;
  created_at: string;
}

const ALL_STATES = ORDER_STATES.map((s) => `'${s}'`).join(", ");

/**
 * Cross-system receipts per order: a capture whose order never arrived, a
 * warehouse acceptance never paid for, a shipment for a cancelled or refunded
 * order, each one `reconciliation_mismatch` task naming both sides' receipts.
 */
export async function watchReceipts(w: WatchContext): Promise<{ opened: string[]; closed: string[] }> {
  // The state list lets the (tenant, state, updated_at) index seek the recent window in each state.
  const rows = await select<Row>(
    w,
    `SELECT order_id, state, milestones, created_at FROM orders
      WHERE tenant_id = ?1 AND state IN (${ALL_STATES}) AND updated_at >= ?2 AND updated_at < ?3
        AND (json_extract(milestones, '$.captured_at') IS NOT NULL AND json_extract(milestones, '$.created_at') IS NULL
          OR json_extract(milestones, '$.accepted_at') IS NOT NULL AND json_extract(milestones, '$.captured_at') IS NULL
          OR json_extract(milestones, '$.shipped_at') IS NOT NULL AND state IN ('cancelled', 'refunded'))
      LIMIT ${BATCH}`,
    w.tenant,
    iso(w.now - RECONCILE_LOOKBACK_MS),
    iso(w.now - RECONCILE_GRACE_MS),
  );
  const opened: string[] = [];
  for (const r of rows) {
    const m = JSON.parse(r.milestones) as Record<string, string>;
    if (w.now - lastActivity(m, r.created_at) < RECONCILE_GRACE_MS) continue;
    const found = mismatches(r.state, m);
    if (found.length === 0) continue;
    const receipts = await select<{ at: string; data: string }>(
      w,
      `SELECT at, data FROM audit_entries WHERE tenant_id = ?1 AND order_id = ?2 AND type = 'receipt.recorded' ORDER BY seq LIMIT 50`,
      w.tenant,
      r.order_id,
    );
    const parsed = receipts.map((x) => ({ at: x.at, ...(JSON.parse(x.data) as { receipt_id?: string; source?: string; events?: { id: string; type: string }[] }) }));
    const carrying = (types: string[]) =>
      parsed.filter((p) => (p.events ?? []).some((e) => types.includes(e.type))).map((p) => ({ receipt_id: p.receipt_id ?? null, source: p.source ?? null, at: p.at, events: p.events ?? [] }));
    for (const mm of found) {
      const id = await openWatcherTask(w, {
        type: "reconciliation_mismatch",
        step: mm.kind === "shipped_after_cancel" ? "shipping" : "payment",
        subject: r.order_id,
        orderId: r.order_id,
        ref: `reconcile:${mm.kind}`,
        title: `Receipts disagree for order ${r.order_id}: ${mm.detail}`,
        slaMs: stepSla(w.rules?.rules ?? null, "payment"),
        evidence: { order: { id: r.order_id, state: r.state, milestones: m }, mismatch: mm, receipts: { have: carrying(mm.have), other_side: carrying(mm.missing_or_conflicting) } },
      });
      if (id) opened.push(id);
    }
  }
  return { opened, closed: await closeSettled(w) };
}

/** The missing side arrived (the order, the capture): the mismatch task closes itself. */
async function closeSettled(w: WatchContext): Promise<string[]> {
  const open = await select<{ task_id: string; ref: string; state: string; milestones: string }>(
    w,
    `SELECT t.task_id, t.ref, o.state, o.milestones FROM tasks t JOIN orders o ON o.tenant_id = t.tenant_id AND o.order_id = t.order_id
      WHERE t.tenant_id = ?1 AND t.status IN ('open', 'claimed') AND t.type = 'reconciliation_mismatch'`,
    w.tenant,
  );
  const closed: string[] = [];
  for (const t of open) {
    const still = mismatches(t.state, JSON.parse(t.milestones) as Record<string, string>).some((m) => `reconcile:${m.kind}` === t.ref);
    if (still) continue;
    if (await closeWatcherTask(w, t.task_id, "reconciliation_mismatch", "resolved", `the receipts now agree (order ${t.state})`)) closed.push(t.task_id);
  }
  return closed;
}
