import { ackMissing, applyEvents, decisionExpired } from "../../domain/handoff/decide";
import { checkCancelAck } from "../../domain/handoff/cancel";
import { checkSla } from "../../domain/handoff/sla";
import type { OrderCommit } from "../../domain/order/commit";
import type { MachineState } from "../../domain/order/machine";
import { escalateTask } from "../../domain/tasks/decide";

/** A timer whose whole work is one decision over the commit and the order's current state. */
export type TimerDecision = (c: OrderCommit, state: MachineState) => MachineState | null;

/**
 * The decision each such timer kind makes, or null for the kinds that do I/O
 * (drain, deliver, cancel, stock) and so stay in the object.
 */
export function timerDecision(kind: string, key: string): TimerDecision | null {
  switch (kind) {
    case "ack":
      // No ack within the step's SLA: redeliver once, then escalate.
      return (c, state) => {
        c.cancel("ack", key);
        const row = c.exportById(key);
        if (!row || row.status !== "delivered") return null;
        return ackMissing(c, state, row);
      };
    case "cancel_ack":
      return (c, state) => applyEvents(c, state, checkCancelAck(c, key));
    case "ttl":
      return (c, state) => decisionExpired(c, state, key);
    case "task":
      return (c) => {
        escalateTask(c, key);
        c.refreshIndex();
        return null;
      };
    case "sla":
      return (c, state) => {
        checkSla(c, state.view, key);
        return null;
      };
    default:
      return null;
  }
}
