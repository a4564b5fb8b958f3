import { OwnershipRules } from "../../../domain/ownership/schema";
import { Totals } from "../../../domain/whatif/diff";
import { recordedOrder, StoredAuditLine, type AuditLine } from "../../../domain/whatif/recorded";
import { proposedRules, type RulesFor } from "../../../domain/whatif/replay";
import { whatIfOrder } from "../../../domain/whatif/run";

/**
 * The what-if replay inside workerd, the runtime a WhatIfJob runs in (its V8,
 * no code generation from strings, its node:crypto): `bench:what-if --workerd`
 * posts a month page by page, as D1 would hand a job its pages, and reads the
 * workerd process's CPU time around them (workerd's clocks do not advance
 * during CPU work, so nothing is timed in here). Per page, what the job does with
 * the rows: each row kept as the job keeps it (worker/whatif/source.ts readPage: its JSON parsed
 * when first read), its
 * inputs read, the order replayed under the proposal and compared, totals folded.
 * A benchmark's worker, never deployed.
 */

interface Page {
  tenant: string;
  until: number;
  orders: { order_id: string; rows: { seq: number; at: string; type: string; data: string }[] }[];
}

let totals = new Totals();
let rulesFor: RulesFor | null = null;

export default {
  async fetch(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (path === "/proposal") {
      const p = (await req.json()) as { version: number; rules: unknown };
      rulesFor = proposedRules({ version: p.version, rules: OwnershipRules.parse(p.rules) });
      totals = new Totals();
      return new Response("ok");
    }
    if (path === "/page" && rulesFor) {
      const page = (await req.json()) as Page;
      for (const o of page.orders) {
        const trail: AuditLine[] = o.rows.map((r) => new StoredAuditLine(r.seq, r.at, r.type, r.data));
        const w = whatIfOrder(recordedOrder(page.tenant, o.order_id, trail), rulesFor, page.until, "proposed");
        totals.add(w.diff, w.recorded, w.proposed);
      }
      return new Response("ok");
    }
    if (path === "/summary") {
      const s = totals.result();
      return Response.json({ orders_changed: s.orders_changed, breaches: s.breaches, exports: s.exports, revenue_at_risk: s.revenue_at_risk });
    }
    return new Response("not found", { status: 404 });
  },
};
