import { OrderStateName } from "../order/view";
import type { OwnershipRules, Step } from "../ownership/schema";
import { stepSla, waitingOn } from "./defaults";

/** What the order index says about one order (worker/db/schema.ts `orders`). */
export interface IndexedOrder {
  orderId: string;
  state: string;
  milestones: Record<string, string>;
  createdAt: string;
}

export interface StuckVerdict {
  step: Step;
  /** When the order started waiting on this step. */
  since: string;
  /** since + the step's SLA. */
  due: string;
  sla_ms: number;
}

/**
 * An order the index shows as non-terminal, with no open task, hold or
 * running clock (the caller's query), is stuck once it has waited on its
 * current step longer than that step's SLA. Pure: the same row and clock give
 * the same verdict, so a watcher run that repeats decides nothing new.
 */
export function judgeStuck(o: IndexedOrder, rules: OwnershipRules | null, now: number): StuckVerdict | null {
  const state = OrderStateName.safeParse(o.state);
  if (!state.success) return null;
  const waiting = waitingOn(state.data);
  if (!waiting) return null;
  const since = o.milestones[waiting.since] ?? o.createdAt;
  const start = Date.parse(since);
  if (!Number.isFinite(start)) return null;
  const sla = stepSla(rules, waiting.step);
  if (now < start + sla) return null;
  return { step: waiting.step, since, due: new Date(start + sla).toISOString(), sla_ms: sla };
}

/** One task per stuck episode: the same order stuck again in another state (or after moving on) is a new episode. */
export function stuckRef(state: string, since: string): string {
  return `stuck:${state}:${since}`;
}
