import type { RulesInput } from "../../domain/handoff/plan";
import type { OrderStore } from "./store";

/** What every commit step sees: the store inside the open transaction, who the order is, the clock and the rules. */
export interface CommitContext {
  store: OrderStore;
  tenant: string;
  orderId: string;
  now: number;
  rules: RulesInput | null;
}
