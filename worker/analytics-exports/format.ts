import { ACTION_STEP, parseExportId } from "../../domain/handoff/document";
import { taskOnset, type OnsetFacts } from "../../domain/tasks/onset";
import { EXPORT_ROWS, type AdminRow, type EventRow, type ExportName, type InventoryRow, type NotificationRow, type OrderRow, type TaskRow } from "./rows";

/**
 * Pure half of the analytics exports: D1 rows → export rows → bytes. Kept free
 * of D1 and the Workers runtime so the mapping and the encodings are unit-tested in Node.
 */

export const EXPORT_FORMATS = ["ndjson", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: "application/x-ndjson",
  csv: "text/csv; charset=utf-8",
};

type Cell = string | number | null;

/** Column order is the row schema's key order: the documented contract, for CSV and NDJSON alike. */
export function columns(name: ExportName): string[] {
  return Object.keys(EXPORT_ROWS[name].shape);
}

/**
 * RFC 4180. Unlike the runbook CSV (domain/ownership/csv.ts) there is no
 * formula-injection guard: this file is read by DuckDB, not opened in a
 * spreadsheet, and a prefixed `'` would corrupt exactly the values the
 * review computes over (an owner "-ops", a campaign "=launch"). Values stay byte-exact.
 * null is an empty field and "" a quoted empty field, so the two stay distinct
 * for a reader that asks (DuckDB: `allow_quoted_nulls = false`).
 */
export function csvField(v: Cell): string {
  if (v === null) return "";
  const s = typeof v === "number" ? String(v) : v;
  if (s === "" || /[",\r\n]/.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/**
 * `?columns=a,b` → those columns in schema order (the documented order, whatever
 * order they were asked in), or the unknown names. Null asks for every column.
 */
export function selectColumns(name: ExportName, requested: string | undefined): { ok: true; columns: string[] | null } | { ok: false; unknown: string[] } {
  if (requested === undefined) return { ok: true, columns: null };
  const asked = new Set(requested.split(",").map((c) => c.trim()).filter((c) => c !== ""));
  const all = columns(name);
  const unknown = [...asked].filter((c) => !all.includes(c));
  if (unknown.length > 0 || asked.size === 0) return { ok: false, unknown };
  return { ok: true, columns: all.filter((c) => asked.has(c)) };
}

export function csvHeader(name: ExportName, only: readonly string[] | null = null): string {
  return `${(only ?? columns(name)).map(csvField).join(",")}\r\n`;
}

export type AnyRow = EventRow | OrderRow | TaskRow | AdminRow | InventoryRow | NotificationRow;

/** Rows are built in schema key order, so Object.values is the column order; `only` projects them. */
export function encodeRows(rows: readonly AnyRow[], format: ExportFormat, only: readonly string[] | null = null): string {
  let out = "";
  const cellsOf = (r: AnyRow): Cell[] => {
    const all: Record<string, Cell> = r;
    return only === null ? Object.values(all) : only.map((c) => all[c] ?? null);
  };
  if (format === "ndjson") {
    for (const r of rows) {
      if (only === null) {
        out += `${JSON.stringify(r)}\n`;
        continue;
      }
      const cells = cellsOf(r);
      out += `${JSON.stringify(Object.fromEntries(only.map((c, i) => [c, cells[i] ?? null])))}\n`;
    }
    return out;
  }
  for (const r of rows) out += `${cellsOf(r).map(csvField).join(",")}\r\n`;
  return out;
}

// ── D1 row → export row ────────────────────────────────────────────────────

export interface AuditDbRow {
  order_id: string;
  seq: number;
  at: string;
  type: string;
  data: string;
}

function parseObject(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    // A row that does not parse still exports: its raw text is kept in `data`.
    return {};
  }
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function int(v: unknown): number | null {
  return typeof v === "number" && Number.isInteger(v) ? v : null;
}

/** Export entries name their step only on issue; every export id encodes its action, hence its step. */
function stepOf(d: Record<string, unknown>): string | null {
  const step = str(d.step);
  if (step !== null) return step;
  const id = str(d.export_id);
  const parsed = id === null ? null : parseExportId(id);
  return parsed ? ACTION_STEP[parsed.action] : null;
}

/**
 * Flattens the keys the audit entries carry (domain/order/machine.ts, domain/handoff/decide.ts, domain/tasks/decide.ts)
 * into columns. Only values of the column's type are taken: `status` is an HTTP
 * status on export.attempt but "accepted"/"rejected" on export.acked, and the
 * latter stays in `data` rather than breaking the integer column.
 */
export function eventRow(tenant: string, r: AuditDbRow): EventRow {
  const d = parseObject(r.data);
  const hold = r.type.startsWith("hold.");
  return {
    tenant_id: tenant,
    order_id: r.order_id,
    seq: r.seq,
    at: r.at,
    type: r.type,
    event_type: str(d.event_type),
    event_id: str(d.event_id),
    source: str(d.source),
    occurred_at: str(d.occurred_at),
    state_from: str(d.state_from),
    state_to: str(d.state_to),
    receipt_id: str(d.receipt_id),
    export_id: str(d.export_id),
    step: stepOf(d),
    level: int(d.level),
    contact: str(d.contact),
    owner: str(d.owner),
    owning_party: str(d.owning_party),
    status: int(d.status),
    error_class: str(d.error_class),
    outcome: str(d.outcome),
    // A hold names its kind `reason` (locked_field_conflict, consumer_rejected, …).
    kind: str(d.kind) ?? (hold ? str(d.reason) : null),
    ack_via: r.type === "export.acked" ? str(d.via) : null,
    lag_ms: int(d.lag_ms),
    data: r.data,
  };
}

export interface OrderDbRow {
  order_id: string;
  state: string;
  value_minor: number | null;
  currency: string | null;
  source: string | null;
  milestones: string;
  attribution: string;
  holds: number;
  conflicts: number;
  next_due_at: string | null;
  created_at: string;
  updated_at: string;
  n_breaches: number;
  n_open_breaches: number;
  n_tasks: number;
  n_open_tasks: number;
}

export function orderRow(tenant: string, r: OrderDbRow): OrderRow {
  const m = parseObject(r.milestones);
  const a = parseObject(r.attribution);
  return {
    tenant_id: tenant,
    order_id: r.order_id,
    source: r.source,
    state: r.state,
    value_minor: r.value_minor,
    currency: r.currency,
    utm_source: str(a.utm_source),
    utm_medium: str(a.utm_medium),
    utm_campaign: str(a.utm_campaign),
    channel: str(a.channel),
    // The index's created_at: the order.created milestone, or the first receipt when
    // order.created never came. It is also what `from`/`to` select on, so rows and window agree.
    created_at: r.created_at,
    authorized_at: str(m.authorized_at),
    captured_at: str(m.captured_at),
    payment_failed_at: str(m.payment_failed_at),
    routed_at: str(m.routed_at),
    accepted_at: str(m.accepted_at),
    backordered_at: str(m.backordered_at),
    rejected_at: str(m.rejected_at),
    shipped_at: str(m.shipped_at),
    delivered_at: str(m.delivered_at),
    cancelled_at: str(m.cancelled_at),
    refunded_at: str(m.refunded_at),
    holds: r.holds,
    conflicts: r.conflicts,
    breaches: r.n_breaches,
    open_breaches: r.n_open_breaches,
    tasks: r.n_tasks,
    open_tasks: r.n_open_tasks,
    next_due_at: r.next_due_at,
    updated_at: r.updated_at,
  };
}

export interface TaskDbRow {
  task_id: string;
  order_id: string | null;
  rejection_id: string | null;
  type: string;
  status: string;
  owner: string;
  owning_party: string;
  level: number;
  value_minor: number | null;
  currency: string | null;
  opened_at: string;
  sla_due: string;
  claimed_at: string | null;
  claimed_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  action: string | null;
}

/** A task row as the export reads it: the row, and the few evidence facts its onset comes from. */
export type TaskExportDbRow = TaskDbRow & OnsetFacts;

function elapsedMs(from: string, to: string | null): number | null {
  if (to === null) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

export function taskRow(tenant: string, r: TaskExportDbRow): TaskRow {
  const onset = taskOnset(r.type, r);
  return {
    tenant_id: tenant,
    task_id: r.task_id,
    order_id: r.order_id,
    rejection_id: r.rejection_id,
    type: r.type,
    status: r.status,
    owner: r.owner,
    owning_party: r.owning_party,
    level: r.level,
    value_minor: r.value_minor,
    currency: r.currency,
    opened_at: r.opened_at,
    sla_due: r.sla_due,
    claimed_at: r.claimed_at,
    claimed_by: r.claimed_by,
    resolved_at: r.resolved_at,
    resolved_by: r.resolved_by,
    action: r.action,
    first_response_ms: elapsedMs(r.opened_at, r.claimed_at),
    resolve_ms: elapsedMs(r.opened_at, r.resolved_at),
    onset_at: onset,
    detect_ms: onset === null ? null : elapsedMs(onset, r.opened_at),
  };
}

export interface AdminDbRow {
  seq: number;
  at: string;
  type: string;
  actor: string;
  data: string;
  hash: string;
}

export function adminRow(tenant: string, r: AdminDbRow): AdminRow {
  let via: string | null = null;
  try {
    const parsed = JSON.parse(r.data) as { via?: unknown };
    via = typeof parsed.via === "string" ? parsed.via : null;
  } catch {
    // The chain check reports a broken row; the export still carries its text.
  }
  return { tenant_id: tenant, seq: r.seq, at: r.at, type: r.type, actor: r.actor, via, hash: r.hash, data: r.data };
}

export interface InventoryDbRow {
  sku: string;
  snapshot_id: string;
  location: string;
  at: string;
  expected: number;
  reported: number;
  drift: number;
  recorded_at: string;
}

export function inventoryRow(tenant: string, r: InventoryDbRow): InventoryRow {
  return { tenant_id: tenant, sku: r.sku, location: r.location, snapshot_id: r.snapshot_id, at: r.at, expected: r.expected, reported: r.reported, drift: r.drift, abs_drift: Math.abs(r.drift), recorded_at: r.recorded_at };
}

export interface NotificationDbRow extends AuditDbRow {
  prev_hash: string;
  hash: string;
}

/** A notification chain entry (domain/notify/trail.ts): its data is flat, so each key is a column. */
export function notificationRow(tenant: string, r: NotificationDbRow): NotificationRow {
  const d = parseObject(r.data);
  return {
    tenant_id: tenant,
    chain_id: r.order_id,
    seq: r.seq,
    at: r.at,
    type: r.type,
    order_id: str(d.order_id),
    subject: str(d.subject) ?? "",
    task_id: str(d.task_id),
    notice_key: str(d.notice_key) ?? "",
    kind: str(d.kind) ?? "",
    phase: str(d.phase) ?? "",
    level: int(d.level) ?? 0,
    recipient: str(d.recipient),
    contact: str(d.contact),
    via: str(d.via),
    channel: str(d.channel),
    delivery_id: str(d.delivery_id),
    dedup_key: str(d.dedup_key) ?? "",
    attempt: int(d.attempt),
    status: int(d.status),
    error_class: str(d.error_class),
    outcome: str(d.outcome) ?? "",
    latency_ms: int(d.latency_ms),
    detail: str(d.detail),
    prev_hash: r.prev_hash,
    hash: r.hash,
    data: r.data,
  };
}
