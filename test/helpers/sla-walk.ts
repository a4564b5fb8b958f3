import { slaTimers } from "../../domain/handoff/sla";
import type { RulesInput } from "../../domain/handoff/plan";
import type { Allocation } from "../../domain/inventory/allocate";
import { OrderCommit, type OrderReader } from "../../domain/order/commit";
import type { BreachRecord, CancellationRecord, ExportRecord, TimerRecord } from "../../domain/order/effects";
import type { MachineState } from "../../domain/order/machine";
import type { Task } from "../../domain/tasks/task";

/**
 * An order walked through its decisions without the object: every table a
 * commit reads is carried to the next commit as the object would hold it, and
 * the audit entries each commit wrote are kept, so a test can follow the SLA
 * clocks the decisions keep against the ones the object derives.
 */
export interface Tables {
  exports: readonly ExportRecord[];
  cancellations: readonly CancellationRecord[];
  timers: readonly TimerRecord[];
  breaches: readonly BreachRecord[];
  tasks: readonly Task[];
  allocation: Allocation | null;
  audit: readonly { type: string; data: Record<string, unknown> }[];
}

export const noTables: Tables = { exports: [], cancellations: [], timers: [], breaches: [], tasks: [], allocation: null, audit: [] };

function reader(t: Tables): OrderReader {
  return {
    exports: () => t.exports,
    attempts: () => [],
    cancellations: () => t.cancellations,
    timers: () => t.timers,
    breaches: () => t.breaches,
    tasks: () => t.tasks,
    receipts: () => [],
    recentAudit: () => [],
    allocation: () => t.allocation,
  };
}

/** One decision over the tables; returns the tables as the object would hold them after it. */
export function decideOver(t: Tables, orderId: string, rules: RulesInput, now: number, decide: (c: OrderCommit) => void): Tables {
  const c = new OrderCommit(reader(t), "acme", orderId, now, rules);
  decide(c);
  const audit = c.effects.flatMap((e) => (e.type === "audit" ? [e.entry] : []));
  return { exports: c.exports(), cancellations: c.cancellations(), timers: c.timers(), breaches: c.breaches(), tasks: c.tasks(), allocation: c.allocation(), audit: [...t.audit, ...audit] };
}

const sorted = (ts: readonly TimerRecord[]) => ts.map((x) => [x.key, x.due_at] as const).sort((a, b) => a[0].localeCompare(b[0]));

/** The `sla` timers the decisions keep. */
export const keptSla = (t: Tables) => sorted(t.timers.filter((x) => x.kind === "sla"));

/** The `sla` clocks the object derives from the same tables. */
export const derivedSla = (state: MachineState, rules: RulesInput | null, t: Tables) => sorted(slaTimers(state.view, rules, t.exports, t.allocation, t.breaches));
