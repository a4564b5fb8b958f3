import { extendChain, type ChainLink } from "../audit-chain";

/**
 * Every watcher decision — a task opened, a task closed because its condition
 * ended, a campaign signed off or cancelled — goes on the tenant's own hash
 * chain in the audit trail, under an id no order can have (the retention
 * job's checkpoints do the same under `~retention`). The events export
 * carries these rows like any order's, so analytics sees what the watchers
 * decided and when, and anyone holding them can recompute the chain.
 */
export const WATCHER_CHAIN = "~watchers";

export type WatcherDecisionType = "watcher.task_opened" | "watcher.task_closed" | "campaign.created" | "campaign.cancelled";

export interface WatcherDecision {
  type: WatcherDecisionType;
  at: string;
  /** Flat keys the events export lifts into columns: `kind` (task type), `owner`, `source`, `step`, `status`. */
  data: Record<string, unknown>;
}

/** The links that append `decisions`, in order, after the chain's current head (null: an empty chain). */
export function linksAfter(tenant: string, head: { seq: number; hash: string } | null, decisions: readonly WatcherDecision[]): (ChainLink & { hash: string })[] {
  return extendChain(
    tenant,
    WATCHER_CHAIN,
    head,
    decisions.map((d) => ({ at: d.at, type: d.type, data: JSON.stringify(d.data) })),
  );
}
