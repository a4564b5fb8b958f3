import type { EventRow, OrderRow, TaskRow } from "../../worker/analytics-exports/rows";
import { HOUR, MINUTE } from "./random";

/**
 * One order's audit trail, written the way the order object writes it
 * (domain/order/machine.ts, domain/handoff/decide.ts, domain/tasks/decide.ts) and cut at the end
 * of the export window: whatever would happen later is the future and is not
 * in the month. The order and task rows are derived from the kept entries
 * only, so the three files always agree with each other.
 */

export type Step = "payment" | "routing" | "fulfillment" | "shipping" | "customer";

export interface StepRule {
  owning_party: string;
  ladder: readonly [string, string, string];
  sla_ms: number;
}

/** The scenario tenant's ownership rules (domain/ownership/schema.ts). */
export const RULES: Record<Step, StepRule> = {
  payment: { owning_party: "payments", ladder: ["pay-ops", "pay-lead", "finance-oncall"], sla_ms: 2 * HOUR },
  routing: { owning_party: "oms", ladder: ["oms-team", "oms-lead", "platform-oncall"], sla_ms: 15 * MINUTE },
  fulfillment: { owning_party: "warehouse", ladder: ["wms-ops", "wms-lead", "ops-oncall"], sla_ms: 24 * HOUR },
  shipping: { owning_party: "carrier", ladder: ["carrier-desk", "logistics-lead", "ops-oncall"], sla_ms: 48 * HOUR },
  customer: { owning_party: "support", ladder: ["support-team", "support-lead", "cx-oncall"], sla_ms: 4 * HOUR },
};

export type Milestone =
  | "created_at" | "authorized_at" | "captured_at" | "payment_failed_at" | "routed_at" | "accepted_at"
  | "backordered_at" | "rejected_at" | "shipped_at" | "delivered_at" | "cancelled_at" | "refunded_at";

export interface Canonical {
  id: string;
  type: string;
  /** epoch ms the sender says it happened */
  occurred: number;
  milestone?: Milestone;
  /** The hold this fact opens (its kind), as the view derives it. */
  hold?: string;
  /** The id of the fact whose hold this one ends (a clearance, or an acceptance superseding a rejection). */
  releases?: string;
  /** A change to a locked field after capture. */
  conflict?: boolean;
}

export interface OrderAttrs {
  order_id: string;
  value_minor: number;
  currency: string;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  channel: string | null;
}

type Fulfillment = "none" | "accepted" | "backordered" | "rejected";

const iso = (ms: number): string => new Date(ms).toISOString();

const EMPTY: Omit<EventRow, "tenant_id" | "order_id" | "seq" | "at" | "type" | "data"> = {
  event_type: null, event_id: null, source: null, occurred_at: null, state_from: null, state_to: null,
  receipt_id: null, export_id: null, step: null, level: null, contact: null, owner: null, owning_party: null,
  status: null, error_class: null, outcome: null, kind: null, ack_via: null, lag_ms: null,
};

export class OrderBuilder {
  readonly events: EventRow[] = [];
  readonly tasks = new Map<string, TaskRow>();
  /** Set once an entry fell after the window: everything later is dropped too. */
  cut = false;
  private seq = 0;
  private known = new Set<string>();
  private milestones: Partial<Record<Milestone, string>> = {};
  private hasOrder = false;
  private fulfillment: Fulfillment = "none";
  /** fact id → hold kind */
  private holds = new Map<string, string>();
  private openBreaches = new Set<string>();
  private breachCount = 0;
  private conflicts = 0;
  private clock: number | null = null;
  private firstSource: string | null = null;
  private firstAt: number | null = null;
  private receiptN = 0;

  constructor(
    readonly tenant: string,
    readonly attrs: OrderAttrs,
    readonly asOf: number,
  ) {}

  get state(): string {
    const m = this.milestones;
    if (m.refunded_at) return "refunded";
    if (m.cancelled_at) return "cancelled";
    if (m.delivered_at) return "delivered";
    if (this.holds.size > 0) return "on_hold";
    if (m.shipped_at) return "shipped";
    if (this.fulfillment === "accepted") return "accepted";
    if (this.fulfillment === "backordered") return "backordered";
    if (this.fulfillment !== "none" || m.routed_at) return "routed";
    if (m.captured_at) return "paid";
    if (m.authorized_at) return "authorized";
    return this.hasOrder ? "awaiting_payment" : "received";
  }

  private add(at: number, type: string, fields: Partial<EventRow>, data: Record<string, unknown>): boolean {
    if (!this.keep(at)) return false;
    this.firstAt ??= at;
    this.events.push({
      tenant_id: this.tenant, order_id: this.attrs.order_id, seq: ++this.seq, at: iso(at), type,
      ...EMPTY, ...fields, data: JSON.stringify(data),
    });
    return true;
  }

  /** A delivery from a sender: its receipt, then each canonical event applied or recognised as a duplicate. */
  receipt(at: number, source: string, events: readonly Canonical[]): boolean {
    const receipt_id = `rcpt_${this.attrs.order_id}_${++this.receiptN}`;
    const refs = events.map((e) => ({ id: e.id, type: e.type, occurred_at: iso(e.occurred) }));
    if (!this.add(at, "receipt.recorded", { receipt_id, source }, { receipt_id, source, idempotency_key: `${source}-${receipt_id}`, events: refs })) return false;
    this.firstSource ??= source;
    for (const e of events) this.apply(at, source, e);
    return true;
  }

  /** An event Handoff itself contributes (handoff.exception, …): applied without a receipt. */
  applyOwn(at: number, e: Canonical): boolean {
    return this.apply(at, "handoff", e);
  }

  /** Whether an entry at `at` is inside the window; the first one outside cuts the trail for good. */
  private keep(at: number): boolean {
    if (at > this.asOf) this.cut = true;
    return !this.cut;
  }

  /** In machine.ts order: event.applied, then any conflict, hold opened, hold released, all in one commit. */
  private apply(at: number, source: string, e: Canonical): boolean {
    if (!this.keep(at)) return false;
    const ref = { event_type: e.type, event_id: e.id, source, occurred_at: iso(e.occurred) };
    if (this.known.has(e.id)) return this.add(at, "event.duplicate", ref, { ...ref, payload_matches: true });
    this.known.add(e.id);
    const from = this.state;
    if (e.milestone) this.milestones[e.milestone] ??= iso(e.occurred);
    if (e.type === "order.created") this.hasOrder = true;
    if (e.type === "fulfillment.accepted") this.fulfillment = "accepted";
    if (e.type === "fulfillment.rejected") this.fulfillment = e.milestone === "backordered_at" ? "backordered" : "rejected";
    if (e.hold) this.holds.set(e.id, e.hold);
    const released = e.releases === undefined ? undefined : this.holds.get(e.releases);
    if (e.releases !== undefined) this.holds.delete(e.releases);
    const to = this.state;
    const lag_ms = at - e.occurred;
    this.add(at, "event.applied", { ...ref, state_from: from, state_to: to, lag_ms }, { ...ref, state_from: from, state_to: to, lag_ms });
    if (e.conflict) {
      this.conflicts++;
      this.add(at, "field.conflict", {}, { field: "total", event_id: e.id });
    }
    if (e.hold) this.add(at, "hold.opened", { kind: e.hold }, { reason: e.hold, event_id: e.id, detail: e.hold.replace(/_/g, " ") });
    if (e.releases !== undefined && released !== undefined) {
      this.add(at, "hold.released", { kind: released }, { reason: released, event_id: e.releases, by_event_id: e.id });
    }
    return true;
  }

  exportIssued(at: number, step: Step, exportId: string): boolean {
    const r = RULES[step];
    return this.add(at, "export.issued", { export_id: exportId, step, owner: r.ladder[0], owning_party: r.owning_party }, { export_id: exportId, step, owner: r.ladder[0], owning_party: r.owning_party });
  }

  attempt(at: number, exportId: string, step: Step, n: number, status: number | null, outcome: string, errorClass: string | null): boolean {
    return this.add(at, "export.attempt", { export_id: exportId, step, status, outcome, error_class: errorClass }, { export_id: exportId, attempt: n, status, outcome, error_class: errorClass });
  }

  /** `via` as the engine records it (durable-objects/order/exports.ts AckVia): a signed ack, the consumer's event, or a 2xx that owes no ack. */
  acked(at: number, exportId: string, step: Step, via: "ack" | "event" | "delivery", status: "accepted" | "rejected" = "accepted"): boolean {
    return this.add(at, "export.acked", { export_id: exportId, step, ack_via: via }, { export_id: exportId, status, reason: null, via });
  }

  escalated(at: number, exportId: string, step: Step, kind: string): boolean {
    const r = RULES[step];
    return this.add(at, "export.escalated", { export_id: exportId, step, kind, owner: r.ladder[0] }, { export_id: exportId, kind, owner: r.ladder[0], escalate_to: r.ladder[2] });
  }

  /** The breach of `step` at `level` (0 owner → sla.breached; 1 backup, 2 on-call → sla.escalated). */
  breach(at: number, step: Step, level: 0 | 1 | 2): boolean {
    const r = RULES[step];
    const fields = { step, level, contact: r.ladder[level], owner: r.ladder[0], owning_party: r.owning_party };
    if (!this.add(at, level === 0 ? "sla.breached" : "sla.escalated", fields, fields)) return false;
    if (level === 0) {
      this.breachCount++;
      this.openBreaches.add(step);
    }
    // The timer runs on to the next rung, and stops after on-call.
    this.clock = level < 2 ? at + r.sla_ms : null;
    return true;
  }

  recovered(at: number, step: Step): boolean {
    if (!this.add(at, "sla.recovered", { step }, { step })) return false;
    this.openBreaches.delete(step);
    return true;
  }

  changedLate(at: number, eventId: string): boolean {
    return this.add(at, "field.changed_late", { event_id: eventId }, { event_id: eventId, fields: ["shipping_address"], arrived_after_lock: true });
  }

  /** The running SLA deadline as of the last kept entry (`next_due_at`). */
  setClock(due: number | null): void {
    if (!this.cut) this.clock = due;
  }

  /** A task on the order's trail (queue.ts writes task.opened on the order's audit). */
  taskOpened(at: number, type: string, step: Step, onset: number | null = null): string | null {
    const id = `tk_${this.attrs.order_id}_${type}_${this.tasks.size + 1}`;
    const r = RULES[step];
    if (!this.add(at, "task.opened", { kind: type, step, owner: r.ladder[0], owning_party: r.owning_party }, { task_id: id, type, kind: type, step, owner: r.ladder[0], owning_party: r.owning_party })) return null;
    this.tasks.set(id, this.newTask(id, at, type, step, null, onset));
    return id;
  }

  /** A task raised outside the order's trail (a refused delivery: schema_rejection); only tasks.csv shows it. */
  externalTask(at: number, type: string, step: Step, rejectionId: string): string | null {
    if (!this.keep(at)) return null;
    const id = `tk_${rejectionId}`;
    this.tasks.set(id, this.newTask(id, at, type, step, rejectionId));
    return id;
  }

  taskClaimed(at: number, id: string | null, by: string): void {
    const t = id === null ? undefined : this.tasks.get(id);
    if (!t || t.status !== "open" || !this.keep(at)) return;
    if (t.rejection_id === null && !this.add(at, "task.claimed", {}, { task_id: id, type: t.type, by })) return;
    t.status = "claimed";
    t.claimed_at = iso(at);
    t.claimed_by = by;
    t.first_response_ms = at - Date.parse(t.opened_at);
  }

  taskClosed(at: number, id: string | null, how: "resolved" | "cancelled", action: string | null, by: string | null): void {
    const t = id === null ? undefined : this.tasks.get(id);
    if (!t || (t.status !== "open" && t.status !== "claimed") || !this.keep(at)) return;
    if (t.rejection_id === null && !this.add(at, `task.${how}`, {}, { task_id: id, type: t.type, action, by })) return;
    t.status = how;
    if (how === "resolved") {
      t.resolved_at = iso(at);
      t.resolved_by = by;
      t.action = action;
      t.resolve_ms = at - Date.parse(t.opened_at);
    }
  }

  private newTask(id: string, at: number, type: string, step: Step, rejectionId: string | null, onset: number | null = null): TaskRow {
    const r = RULES[step];
    return {
      tenant_id: this.tenant, task_id: id, order_id: this.attrs.order_id, rejection_id: rejectionId, type, status: "open",
      owner: r.ladder[0], owning_party: r.owning_party, level: 0,
      value_minor: this.hasOrder ? this.attrs.value_minor : null, currency: this.hasOrder ? this.attrs.currency : null,
      opened_at: iso(at), sla_due: iso(at + r.sla_ms), claimed_at: null, claimed_by: null, resolved_at: null,
      resolved_by: null, action: null, first_response_ms: null, resolve_ms: null,
      onset_at: onset === null ? null : iso(onset), detect_ms: onset === null ? null : at - onset,
    };
  }

  /** The orders.csv row as of the window's end, or null when nothing of the order happened in it. */
  orderRow(): OrderRow | null {
    const m = this.milestones;
    const created = m.created_at ?? (this.firstAt === null ? null : iso(this.firstAt));
    const last = this.events[this.events.length - 1];
    if (created === null || !last) return null;
    const tasks = [...this.tasks.values()];
    const terminal = m.delivered_at !== undefined || m.cancelled_at !== undefined || m.refunded_at !== undefined;
    const a = this.attrs;
    return {
      tenant_id: this.tenant, order_id: a.order_id, source: this.firstSource, state: this.state,
      value_minor: this.hasOrder ? a.value_minor : null, currency: this.hasOrder ? a.currency : null,
      utm_source: this.hasOrder ? a.utm_source : null, utm_medium: this.hasOrder ? a.utm_medium : null,
      utm_campaign: this.hasOrder ? a.utm_campaign : null, channel: this.hasOrder ? a.channel : null,
      created_at: created,
      authorized_at: m.authorized_at ?? null, captured_at: m.captured_at ?? null, payment_failed_at: m.payment_failed_at ?? null,
      routed_at: m.routed_at ?? null, accepted_at: m.accepted_at ?? null, backordered_at: m.backordered_at ?? null,
      rejected_at: m.rejected_at ?? null, shipped_at: m.shipped_at ?? null, delivered_at: m.delivered_at ?? null,
      cancelled_at: m.cancelled_at ?? null, refunded_at: m.refunded_at ?? null,
      holds: this.holds.size, conflicts: this.conflicts, breaches: this.breachCount, open_breaches: this.openBreaches.size,
      tasks: tasks.length, open_tasks: tasks.filter((t) => t.status === "open" || t.status === "claimed").length,
      next_due_at: terminal || this.clock === null ? null : iso(this.clock),
      updated_at: last.at,
    };
  }
}
