import type { OrderCommit } from "../../domain/order/commit";
import { nextAlarm } from "../../domain/order/alarm";
import { watcherEffects } from "../../domain/notify/watchers";
import { METRICS, type Span, type Telemetry } from "../../worker/telemetry/tracer";
import type { OrderStore } from "./store";

export interface Observed {
  telemetry: Telemetry;
  /** The span the decision runs in: exports it issues remember it as their deliveries' parent. */
  span: Span | null;
}

/**
 * The one place a decision's effects reach storage. Runs inside the object's
 * `transactionSync`, so a decision lands whole or not at all; the order of the
 * list is the order of the writes (audit entries chain in emission order).
 */
export function applyEffects(store: OrderStore, c: OrderCommit, obs: Observed): void {
  // Watchers hear what this commit did to its exports: decided from its effects (pure), queued with them.
  for (const e of watcherEffects(c)) c.emit(e);
  for (const e of c.effects) {
    switch (e.type) {
      case "audit":
        store.appendAudit(c.tenant, c.orderId, e.entry.type, e.entry.data, c.now);
        break;
      case "add_fact":
        store.addFact(e.event);
        break;
      case "record_receipt":
        store.recordReceipt(e.receipt);
        break;
      case "issue_export": {
        store.insertExport(e.row);
        const traceparent = obs.span?.traceparent();
        if (traceparent) store.setMeta(`trace:${e.row.export_id}`, traceparent);
        break;
      }
      case "update_export":
        store.updateExport(e.export_id, e.patch);
        break;
      case "record_attempt":
        store.insertAttempt(e.attempt);
        break;
      case "put_cancellation":
        store.putCancellation(e.row);
        break;
      case "update_cancellation":
        store.updateCancellation(e.export_id, e.patch);
        break;
      case "schedule_timer":
        store.schedule(e.kind, e.key, e.due_at, e.replace);
        break;
      case "cancel_timer":
        store.cancel(e.kind, e.key);
        break;
      case "open_task":
      case "update_task":
        store.putTask(e.task);
        break;
      case "insert_breach":
        store.insertBreach(e.breach);
        obs.telemetry.count(METRICS.breaches, { tenant: c.tenant, step: e.breach.step, level: e.breach.level });
        break;
      case "resolve_breaches":
        store.resolveBreaches(e.step, c.now);
        break;
      case "enqueue_index":
        store.markIndexPending();
        break;
      case "record_allocation":
        store.setMeta("allocation", JSON.stringify(e.allocation));
        break;
      case "notify_watchers":
        store.queueNotices(e.notices);
        break;
    }
  }
  // The commit's audit entries, written as one row after its other effects (the transaction makes the order moot).
  store.commitAudit();
}

/** Moves the object's one alarm where `nextAlarm` (domain/order/alarm.ts) says. */
export async function rearmAlarm(store: OrderStore, storage: DurableObjectStorage, now: number): Promise<void> {
  // Nothing is ever due in an object that holds nothing; even deleteAlarm would touch its storage.
  if (!store.hasSchema()) return;
  const action = nextAlarm({ now, nextTimer: store.nextDue(), drainPending: store.drainPending(), current: await storage.getAlarm() });
  if (action.type === "delete") await storage.deleteAlarm();
  else if (action.type === "set") await storage.setAlarm(action.at);
}
