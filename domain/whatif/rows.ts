import type { OrderDiff } from "./diff";

/**
 * A what-if's per-order differences as flat rows, one per change, for CSV and
 * NDJSON files a notebook (DuckDB `read_csv`) can read without unnesting.
 */

export const CHANGE_COLUMNS = [
  "order_id",
  "change",
  "step",
  "level",
  "contact",
  "owning_party",
  "due_at",
  "export_id",
  "field",
  "recorded",
  "proposed",
  "value_minor",
  "currency",
] as const;
export type ChangeRow = Record<(typeof CHANGE_COLUMNS)[number], string | number | null>;

export function changeRows(d: OrderDiff): ChangeRow[] {
  const base = { order_id: d.order_id, value_minor: d.value?.amount_minor ?? null, currency: d.value?.currency ?? null };
  const none = { step: null, level: null, contact: null, owning_party: null, due_at: null, export_id: null, field: null, recorded: null, proposed: null };
  const rows: ChangeRow[] = [];
  for (const [change, list] of [["breach_added", d.breaches_added], ["breach_removed", d.breaches_removed]] as const) {
    for (const b of list) rows.push({ ...base, ...none, change, step: b.step, level: b.level, contact: b.contact, owning_party: b.owning_party, due_at: b.due_at });
  }
  for (const [change, list] of [["export_added", d.exports_added], ["export_removed", d.exports_removed]] as const) {
    for (const e of list) rows.push({ ...base, ...none, change, step: e.step, contact: e.owner, owning_party: e.owning_party, due_at: e.due_at, export_id: e.export_id });
  }
  for (const c of d.exports_changed) rows.push({ ...base, ...none, change: "export_changed", export_id: c.export_id, field: c.field, recorded: c.recorded, proposed: c.proposed });
  if (d.state.recorded !== d.state.proposed) rows.push({ ...base, ...none, change: "state_changed", field: "state", recorded: d.state.recorded, proposed: d.state.proposed });
  return rows;
}
