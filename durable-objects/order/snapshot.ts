import { existingExports, slaDeadlines, type RulesInput } from "../../domain/handoff/plan";
import { cancellationState } from "../../domain/handoff/cancel";
import type { ExportWithCancellation } from "../../domain/handoff/cancellation";
import { HandoffExport, type ExportState, type ExportStatus } from "../../domain/handoff/document";
import type { OrderSnapshot } from "../../domain/order/object";
import type { OrderView } from "../../domain/order/view";
import { iso, type OrderStore } from "./store";

/** `GET …/orders/:id`: the derived view plus everything the object holds about the order's handoffs, clocks and outbox. */
export function orderSnapshot(store: OrderStore, tenant: string, view: OrderView, rules: RulesInput | null): OrderSnapshot {
  const drain = store.timer("drain", "outbox");
  const attempts = store.attempts();
  const rows = store.exports();
  const cancellations = store.cancellations();
  const exports: ExportWithCancellation[] = rows.map((r) => ({
    export: HandoffExport.parse(JSON.parse(r.body)),
    status: r.status as ExportStatus,
    consumer_url: r.consumer_url,
    requires_ack: r.requires_ack === 1,
    delivered_at: r.delivered_at === null ? null : iso(r.delivered_at),
    acked_at: r.acked_at === null ? null : iso(r.acked_at),
    ack: r.ack === null ? null : (JSON.parse(r.ack) as ExportState["ack"]),
    next_attempt_at: ((t) => (t ? iso(t.due_at) : null))(store.timer("deliver", r.export_id)),
    attempts: attempts
      .filter((a) => a.export_id === r.export_id)
      .map((a) => ({ n: a.n, at: iso(a.at), status: a.status, latency_ms: a.latency_ms, error_class: a.error_class, outcome: a.outcome, next_attempt_at: a.next_attempt_at === null ? null : iso(a.next_attempt_at) })),
    cancellation: cancellationState(cancellations.find((x) => x.export_id === r.export_id), attempts),
  }));
  return {
    ...view,
    tenant,
    rules_version: rules?.version ?? null,
    receipts: store.receipts(),
    exports,
    sla: rules ? slaDeadlines(view, rules, existingExports(rows), store.allocation()).map((d) => ({ step: d.step, since: d.since, since_at: d.since_at, due_at: iso(d.due_at), owner: d.ladder[0], owning_party: d.owning_party })) : [],
    breaches: store.breaches().map((b) => ({
      ...b,
      since_at: b.since_at === null ? null : iso(b.since_at),
      due_at: iso(b.due_at),
      breached_at: iso(b.breached_at),
      resolved_at: b.resolved_at === null ? null : iso(b.resolved_at),
    })),
    audit_head: store.auditHead(),
    outbox: {
      pending: store.outboxSize(),
      attempts: Number(store.getMeta("drain_attempts") ?? 0),
      last_error: store.getMeta("drain_error"),
      next_attempt_at: drain ? iso(drain.due_at) : null,
    },
  };
}
