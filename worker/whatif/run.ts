import type { OwnershipRules } from "../../domain/ownership/schema";
import { isChanged, Totals, type OrderDiff } from "../../domain/whatif/diff";
import type { WhatIfRun } from "../../domain/whatif/report";
import { proposedRules, rulesInForce } from "../../domain/whatif/replay";
import { whatIfOrder } from "../../domain/whatif/run";
import { iso } from "../../domain/time";
import { readPage, rulesVersions } from "./source";

/** Beyond this many orders a window is not answered inline (one request's CPU budget). */
export const WHATIF_INLINE_MAX = 500;

export type WindowResult = { ok: true; result: WhatIfRun } | { ok: false; orders: number; message: string };

/** Reads the window page by page and replays each order; `until` is the read time, the horizon timers are played to. */
export async function runWindow(
  db: D1Database,
  tenant: string,
  req: { rules: OwnershipRules | null; from: string; to: string },
  until: number,
): Promise<WindowResult> {
  const { versions, latest } = await rulesVersions(db, tenant);
  const proposal = req.rules ? { version: latest + 1, rules: req.rules } : null;
  const rulesFor = proposal ? proposedRules(proposal) : rulesInForce(versions);
  const totals = new Totals();
  const changed: OrderDiff[] = [];
  let rowsRead = 0;
  let seen = 0;
  let after: string | null = null;
  do {
    const page = await readPage(db, tenant, req.from, req.to, after);
    rowsRead += page.rows_read;
    seen += page.orders.length;
    if (seen > WHATIF_INLINE_MAX) {
      return { ok: false, orders: seen, message: `The window holds more than ${WHATIF_INLINE_MAX} orders; narrow it (jobs for larger windows are not available yet)` };
    }
    for (const order of page.orders) {
      const w = whatIfOrder(order, rulesFor, until);
      totals.add(w.diff, w.recorded, w.proposed);
      if (isChanged(w.diff)) changed.push(w.diff);
    }
    after = page.next;
  } while (after !== null);
  return {
    ok: true,
    result: {
      tenant,
      from: req.from,
      to: req.to,
      until: iso(until),
      mode: proposal ? "proposed" : "in_force",
      proposal_version: proposal?.version ?? null,
      rows_read: rowsRead,
      summary: totals.result(),
      orders: changed,
    },
  };
}
