import { epochMs } from "../order/facts";
import type { AuditLine } from "./recorded";

/**
 * The decisions an order's trail records, in a shape two trails can be
 * compared by: the one that happened and a replay's. Read from audit entries
 * only, so both sides go through this same function.
 */

export interface ExportDecision {
  export_id: string;
  action: string;
  version: number;
  step: string;
  owner: string;
  owning_party: string;
  decision_version: number;
  issued_at: string;
  due_at: string | null;
}

export interface BreachDecision {
  step: string;
  level: number;
  /** Who was (would be) paged at this level. */
  contact: string;
  owning_party: string;
  due_at: string;
  /** When the alarm recorded it: a live alarm can run late, a replay fires on time. */
  breached_at: string;
}

export interface TaskDecision {
  task_id: string;
  type: string;
  step: string;
  owner: string;
  opened_at: string;
}

export interface OrderDecisions {
  exports: ExportDecision[];
  breaches: BreachDecision[];
  tasks: TaskDecision[];
  /** Exports a consumer refused or that could not be delivered: `kind` per export id. */
  escalations: { export_id: string; kind: string }[];
  /** The state after the last applied event. */
  state: string | null;
}

type Data = Record<string, unknown>;
const s = (d: Data, k: string): string => (typeof d[k] === "string" ? d[k] : "");
const n = (d: Data, k: string): number => (typeof d[k] === "number" ? d[k] : 0);
const dataOf = (e: AuditLine): Data => (typeof e.data === "object" && e.data !== null ? (e.data as Data) : {});

export function decisionsOf(trail: readonly AuditLine[]): OrderDecisions {
  const out: OrderDecisions = { exports: [], breaches: [], tasks: [], escalations: [], state: null };
  // Only the last event.applied says the state: the others' data is never read (a trail from D1 parses it on first read).
  let lastApplied: AuditLine | null = null;
  for (const e of trail) {
    switch (e.type) {
      case "export.issued": {
        const d = dataOf(e);
        const sla = typeof d.sla === "object" && d.sla !== null ? (d.sla as Data) : {};
        out.exports.push({
          export_id: s(d, "export_id"),
          action: s(d, "intended_action"),
          version: n(d, "version"),
          step: s(d, "step"),
          owner: s(d, "owner"),
          owning_party: s(d, "owning_party"),
          decision_version: n(d, "decision_version"),
          issued_at: e.at,
          due_at: typeof sla.due_at === "string" ? sla.due_at : null,
        });
        break;
      }
      case "sla.breached":
      case "sla.escalated": {
        const d = dataOf(e);
        out.breaches.push({ step: s(d, "step"), level: n(d, "level"), contact: s(d, "contact"), owning_party: s(d, "owning_party"), due_at: s(d, "due_at"), breached_at: e.at });
        break;
      }
      case "task.opened": {
        const d = dataOf(e);
        out.tasks.push({ task_id: s(d, "task_id"), type: s(d, "type"), step: s(d, "step"), owner: s(d, "owner"), opened_at: e.at });
        break;
      }
      case "export.escalated": {
        const d = dataOf(e);
        out.escalations.push({ export_id: s(d, "export_id"), kind: s(d, "kind") });
        break;
      }
      case "event.applied":
        lastApplied = e;
        break;
    }
  }
  if (lastApplied) out.state = s(dataOf(lastApplied), "state_to");
  return out;
}

/** A breach as the decision it is: which step, which level, whose pager, due when (not when an alarm got round to it). */
export function breachKey(b: BreachDecision): string {
  return `${b.step}\u0000${b.level}\u0000${b.contact}\u0000${b.owning_party}\u0000${b.due_at}`;
}

/** Epoch ms of a breach's due time, for windows and sorting. */
export function breachDue(b: BreachDecision): number {
  return epochMs(b.due_at);
}
