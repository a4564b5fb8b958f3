import { decisionsOf, type OrderDecisions } from "./decisions";
import { diffOrder, type OrderDiff } from "./diff";
import type { RecordedOrder } from "./recorded";
import { replayOrder, type RulesFor } from "./replay";

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

export function whatIfOrder(order: RecordedOrder, rulesFor: RulesFor, until: number): OrderWhatIf {
  const replay = replayOrder(order, rulesFor, until);
  const recorded = decisionsOf(order.trail);
  const proposed = decisionsOf(replay.trail);
  return { diff: diffOrder(order.order_id, replay.view.value, recorded, proposed, order.gaps), recorded, proposed };
}
