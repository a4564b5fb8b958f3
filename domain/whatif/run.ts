import { decisionsOf, type OrderDecisions } from "./decisions";
import { diffOrder, type OrderDiff } from "./diff";
import type { RecordedOrder } from "./recorded";
import { replayOrder, type RulesFor } from "./replay";
import type { WhatIfRun } from "./report";

/**
 * One order, both ways: the decisions its trail records, and the decisions a
 * replay of its inputs makes under `rulesFor` (a proposal, or the rules then
 * in force: the self-check that must change nothing).
 */
export interface OrderWhatIf {
  diff: OrderDiff;
  recorded: OrderDecisions;
  proposed: OrderDecisions;
}

export type WhatIfMode = WhatIfRun["mode"];

/**
 * How far an order's clocks are played. Under the rules in force, no further
 * than the last instant its trail records: past it, a timer the replay would
 * fire may be one the live object's alarm has not run (or drained) yet, and
 * the self-check would report a difference that is only a race. A proposal
 * plays to `until`: after the order's last entry it had no more inputs, so
 * what its clocks would have done by then is exactly the question asked.
 */
export function clockHorizon(order: RecordedOrder, until: number, mode: WhatIfMode): number {
  // +1: timers fire strictly before the horizon, and a breach recorded at its due instant must fire.
  return mode === "in_force" ? Math.min(until, order.last_at + 1) : until;
}

export function whatIfOrder(order: RecordedOrder, rulesFor: RulesFor, until: number, mode: WhatIfMode): OrderWhatIf {
  const replay = replayOrder(order, rulesFor, clockHorizon(order, until, mode));
  const recorded = decisionsOf(order.trail);
  const proposed = decisionsOf(replay.trail);
  return { diff: diffOrder(order.order_id, replay.view.value, recorded, proposed, order.gaps), recorded, proposed };
}
