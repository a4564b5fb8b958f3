import type { OwnershipRules } from "../../domain/ownership/schema";
import { isChanged, Totals, type OrderDiff } from "../../domain/whatif/diff";
import type { WhatIfRun } from "../../domain/whatif/report";
import { proposedRules, rulesInForce, type RulesFor } from "../../domain/whatif/replay";
import { whatIfOrder, type WhatIfMode } from "../../domain/whatif/run";
import { iso } from "../../domain/time";
import { countWindow, readPage, rulesVersions, type Page } from "./source";

/** Beyond this many orders a window is not answered inline (one request's CPU budget) but runs as a job. */
export const WHATIF_INLINE_MAX = 500;

/** The inline bound, lowered by WHATIF_INLINE_MAX in the environment (tests run jobs over a few orders). */
export function inlineMax(env: { WHATIF_INLINE_MAX?: string }): number {
  const n = Number(env.WHATIF_INLINE_MAX);
  return Number.isInteger(n) && n > 0 ? Math.min(n, WHATIF_INLINE_MAX) : WHATIF_INLINE_MAX;
}

export interface WindowRequest {
  rules: OwnershipRules | null;
  from: string;
  to: string;
}

export type WindowResult = { ok: true; result: WhatIfRun } | { ok: false; orders: number; max: number };

export interface WindowRules {
  rulesFor: RulesFor;
  mode: WhatIfMode;
  proposal_version: number | null;
}

/** Whom each receipt is judged under: the proposal (as the tenant's next version), or the versions then in force. */
export async function windowRules(db: D1Database, tenant: string, rules: OwnershipRules | null): Promise<WindowRules> {
  const { versions, latest } = await rulesVersions(db, tenant);
  if (!rules) return { rulesFor: rulesInForce(versions), mode: "in_force", proposal_version: null };
  return { rulesFor: proposedRules({ version: latest + 1, rules }), mode: "proposed", proposal_version: latest + 1 };
}

/** One page of orders, both ways, folded into `totals`; the orders whose decisions would change. */
export function replayPage(page: Page, rules: Pick<WindowRules, "rulesFor" | "mode">, until: number, totals: Totals): OrderDiff[] {
  const changed: OrderDiff[] = [];
  for (const order of page.orders) {
    const w = whatIfOrder(order, rules.rulesFor, until, rules.mode);
    totals.add(w.diff, w.recorded, w.proposed);
    if (isChanged(w.diff)) changed.push(w.diff);
  }
  return changed;
}

/**
 * Counts the window first (no further than the bound), then reads it page by
 * page and replays each order; `until` is the horizon timers are played to.
 * Over the bound nothing is replayed: the caller starts a job.
 */
export async function runWindow(db: D1Database, tenant: string, req: WindowRequest, until: number, max: number): Promise<WindowResult> {
  const counted = await countWindow(db, tenant, req.from, req.to, max);
  if (counted.orders > max) return { ok: false, orders: counted.orders, max };
  const rules = await windowRules(db, tenant, req.rules);
  const totals = new Totals();
  const changed: OrderDiff[] = [];
  let rowsRead = counted.rows_read;
  let after: Page["next"] = null;
  do {
    const page = await readPage(db, tenant, req.from, req.to, after);
    rowsRead += page.rows_read;
    changed.push(...replayPage(page, rules, until, totals));
    after = page.next;
  } while (after !== null);
  return {
    ok: true,
    result: {
      tenant,
      from: req.from,
      to: req.to,
      until: iso(until),
      mode: rules.mode,
      proposal_version: rules.proposal_version,
      rows_read: rowsRead,
      summary: totals.result(),
      orders: changed,
    },
  };
}
