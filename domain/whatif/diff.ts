import { z } from "zod";
import { Money } from "../events/canonical";
import { breachKey, type BreachDecision, type ExportDecision, type OrderDecisions } from "./decisions";

/**
 * Side by side: what happened to one order (the recorded trail) and what would
 * have happened under the proposed rules (a replay), and the totals over many.
 * The zod schemas are the API's and the job result's shapes.
 */

const Breach = z.object({ step: z.string(), level: z.number().int(), contact: z.string(), owning_party: z.string(), due_at: z.string(), breached_at: z.string() });
const Export = z.object({
  export_id: z.string(),
  action: z.string(),
  version: z.number().int(),
  step: z.string(),
  owner: z.string(),
  owning_party: z.string(),
  decision_version: z.number().int(),
  issued_at: z.string(),
  due_at: z.string().nullable(),
});

export const OrderDiff = z
  .object({
    order_id: z.string(),
    value: Money.nullable(),
    state: z.object({ recorded: z.string().nullable(), proposed: z.string().nullable() }),
    breaches_added: z.array(Breach).describe("Would breach under the proposal and did not: when, and whose pager at each level"),
    breaches_removed: z.array(Breach).describe("Did breach and would not"),
    exports_added: z.array(Export).describe("Would be issued and were not (routing earlier, a new consumer …)"),
    exports_removed: z.array(Export).describe("Were issued and would not be"),
    exports_changed: z.array(z.object({ export_id: z.string(), field: z.string(), recorded: z.string().nullable(), proposed: z.string().nullable() })),
    /** Trail entries the replay could not use: the comparison for this order is approximate. */
    gaps: z.array(z.string()),
  })
  .meta({ id: "WhatIfOrderDiff" });
export type OrderDiff = z.infer<typeof OrderDiff>;

export const TotalRow = z.object({
  dimension: z.enum(["step", "contact", "owning_party", "export_owner"]),
  key: z.string(),
  recorded: z.number().int(),
  proposed: z.number().int(),
});
export type TotalRow = z.infer<typeof TotalRow>;

const RevenueRow = z.object({ currency: z.string(), recorded_minor: z.number().int(), proposed_minor: z.number().int(), orders_recorded: z.number().int(), orders_proposed: z.number().int() });

export const WhatIfSummary = z
  .object({
    orders: z.number().int(),
    orders_changed: z.number().int(),
    orders_approximate: z.number().int().describe("Orders whose trail had entries the replay could not use"),
    breaches: z.object({ recorded: z.number().int(), proposed: z.number().int() }),
    exports: z.object({ recorded: z.number().int(), proposed: z.number().int() }),
    totals: z.array(TotalRow).describe("Breach counts per step, per paged contact and per owning party; exports per owner"),
    revenue_at_risk: z.array(RevenueRow).describe("Value of the orders with at least one breach, per currency"),
  })
  .meta({ id: "WhatIfSummary" });
export type WhatIfSummary = z.infer<typeof WhatIfSummary>;

function byKey<T>(list: readonly T[], key: (t: T) => string): Map<string, T> {
  return new Map(list.map((t) => [key(t), t]));
}

const exportKey = (e: ExportDecision): string => e.export_id;
const EXPORT_FIELDS = ["step", "owner", "owning_party", "issued_at", "due_at"] as const;

export function diffOrder(
  orderId: string,
  value: z.infer<typeof Money> | null,
  recorded: OrderDecisions,
  proposed: OrderDecisions,
  gaps: readonly string[],
): OrderDiff {
  // Each breach's key built once: the keys of one side, looked up from the other's.
  const rbKeys = recorded.breaches.map(breachKey);
  const pbKeys = proposed.breaches.map(breachKey);
  const rb = new Set(rbKeys);
  const pb = new Set(pbKeys);
  const re = byKey(recorded.exports, exportKey);
  const pe = byKey(proposed.exports, exportKey);
  const changed: OrderDiff["exports_changed"] = [];
  for (const [id, r] of re) {
    const p = pe.get(id);
    if (!p) continue;
    for (const f of EXPORT_FIELDS) if (r[f] !== p[f]) changed.push({ export_id: id, field: f, recorded: r[f], proposed: p[f] });
  }
  return {
    order_id: orderId,
    value,
    state: { recorded: recorded.state, proposed: proposed.state },
    breaches_added: proposed.breaches.filter((_, i) => !rb.has(pbKeys[i] ?? "")),
    breaches_removed: recorded.breaches.filter((_, i) => !pb.has(rbKeys[i] ?? "")),
    exports_added: proposed.exports.filter((e) => !re.has(exportKey(e))),
    exports_removed: recorded.exports.filter((e) => !pe.has(exportKey(e))),
    exports_changed: changed,
    gaps: [...gaps],
  };
}

export function isChanged(d: OrderDiff): boolean {
  return (
    d.state.recorded !== d.state.proposed ||
    d.breaches_added.length + d.breaches_removed.length + d.exports_added.length + d.exports_removed.length + d.exports_changed.length > 0
  );
}

/** Folds orders one at a time, so a job can total a window page by page and resume from its state. */
export class Totals {
  private summary: WhatIfSummary = { orders: 0, orders_changed: 0, orders_approximate: 0, breaches: { recorded: 0, proposed: 0 }, exports: { recorded: 0, proposed: 0 }, totals: [], revenue_at_risk: [] };

  constructor(from?: WhatIfSummary) {
    if (from) this.summary = structuredClone(from);
  }

  /** Another window's totals (a CLI run split into windows): counts add up, rows merge by key. */
  merge(o: WhatIfSummary): void {
    const s = this.summary;
    s.orders += o.orders;
    s.orders_changed += o.orders_changed;
    s.orders_approximate += o.orders_approximate;
    s.breaches.recorded += o.breaches.recorded;
    s.breaches.proposed += o.breaches.proposed;
    s.exports.recorded += o.exports.recorded;
    s.exports.proposed += o.exports.proposed;
    for (const t of o.totals) {
      this.bump(t.dimension, t.key, "recorded", t.recorded);
      this.bump(t.dimension, t.key, "proposed", t.proposed);
    }
    for (const r of o.revenue_at_risk) {
      const row = this.revenueRow(r.currency);
      row.recorded_minor += r.recorded_minor;
      row.proposed_minor += r.proposed_minor;
      row.orders_recorded += r.orders_recorded;
      row.orders_proposed += r.orders_proposed;
    }
  }

  private revenueRow(currency: string): WhatIfSummary["revenue_at_risk"][number] {
    let row = this.summary.revenue_at_risk.find((r) => r.currency === currency);
    if (!row) {
      row = { currency, recorded_minor: 0, proposed_minor: 0, orders_recorded: 0, orders_proposed: 0 };
      this.summary.revenue_at_risk.push(row);
    }
    return row;
  }

  add(d: OrderDiff, recorded: OrderDecisions, proposed: OrderDecisions): void {
    const s = this.summary;
    s.orders++;
    if (isChanged(d)) s.orders_changed++;
    if (d.gaps.length > 0) s.orders_approximate++;
    s.breaches.recorded += recorded.breaches.length;
    s.breaches.proposed += proposed.breaches.length;
    s.exports.recorded += recorded.exports.length;
    s.exports.proposed += proposed.exports.length;
    const side = (list: readonly BreachDecision[], which: "recorded" | "proposed"): void => {
      for (const b of list) {
        this.bump("step", b.step, which);
        this.bump("contact", b.contact, which);
        this.bump("owning_party", b.owning_party, which);
      }
    };
    side(recorded.breaches, "recorded");
    side(proposed.breaches, "proposed");
    for (const e of recorded.exports) this.bump("export_owner", e.owner, "recorded");
    for (const e of proposed.exports) this.bump("export_owner", e.owner, "proposed");
    if (d.value && (recorded.breaches.length > 0 || proposed.breaches.length > 0)) {
      const row = this.revenueRow(d.value.currency);
      if (recorded.breaches.length > 0) {
        row.recorded_minor += d.value.amount_minor;
        row.orders_recorded++;
      }
      if (proposed.breaches.length > 0) {
        row.proposed_minor += d.value.amount_minor;
        row.orders_proposed++;
      }
    }
  }

  private bump(dimension: TotalRow["dimension"], key: string, which: "recorded" | "proposed", by = 1): void {
    let row = this.summary.totals.find((t) => t.dimension === dimension && t.key === key);
    if (!row) {
      row = { dimension, key, recorded: 0, proposed: 0 };
      this.summary.totals.push(row);
    }
    row[which] += by;
  }

  result(): WhatIfSummary {
    const out = structuredClone(this.summary);
    out.totals.sort((a, b) => (a.dimension < b.dimension ? -1 : a.dimension > b.dimension ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    out.revenue_at_risk.sort((a, b) => (a.currency < b.currency ? -1 : 1));
    return out;
  }
}
