import type { RulesInput } from "../handoff/plan";
import { decisionsOf, type OrderDecisions } from "./decisions";
import { diffOrder, type OrderDiff } from "./diff";
import type { RecordedOrder } from "./recorded";
import { proposedRules, replayOrder, rulesInForce } from "./replay";

/**
 * One order, both ways: the decisions its trail records, and the decisions a
 * replay of its inputs under the proposed rules makes.
 */
export interface OrderWhatIf {
  diff: OrderDiff;
  recorded: OrderDecisions;
  proposed: OrderDecisions;
}

export function whatIfOrder(order: RecordedOrder, proposal: RulesInput, until: number): OrderWhatIf {
  const replay = replayOrder(order, proposedRules(proposal), until);
  const recorded = decisionsOf(order.trail);
  const proposed = decisionsOf(replay.trail);
  return { diff: diffOrder(order.order_id, replay.view.value, recorded, proposed, order.gaps), recorded, proposed };
}

/** The proof that a what-if runs the object's own code: under the rules then in force, a replay decides what the object decided. */
export function replayAsRecorded(order: RecordedOrder, versions: ReadonlyMap<number, RulesInput>, until: number): { recorded: OrderDecisions; replayed: OrderDecisions } {
  const replay = replayOrder(order, rulesInForce(versions), until);
  return { recorded: decisionsOf(order.trail), replayed: decisionsOf(replay.trail) };
}
