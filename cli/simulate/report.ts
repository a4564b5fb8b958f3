import type { OrderLite, TaskLite } from "./api";
import type { LabelStats } from "./dispatcher";
import type { SilenceResult } from "./watch";

/**
 * What became of each order, and the summary table. Pure: the run feeds it
 * what the engine answered and what the senders and consumers counted.
 */

export const TERMINAL_STATES = ["delivered", "cancelled", "refunded"] as const;
const UNASSIGNED = "unassigned";

export const SILENT_DROP_DEFINITION = `An order is SILENTLY DROPPED when, after the run settles, none of these holds:
  1. GET /orders/:id finds it in a terminal state (delivered, cancelled, refunded);
  2. it has an open or claimed task (GET /tasks) whose owner is a named party, not "unassigned";
  3. it has a running SLA clock (the order's sla[]) naming an owner: the engine will breach and
     escalate it to that owner without anyone having to ask.
It is also dropped, whatever its state, when the engine answered 404 for it, or when a delivery
the engine acknowledged with a 2xx receipt is missing from the order's receipts[].
One exception (the silence fault): an order that is otherwise unowned, or that the engine never
heard of, because the simulator silenced one of its senders counts as SENDER SILENT WITH OWNER
when the engine opened a source_silent task for that sender: the engine cannot know what it was
never sent, but someone owns the outage that hid it.`;

export type Category = "terminal" | "on_hold_with_owner" | "waiting_on_sla_clock" | "sender_silent_with_owner" | "silently_dropped";

export interface Classified {
  category: Category;
  /** Why, for dropped orders: what is missing. */
  reason: string;
}

/**
 * `silentOwner`: for an order whose sender was silenced, the owner of the
 * source_silent task the engine opened for that sender, if it opened one.
 */
export function classify(order: OrderLite | null, tasks: readonly TaskLite[], ackedReceipts: ReadonlySet<string>, silentOwner: string | null = null): Classified {
  if (order === null && silentOwner !== null) return { category: "sender_silent_with_owner", reason: `source_silent → ${silentOwner}` };
  if (order === null) return { category: "silently_dropped", reason: "the engine has no such order (404)" };
  const stored = new Set(order.receipts.map((r) => r.id));
  const missing = [...ackedReceipts].filter((id) => !stored.has(id));
  if (missing.length > 0) return { category: "silently_dropped", reason: `acknowledged receipt(s) missing from the order: ${missing.join(", ")}` };
  if ((TERMINAL_STATES as readonly string[]).includes(order.state)) return { category: "terminal", reason: order.state };
  const owned = tasks.find((t) => (t.status === "open" || t.status === "claimed") && t.owner !== "" && t.owner !== UNASSIGNED);
  if (owned) return { category: "on_hold_with_owner", reason: `${owned.type} → ${owned.owner}` };
  const clock = order.sla.find((c) => c.owner !== "" && c.owner !== UNASSIGNED);
  if (clock) return { category: "waiting_on_sla_clock", reason: `${clock.step} due ${clock.due_at} → ${clock.owner}` };
  // Its creation was withheld by the silence, and the outage that hid it is owned.
  if (silentOwner !== null) return { category: "sender_silent_with_owner", reason: `state ${order.state}; source_silent → ${silentOwner}` };
  return { category: "silently_dropped", reason: `state ${order.state}, no open task with an owner, no running SLA clock` };
}

/** Nearest-rank percentile of an ascending list; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export interface ExportTotals {
  exports: number;
  attempts: number;
  retries: number;
  byStatus: Record<string, number>;
}

export function exportTotals(orders: readonly (OrderLite | null)[]): ExportTotals {
  const t: ExportTotals = { exports: 0, attempts: 0, retries: 0, byStatus: {} };
  for (const o of orders) {
    for (const e of o?.exports ?? []) {
      t.exports++;
      t.attempts += e.attempts.length;
      t.retries += Math.max(0, e.attempts.length - 1);
      t.byStatus[e.status] = (t.byStatus[e.status] ?? 0) + 1;
    }
  }
  return t;
}

export interface Summary {
  orders: number;
  categories: Record<Category, number>;
  /** Reasons for the orders that are waiting or held, counted. */
  held: Record<string, number>;
  waiting: Record<string, number>;
  dropped: { orderId: string; reason: string }[];
  inbound: {
    webhooks: number;
    requests: number;
    lost: number;
    redeliveries: number;
    duplicatesSent: number;
    duplicatesAbsorbed: number;
    gaveUp: number;
    silenced: number;
    statuses: Record<string, number>;
  };
  latency: { count: number; p50: number; p99: number; max: number };
  /** One per silence fault: when the engine noticed. */
  silences: SilenceResult[];
  exports: ExportTotals;
  consumers: { deliveries: number; redeliveries: number; outage503: number; rejected422: number; slow: number; badSignature: number };
  /** Per sender (shop, woo, stripe, adyen, hmac, carrier, easypost, wms, crm, ack): what it sent, and what became of the orders it reported on. */
  senders: Record<string, SenderSummary>;
  wallSeconds: number;
}

export interface SenderSummary {
  webhooks: number;
  requests: number;
  statuses: Record<string, number>;
  duplicatesAbsorbed: number;
  gaveUp: number;
  /** The orders this sender took part in, by category (cart, payment and carrier senders only). */
  orders: Partial<Record<Category, number>>;
}

/** The per-sender breakdown: the dispatcher's counts per label, and each order's category under each of its senders. */
export function bySender(orders: readonly { category: Category; labels: readonly string[] }[], byLabel: Readonly<Record<string, LabelStats>>): Record<string, SenderSummary> {
  const out: Record<string, SenderSummary> = {};
  const entry = (label: string): SenderSummary => (out[label] ??= { webhooks: 0, requests: 0, statuses: {}, duplicatesAbsorbed: 0, gaveUp: 0, orders: {} });
  for (const [label, l] of Object.entries(byLabel)) Object.assign(entry(label), { webhooks: l.webhooks, requests: l.requests, statuses: { ...l.statuses }, duplicatesAbsorbed: l.duplicateReceipts, gaveUp: l.gaveUp });
  for (const o of orders) {
    for (const label of new Set(o.labels)) {
      const e = entry(label);
      e.orders[o.category] = (e.orders[o.category] ?? 0) + 1;
    }
  }
  return out;
}

const CATEGORY_LABEL: Record<Category, string> = {
  terminal: "terminal",
  on_hold_with_owner: "held",
  waiting_on_sla_clock: "waiting",
  sender_silent_with_owner: "silent, owned",
  silently_dropped: "DROPPED",
};

function senderRows(senders: Record<string, SenderSummary>): Row[] {
  return Object.entries(senders)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, x]): Row => {
      const orders = (Object.entries(x.orders) as [Category, number][]).map(([c, n]) => `${CATEGORY_LABEL[c]} ${n}`).join(", ");
      const parts = [breakdown(x.statuses), x.gaveUp > 0 ? `gave up ${x.gaveUp}` : "", orders === "" ? "" : `orders: ${orders}`].filter((p) => p !== "");
      return [`  ${label}`, `${x.webhooks} / ${x.requests}`, parts.join(" · ")];
    });
}

export function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}

function fmtMs(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(n < 10 ? 1 : 0)} ms` : "–";
}

function breakdown(counts: Record<string, number>): string {
  const parts = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return parts.length === 0 ? "" : parts.map(([k, v]) => `${k} ${v}`).join(", ");
}

type Row = [string, string, string];

function secs(ms: number | null): string {
  return ms === null ? "–" : `${(ms / 1000).toFixed(1)} s`;
}

/** MTTD per silence: fault start → source_silent task opened, against silence_after + one sweep. */
function silenceRow(x: SilenceResult): Row {
  const head = `MTTD silence ${x.role} (${x.source})`;
  if (!x.detected) return [head, "NOT DETECTED", `silent ${x.from} → ${x.to}; goal ${secs(x.goal_ms)} (silence_after ${secs(x.silence_after_ms)} + sweep ${secs(x.sweep_every_ms)})`];
  return [
    head,
    secs(x.mttd_ms),
    `${secs(x.since_last_receipt_ms)} after the last verified receipt: ${x.within_goal ? "within" : "OVER"} goal ${secs(x.goal_ms)}; task ${x.task_id ?? ""} → ${x.owner ?? ""}`,
  ];
}

export function renderSummary(s: Summary): string {
  const rows: Row[] = [
    ["orders", String(s.orders), ""],
    ["  terminal", String(s.categories.terminal), "delivered, cancelled or refunded"],
    ["  on hold with owner", String(s.categories.on_hold_with_owner), breakdown(s.held)],
    ["  waiting on a running SLA clock", String(s.categories.waiting_on_sla_clock), breakdown(s.waiting)],
    ...(s.silences.length > 0 ? [["  sender silent, outage owned", String(s.categories.sender_silent_with_owner), "a silenced sender withheld their events; a source_silent task covers them"] as Row] : []),
    ["  SILENTLY DROPPED", String(s.categories.silently_dropped), s.categories.silently_dropped === 0 ? "" : "see the list below"],
    ["inbound webhooks", String(s.inbound.webhooks), "sender events, consumer reports and acks"],
    ["  requests sent", String(s.inbound.requests), breakdown(s.inbound.statuses)],
    ["  lost in transit (drop)", String(s.inbound.lost), "then redelivered on the sender's schedule"],
    ["  sender redeliveries", String(s.inbound.redeliveries), ""],
    ["  duplicates sent", String(s.inbound.duplicatesSent), ""],
    ["  duplicates absorbed", String(s.inbound.duplicatesAbsorbed), "200 with duplicate: true"],
    ["  never acknowledged", String(s.inbound.gaveUp), "the sender gave up"],
    ...(s.silences.length > 0 ? [["  withheld (silence)", String(s.inbound.silenced), "never sent: the sender was silenced"] as Row] : []),
    ...s.silences.map((x): Row => silenceRow(x)),
    ["per sender: webhooks / requests", "", "answers · orders it reported on, by outcome"],
    ...senderRows(s.senders),
    ["ack latency p50 / p99", `${fmtMs(s.latency.p50)} / ${fmtMs(s.latency.p99)}`, `webhook POST → 2xx, ${s.latency.count} samples, max ${fmtMs(s.latency.max)}`],
    ["exports (engine → consumers)", String(s.exports.exports), breakdown(s.exports.byStatus)],
    ["  delivery attempts", String(s.exports.attempts), "from the orders' exports[].attempts"],
    ["  retries", String(s.exports.retries), ""],
    [
      "consumer faults",
      String(s.consumers.outage503 + s.consumers.rejected422 + s.consumers.slow),
      `503 outage ${s.consumers.outage503}, 422 reject ${s.consumers.rejected422}, slow ${s.consumers.slow}; redeliveries seen ${s.consumers.redeliveries}`,
    ],
    ["wall time", `${s.wallSeconds.toFixed(0)} s`, ""],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const line = `${"─".repeat(w0 + 2)}┼${"─".repeat(w1 + 2)}┼${"─".repeat(40)}`;
  const out = [line];
  for (const [a, b, c] of rows) out.push(` ${a.padEnd(w0)} │ ${b.padStart(w1)} │ ${c}`);
  out.push(line);
  if (s.dropped.length > 0) {
    out.push("", "silently dropped orders:");
    for (const d of s.dropped.slice(0, 50)) out.push(`  ${d.orderId}: ${d.reason}`);
    if (s.dropped.length > 50) out.push(`  … and ${s.dropped.length - 50} more`);
  }
  return out.join("\n");
}
