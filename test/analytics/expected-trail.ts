import type { EventRow } from "../../worker/analytics-exports/rows";
import { cmp, groupBy, ms, quantile, rate, weekOf, type Cell, type Month, type Rows } from "./expected";

/**
 * The numbers that come from reading each order's audit trail: detection and
 * recovery, breach spells, root causes, duplicates, handoffs. Independent of
 * the SQL, from the definitions in analytics/README.md.
 */

const SIGNAL: Record<string, [string, number]> = { "sla.breached": ["SLA breach", 1], "hold.opened": ["hold", 2], "task.opened": ["task", 3] };

export interface Detection {
  orderId: string;
  by: string;
  at: number;
  mttd: number;
  recoveredAt: number | null;
}

export function detections(m: Month): Detection[] {
  const tasksByOrder = groupBy(m.tasks.filter((t) => t.order_id !== null), (t) => t.order_id ?? "");
  const out: Detection[] = [];
  for (const o of m.orders) {
    const events = m.eventsOf(o.order_id);
    const signals: { at: number; by: string; prio: number }[] = [];
    for (const e of events) {
      const s = SIGNAL[e.type];
      if (s) signals.push({ at: ms(e.at), by: s[0], prio: s[1] });
    }
    for (const t of tasksByOrder.get(o.order_id) ?? []) signals.push({ at: ms(t.opened_at), by: "task", prio: 3 });
    if (signals.length === 0) continue;
    signals.sort((a, b) => a.at - b.at || a.prio - b.prio);
    const first = signals[0];
    if (!first) continue;
    let stalled = o.created_at === null ? first.at : ms(o.created_at);
    let progress = -Infinity;
    for (const e of events) if (e.type === "event.applied" && ms(e.at) <= first.at) progress = Math.max(progress, ms(e.at));
    if (progress !== -Infinity) stalled = progress;
    let recovered: number | null = null;
    for (const e of events) {
      const t = ms(e.at);
      if (t <= first.at) continue;
      const ends =
        e.type === "sla.recovered" || e.type === "hold.released" || e.type === "task.resolved" ||
        (e.type === "event.applied" && e.state_to !== e.state_from && e.state_to !== "on_hold");
      if (ends && (recovered === null || t < recovered)) recovered = t;
    }
    out.push({ orderId: o.order_id, by: first.by, at: first.at, mttd: first.at - stalled, recoveredAt: recovered });
  }
  return out;
}

export function stuckOrders(m: Month): Rows {
  const row = (label: string, list: readonly Detection[]): Cell[] => {
    const rec = list.filter((d) => d.recoveredAt !== null);
    const mttd = list.map((d) => d.mttd);
    const mttr = rec.map((d) => (d.recoveredAt ?? 0) - d.at);
    return [label, list.length, rec.length, list.length - rec.length, quantile(mttd, 0.5), quantile(mttd, 0.9), quantile(mttr, 0.5), quantile(mttr, 0.9)];
  };
  const all = detections(m);
  const rows = [...groupBy(all, (d) => d.by)].map(([by, list]) => row(by, list));
  rows.sort((a, b) => Number(b[1]) - Number(a[1]) || cmp(String(a[0]), String(b[0])));
  return [...rows, row("all signals", all)];
}

export interface Spell {
  order: string;
  step: string;
  party: string;
  owner: string;
  at: number;
  recoveredAt: number | null;
  topLevel: number;
}

export function spells(m: Month): Spell[] {
  const out: Spell[] = [];
  for (const o of m.orders) {
    const events = m.eventsOf(o.order_id);
    for (const b of events) {
      if (b.type !== "sla.breached") continue;
      const at = ms(b.at);
      const recs = events.filter((r) => r.type === "sla.recovered" && r.step === b.step && ms(r.at) >= at).map((r) => ms(r.at));
      const levels = events.filter((e) => (e.type === "sla.breached" || e.type === "sla.escalated") && e.step === b.step).map((e) => e.level ?? 0);
      out.push({
        order: o.order_id, step: b.step ?? "", party: b.owning_party ?? "", owner: b.owner ?? "", at,
        recoveredAt: recs.length ? Math.min(...recs) : null, topLevel: Math.max(...levels),
      });
    }
  }
  return out;
}

export function slaBreaches(m: Month): Rows {
  const esc = m.events.filter((e) => e.type === "sla.escalated");
  return [...groupBy(spells(m), (s) => `${s.step}\u0000${s.party}`)]
    .map(([k, list]): Cell[] => {
      const [step = "", party = ""] = k.split("\u0000");
      const mine = esc.filter((e) => e.step === step && e.owning_party === party);
      const rec = list.filter((s) => s.recoveredAt !== null);
      return [
        step, party, list.length, mine.filter((e) => e.level === 1).length, mine.filter((e) => e.level === 2).length,
        rec.length, list.length - rec.length, quantile(rec.map((s) => (s.recoveredAt ?? 0) - s.at), 0.5),
      ];
    })
    .sort((a, b) => Number(b[2]) - Number(a[2]) || cmp(String(a[0]), String(b[0])) || cmp(String(a[1]), String(b[1])));
}

export const CAUSES = [
  "payment never captured", "downstream rejection", "downstream outage", "oversell / backorder",
  "manual divergence", "locked-field conflict", "schema rejection", "no recorded cause",
] as const;
export type Cause = (typeof CAUSES)[number];

export function causesOf(m: Month): Map<string, Set<Cause>> {
  const out = new Map<string, Set<Cause>>();
  const tasksByOrder = groupBy(m.tasks.filter((t) => t.order_id !== null), (t) => t.order_id ?? "");
  for (const o of m.orders) {
    const c = new Set<Cause>();
    const ev = m.eventsOf(o.order_id);
    const tasks = tasksByOrder.get(o.order_id) ?? [];
    const has = (p: (e: EventRow) => boolean): boolean => ev.some(p);
    if (o.captured_at === null && (o.authorized_at !== null || o.payment_failed_at !== null)) c.add("payment never captured");
    if (has((e) => e.type === "hold.opened" && (e.kind === "consumer_rejected" || e.kind === "fulfillment_rejected"))) c.add("downstream rejection");
    if (has((e) => (e.type === "export.attempt" && (e.outcome === "retry" || e.outcome === "exhausted")) || (e.type === "hold.opened" && (e.kind === "delivery_failed" || e.kind === "ack_missing")))) c.add("downstream outage");
    if (o.backordered_at !== null) c.add("oversell / backorder");
    if (has((e) => e.type === "field.changed_late") || tasks.some((t) => t.action === "override")) c.add("manual divergence");
    if (o.conflicts > 0) c.add("locked-field conflict");
    if (tasks.some((t) => t.type === "schema_rejection")) c.add("schema rejection");
    if (c.size === 0 && m.status.get(o.order_id)?.dropped) c.add("no recorded cause");
    out.set(o.order_id, c);
  }
  return out;
}

export function rootCauses(m: Month): Rows {
  const rows: Rows = [];
  const causes = causesOf(m);
  for (const cause of CAUSES) {
    const affected = m.all().filter((s) => causes.get(s.order.order_id)?.has(cause));
    const byCurrency = [...groupBy(affected, (s) => s.order.currency ?? "\uffff")].sort(([a], [b]) => cmp(a, b));
    for (const [cur, list] of byCurrency) {
      const values = list.flatMap((s) => (s.order.value_minor === null ? [] : [s.order.value_minor]));
      const atRisk = list.filter((s) => s.atRisk).reduce((sum, s) => sum + (s.order.value_minor ?? 0), 0);
      rows.push([
        cause, cur === "\uffff" ? null : cur, list.length, list.filter((s) => s.dropped).length, list.filter((s) => s.atRisk).length,
        values.length ? values.reduce((a, b) => a + b, 0) : null, atRisk,
      ]);
    }
  }
  return rows;
}

export function duplicates(m: Month): Rows {
  const receipts: { source: string; applied: number; dups: number }[] = [];
  for (const o of m.orders) {
    let cur: { source: string; applied: number; dups: number } | null = null;
    for (const e of [...m.eventsOf(o.order_id)].sort((a, b) => a.seq - b.seq)) {
      if (e.source === "handoff") continue;
      if (e.type === "receipt.recorded") {
        cur = { source: e.source ?? "(unknown)", applied: 0, dups: 0 };
        receipts.push(cur);
      } else if (cur && e.type === "event.applied") cur.applied++;
      else if (cur && e.type === "event.duplicate") cur.dups++;
    }
  }
  const row = (label: string, list: readonly { applied: number; dups: number }[]): Cell[] => {
    const applied = list.reduce((s, r) => s + r.applied, 0);
    const dups = list.reduce((s, r) => s + r.dups, 0);
    const redelivered = list.filter((r) => r.applied === 0).length;
    return [label, list.length, applied, dups, rate(dups, applied + dups), redelivered, rate(redelivered, list.length)];
  };
  const rows = [...groupBy(receipts, (r) => r.source)].map(([s, list]) => row(s, list));
  rows.sort((a, b) => Number(b[1]) - Number(a[1]) || cmp(String(a[0]), String(b[0])));
  return [...rows, row("all senders", receipts)];
}

export function breachesByWeek(m: Month): Rows {
  const rows = m.events.filter((e) => e.type === "sla.breached" || e.type === "sla.escalated");
  return [...groupBy(rows, (e) => [weekOf(e.at), e.step, e.owning_party, e.owner].join("\u0000"))]
    .map(([k, list]): Cell[] => [
      ...k.split("\u0000"), list.filter((e) => e.type === "sla.breached").length,
      list.filter((e) => e.type === "sla.escalated" && e.level === 1).length, list.filter((e) => e.type === "sla.escalated" && e.level === 2).length,
    ])
    .sort((a, b) => cmp(String(a[0]), String(b[0])) || Number(b[4]) - Number(a[4]) || cmp(String(a[1]), String(b[1])) || cmp(String(a[2]), String(b[2])) || cmp(String(a[3]), String(b[3])));
}

export function openBreaches(m: Month): Rows {
  const open = spells(m).filter((s) => s.recoveredAt === null);
  return [...groupBy(open, (s) => [s.step, s.party, s.owner].join("\u0000"))]
    .map(([k, list]): Cell[] => [
      ...k.split("\u0000"), list.length, list.filter((s) => s.topLevel === 0).length, list.filter((s) => s.topLevel === 1).length,
      list.filter((s) => s.topLevel === 2).length, Math.max(...list.map((s) => m.asOf - s.at)),
    ])
    .sort((a, b) => Number(b[3]) - Number(a[3]) || cmp(String(a[0]), String(b[0])) || cmp(String(a[1]), String(b[1])) || cmp(String(a[2]), String(b[2])));
}

export function unackedHandoffs(m: Month): Rows {
  const byExport = groupBy(m.events.filter((e) => e.export_id !== null), (e) => e.export_id ?? "");
  const issued = m.events.filter((e) => e.type === "export.issued");
  return [...groupBy(issued, (e) => [e.step, e.owning_party, e.owner].join("\u0000"))]
    .map(([k, list]): Cell[] => {
      const facts = list.map((i) => {
        const related = byExport.get(i.export_id ?? "") ?? [];
        const acks = related.filter((e) => e.type === "export.acked").sort((a, b) => ms(a.at) - ms(b.at));
        const first = acks[0];
        const acked = first ? ms(first.at) : null;
        const withdrawn = related.some((e) => e.type === "export.withdrawn");
        return { issued: ms(i.at), acked, via: first?.ack_via ?? null, unacked: acked === null && !withdrawn, escalated: related.some((e) => e.type === "export.escalated") };
      });
      const ackMs = facts.flatMap((f) => (f.acked === null ? [] : [f.acked - f.issued]));
      const unacked = facts.filter((f) => f.unacked);
      const via = (v: string): number => facts.filter((f) => f.via === v).length;
      return [
        ...k.split("\u0000"), facts.length, ackMs.length, via("ack"), via("event"), via("delivery"), unacked.length, unacked.filter((f) => f.escalated).length,
        quantile(ackMs, 0.5), quantile(ackMs, 0.9), unacked.length ? Math.max(...unacked.map((f) => m.asOf - f.issued)) : null,
      ];
    })
    .sort((a, b) => Number(b[8]) - Number(a[8]) || cmp(String(a[0]), String(b[0])) || cmp(String(a[1]), String(b[1])) || cmp(String(a[2]), String(b[2])));
}
