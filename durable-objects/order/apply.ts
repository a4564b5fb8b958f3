import type { OrderCommit } from "../../domain/order/commit";
import { nextAlarm } from "../../domain/order/alarm";
import { watcherEffects } from "../../domain/notify/watchers";
import { METRICS, type Span, type Telemetry } from "../../worker/telemetry/tracer";
import { DERIVED_KIND, type Clocks } from "./clocks";
import { EXPORT_TIMER_COLUMNS, isExportTimer, type ExportTimes } from "./export-rows";
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
  // Each export the commit touched is written once, after the loop: its row and its timers in one statement.
  const exports = new Set<string>();
  const exportTimer = (kind: string, key: string): boolean => {
    if (!isExportTimer(kind) || !c.exportById(key)) return false;
    exports.add(key);
    store.dropTimerRow(kind, key);
    return true;
  };
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
        exports.add(e.row.export_id);
        const traceparent = obs.span?.traceparent();
        if (traceparent) store.setMeta(`trace:${e.row.export_id}`, traceparent);
        break;
      }
      case "update_export":
        exports.add(e.export_id);
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
        // An SLA clock's time is derived from the order (clocks.ts): scheduling it only clears a row of its step.
        if (e.kind === DERIVED_KIND) store.cancel(e.kind, e.key);
        else if (!exportTimer(e.kind, e.key)) store.schedule(e.kind, e.key, e.due_at, e.replace);
        break;
      case "cancel_timer":
        if (!exportTimer(e.kind, e.key)) store.cancel(e.kind, e.key);
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
  for (const id of exports) {
    const row = c.exportById(id);
    if (row) store.writeExport(row, exportTimes(c, id));
  }
  // The commit's audit entries, written as one row after its other effects (the transaction makes the order moot).
  store.commitAudit();
}

/** An export's timers as the commit left them (its working copy has every effect applied). */
function exportTimes(c: OrderCommit, exportId: string): ExportTimes {
  const due = (kind: keyof typeof EXPORT_TIMER_COLUMNS) => c.timers(kind).find((t) => t.key === exportId)?.due_at ?? null;
  return { deliver_at: due("deliver"), ack_due_at: due("ack"), ttl_at: due("ttl") };
}

/**
 * Moves the object's one alarm where `nextAlarm` (domain/order/alarm.ts) says: the earliest
 * due timer (`clocks`: the timers table, the export rows' timer columns and the derived SLA
 * clocks, clocks.ts), or sooner as the backstop of the request's own drain, or to read clocks
 * that could not be derived again. The alarm's own write leaves the derived clocks standing.
 */
export async function rearmAlarm(store: OrderStore, clocks: Clocks, storage: DurableObjectStorage, now: number, repairOnly = false): Promise<void> {
  // Nothing is ever due in an object that holds nothing; even deleteAlarm would touch its storage.
  if (!store.hasSchema()) return;
  const current = await storage.getAlarm();
  // A restarted object that has not yet asked D1 about its newest blocks (watermark.ts): it arms what
  // it knows is due, and never removes or postpones an alarm, which may be the backstop of a cut drain.
  const drainPending = repairOnly ? store.drainPendingBesidesUnverified() : store.drainPending();
  const action = nextAlarm({ now, nextTimer: clocks.next(), drainPending, clocksUnknown: clocks.failure() !== null, current });
  if (repairOnly && (action.type === "delete" || (action.type === "set" && current !== null && current < action.at))) return;
  if (action.type === "delete") await clocks.untouchedBy(() => storage.deleteAlarm());
  else if (action.type === "set") await clocks.untouchedBy(() => storage.setAlarm(action.at));
}
