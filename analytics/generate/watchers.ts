import { waitingOn } from "../../domain/watchers/defaults";
import type { OrderStateName } from "../../domain/order/view";
import type { OrderRow, TaskRow } from "../../worker/analytics-exports/rows";
import { RULES } from "./builder";
import { HOUR, MINUTE, Rng, SECOND } from "./random";

/**
 * What the watchers add to a month's tasks export: `stuck_order` for orders
 * nobody was on, and `source_silent` for senders that went quiet. Both live in
 * D1 only (no order's trail names them), so they appear in tasks.csv and in an
 * order's task counts (the export counts D1's tasks), never in events.csv. Each carries its onset — the step's
 * due time, the sender's last verified receipt — and is opened at the first
 * cron sweep (every 5 minutes) after its condition held, plus the drain delay.
 */

const SWEEP_MS = 5 * MINUTE;
const SOURCES: readonly { source: string; silence_after_ms: number; outages_per_month: number }[] = [
  { source: "shop", silence_after_ms: HOUR, outages_per_month: 2 },
  { source: "marketplace", silence_after_ms: 2 * HOUR, outages_per_month: 1 },
  { source: "stripe", silence_after_ms: HOUR, outages_per_month: 1 },
  { source: "wms", silence_after_ms: 30 * MINUTE, outages_per_month: 2 },
];
const PEOPLE = ["ana", "bo", "chen", "dita", "eli"] as const;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function detectedAt(rng: Rng, onset: number): number {
  return onset + rng.int(0, SWEEP_MS) + rng.int(SECOND, 20 * SECOND);
}

export interface WatcherTaskInput {
  tenant: string;
  id: string;
  orderId: string | null;
  type: "stuck_order" | "source_silent" | "inventory_drift";
  owner: string;
  owningParty: string;
  onset: number;
  opened: number;
  slaMs: number;
  claimed: number | null;
  closed: { at: number; how: "resolved" | "cancelled"; by: string | null } | null;
  value: { minor: number | null; currency: string | null };
}

/** A D1-only task as the tasks export shows it at `asOf` (the watchers' and the inventory drift task alike). */
export function watcherTaskRow(t: WatcherTaskInput, asOf: number): TaskRow {
  const claimed = t.claimed !== null && t.claimed <= asOf ? t.claimed : null;
  const closed = t.closed !== null && t.closed.at <= asOf ? t.closed : null;
  return {
    tenant_id: t.tenant, task_id: t.id, order_id: t.orderId, rejection_id: null, type: t.type,
    status: closed?.how ?? (claimed === null ? "open" : "claimed"), owner: t.owner, owning_party: t.owningParty, level: 0,
    value_minor: t.value.minor, currency: t.value.currency, opened_at: iso(t.opened), sla_due: iso(t.opened + t.slaMs),
    claimed_at: claimed === null ? null : iso(claimed), claimed_by: claimed === null ? null : `${PEOPLE[t.id.length % PEOPLE.length] ?? "ana"}@ops`,
    resolved_at: closed === null ? null : iso(closed.at), resolved_by: closed?.by ?? null, action: closed === null ? null : "close",
    first_response_ms: claimed === null ? null : claimed - t.opened, resolve_ms: closed === null ? null : closed.at - t.opened,
    onset_at: iso(t.onset), detect_ms: t.opened - t.onset,
  };
}

/** The stuck_order task a watcher opens for an order left with no task, hold or clock, if its step came due before the export. */
export function stuckOrderTask(rng: Rng, order: OrderRow, asOf: number): TaskRow | null {
  if (order.open_tasks > 0 || order.holds > 0 || order.open_breaches > 0 || order.next_due_at !== null) return null;
  const waiting = waitingOn(order.state as OrderStateName);
  // The generated tenant's rules have no delivery step (its orders end at delivered).
  if (waiting === null || waiting.step === "delivery") return null;
  const since = Date.parse(order.updated_at);
  const rule = RULES[waiting.step];
  const onset = since + rule.sla_ms;
  const opened = detectedAt(rng, onset);
  if (opened > asOf) return null;
  const claimed = rng.chance(0.7) ? opened + rng.int(10 * MINUTE, 8 * HOUR) : null;
  return watcherTaskRow(
    {
      tenant: order.tenant_id, id: `tk_stuck_${order.order_id}`, orderId: order.order_id, type: "stuck_order",
      owner: rule.ladder[0], owningParty: rule.owning_party, onset, opened, slaMs: rule.sla_ms, claimed, closed: null,
      value: { minor: order.value_minor, currency: order.currency },
    },
    asOf,
  );
}

/** A month of sender outages: each opens one source_silent task, closed by the watcher at the sender's next verified delivery. */
export function sourceOutages(tenant: string, seed: number, start: number, end: number): TaskRow[] {
  const rng = new Rng(seed * 7919 + 17);
  const out: TaskRow[] = [];
  const days = Math.max(1, Math.round((end - start) / (24 * HOUR)));
  for (const s of SOURCES) {
    const n = Math.max(0, Math.round((s.outages_per_month * days) / 30) + rng.int(-1, 1));
    for (let i = 0; i < n; i++) {
      const lastReceipt = start + rng.int(0, end - start - 1);
      const opened = detectedAt(rng, lastReceipt + s.silence_after_ms);
      if (opened >= end) continue;
      const back = opened + rng.int(10 * MINUTE, 6 * HOUR);
      const claimed = rng.chance(0.8) ? opened + rng.int(2 * MINUTE, 90 * MINUTE) : null;
      out.push(
        watcherTaskRow(
          {
            tenant, id: `tk_silent_${s.source}_${i + 1}`, orderId: null, type: "source_silent", owner: RULES.routing.ladder[0],
            owningParty: RULES.routing.owning_party, onset: lastReceipt, opened, slaMs: s.silence_after_ms, claimed: claimed !== null && claimed < back ? claimed : null,
            closed: { at: back, how: "resolved", by: "handoff" }, value: { minor: null, currency: null },
          },
          end - 1,
        ),
      );
    }
  }
  return out;
}
