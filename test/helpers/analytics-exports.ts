import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { EXPORT_ROWS, type ExportName } from "../../worker/analytics-exports/rows";
import { call } from "./http";

export type Format = "ndjson" | "csv";
export type Cell = string | null;

export function exportPath(tenant: string, name: string, format: string, query: Record<string, string | number> = {}): string {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return `/v1/tenants/${tenant}/exports/${name}.${format}${qs ? `?${qs}` : ""}`;
}

export async function fetchExport(tenant: string, name: ExportName, format: Format, key: string, query: Record<string, string | number> = {}): Promise<{ res: Response; text: string }> {
  const res = await call("GET", exportPath(tenant, name, format, query), { token: key });
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(200);
  return { res, text };
}

export function columnsOf(name: ExportName): string[] {
  return Object.keys(EXPORT_ROWS[name].shape);
}

/** Parses NDJSON and checks every line against the export's zod row schema. */
export function parseNdjson(name: ExportName, text: string): Record<string, unknown>[] {
  if (text === "") return [];
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      const obj: unknown = JSON.parse(line);
      const row = EXPORT_ROWS[name].parse(obj);
      // Key order is part of the contract, not just the key set.
      expect(Object.keys(obj as object)).toEqual(columnsOf(name));
      return row as Record<string, unknown>;
    });
}

/**
 * A strict RFC 4180 reader, written independently of the encoder: an unquoted
 * empty field is null, a quoted one "" (the distinction the export promises).
 */
export function parseCsv(text: string): Cell[][] {
  const records: Cell[][] = [];
  let record: Cell[] = [];
  let i = 0;
  while (i < text.length) {
    let cell: Cell;
    if (text[i] === '"') {
      let s = "";
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new Error("unterminated quoted field");
        s += text.slice(i, q);
        if (text[q + 1] === '"') {
          s += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      cell = s;
    } else {
      let j = i;
      while (j < text.length && text[j] !== "," && text[j] !== "\r" && text[j] !== "\n") {
        if (text[j] === '"') throw new Error(`bare quote in unquoted field at ${j}`);
        j++;
      }
      cell = j === i ? null : text.slice(i, j);
      i = j;
    }
    record.push(cell);
    if (text[i] === ",") {
      i++;
    } else if (text.startsWith("\r\n", i)) {
      records.push(record);
      record = [];
      i += 2;
    } else {
      throw new Error(`expected , or CRLF at ${i}, found ${JSON.stringify(text.slice(i, i + 10))}`);
    }
  }
  if (record.length > 0) throw new Error("last record not terminated by CRLF");
  return records;
}

/** An NDJSON row as the CSV must spell it. */
export function asCells(row: Record<string, unknown>): Cell[] {
  return Object.values(row).map((v) => (v === null ? null : String(v)));
}

/** Both formats of one export: same rows, same order; returns the parsed rows. */
export async function bothFormats(tenant: string, name: ExportName, key: string, query: Record<string, string | number> = {}): Promise<Record<string, unknown>[]> {
  const nd = await fetchExport(tenant, name, "ndjson", key, query);
  const csv = await fetchExport(tenant, name, "csv", key, query);
  const rows = parseNdjson(name, nd.text);
  const [header, ...records] = parseCsv(csv.text);
  expect(header).toEqual(columnsOf(name));
  expect(records).toEqual(rows.map(asCells));
  // Nothing is written while these tests read, so the announced count is exact.
  expect(nd.res.headers.get("x-export-rows")).toBe(String(rows.length));
  expect(csv.res.headers.get("x-export-rows")).toBe(String(rows.length));
  return rows;
}

export interface AuditSeed {
  tenant: string;
  orderId: string;
  seq: number;
  at: string;
  type: string;
  data: Record<string, unknown>;
}

/**
 * Synthetic audit rows straight into D1 (the tables refuse UPDATE/DELETE, INSERT is fine), as the
 * engine keeps them: the chains of orders whose id ends in an odd character code in audit_blocks
 * (runs of consecutive entries sharing one `at`, as the drain writes them), the rest in audit_log
 * (chains that are not an order's, and entries drained before audit_blocks). Readers must see both.
 */
export async function insertAudit(rows: readonly AuditSeed[]): Promise<void> {
  const inBlocks = (r: AuditSeed) => r.orderId.charCodeAt(r.orderId.length - 1) % 2 === 1;
  const perEntry = env.DB.prepare("INSERT INTO audit_log (tenant_id, order_id, seq, at, type, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const stmts: D1PreparedStatement[] = rows.filter((r) => !inBlocks(r)).map((r) => perEntry.bind(r.tenant, r.orderId, r.seq, r.at, r.type, JSON.stringify(r.data), "0".repeat(64), "f".repeat(64)));
  const blocked = rows.filter(inBlocks).sort((a, b) => a.tenant.localeCompare(b.tenant) || a.orderId.localeCompare(b.orderId) || a.seq - b.seq);
  const runs: { first: AuditSeed; entries: unknown[][] }[] = [];
  for (const r of blocked) {
    const run = runs.at(-1);
    const prev = run?.first;
    const entry = [r.seq, r.type, JSON.stringify(r.data), "0".repeat(64), "f".repeat(64)];
    if (run && prev && prev.tenant === r.tenant && prev.orderId === r.orderId && prev.at === r.at && prev.seq + run.entries.length === r.seq) run.entries.push(entry);
    else runs.push({ first: r, entries: [entry] });
  }
  const block = env.DB.prepare("INSERT INTO audit_blocks (tenant_id, order_id, seq, at, entries) VALUES (?, ?, ?, ?, ?)");
  stmts.push(...runs.map((b) => block.bind(b.first.tenant, b.first.orderId, b.first.seq, b.first.at, JSON.stringify(b.entries))));
  for (let i = 0; i < stmts.length; i += 500) await env.DB.batch(stmts.slice(i, i + 500));
}

export interface TaskSeed {
  tenant: string;
  taskId: string;
  orderId: string | null;
  rejectionId?: string | null;
  type?: string;
  status: "open" | "claimed" | "resolved" | "cancelled";
  openedAt: string;
  claimedAt?: string | null;
  resolvedAt?: string | null;
  action?: string | null;
  valueMinor?: number | null;
}

export async function insertTasks(rows: readonly TaskSeed[]): Promise<void> {
  const stmt = env.DB.prepare(
    `INSERT INTO tasks (tenant_id, task_id, order_id, rejection_id, type, status, owner, owning_party, escalation, level, sla_due, title, evidence,
       value_minor, currency, opened_at, claimed_at, claimed_by, resolved_at, resolved_by, resolution, justification, action, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'ops@merchant.example', 'merchant:ops', '[]', 0, ?, 'Look at it', '{}', ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)`,
  );
  for (let i = 0; i < rows.length; i += 500) {
    await env.DB.batch(
      rows.slice(i, i + 500).map((t) =>
        stmt.bind(
          t.tenant,
          t.taskId,
          t.orderId,
          t.rejectionId ?? null,
          t.type ?? "sla_breach",
          t.status,
          new Date(Date.parse(t.openedAt) + 3_600_000).toISOString(),
          t.valueMinor ?? null,
          t.valueMinor === undefined || t.valueMinor === null ? null : "EUR",
          t.openedAt,
          t.claimedAt ?? null,
          t.claimedAt ? "ada@merchant.example" : null,
          t.resolvedAt ?? null,
          t.resolvedAt ? "ada@merchant.example" : null,
          t.action ?? null,
          t.resolvedAt ?? t.claimedAt ?? t.openedAt,
        ),
      ),
    );
  }
}

export interface OrderSeed {
  tenant: string;
  orderId: string;
  createdAt: string;
  state?: string;
  milestones?: Record<string, string>;
  attribution?: Record<string, string | null>;
  valueMinor?: number | null;
}

export async function insertOrders(rows: readonly OrderSeed[]): Promise<void> {
  const stmt = env.DB.prepare(
    `INSERT INTO orders (tenant_id, order_id, state, locked, value_minor, currency, source, milestones, attribution, holds, conflicts, breaches, open_exports, next_due_at, version, created_at, updated_at)
     VALUES (?, ?, ?, 0, ?, ?, 'shop', ?, ?, 0, 0, 0, 0, NULL, 1, ?, ?)`,
  );
  for (let i = 0; i < rows.length; i += 500) {
    await env.DB.batch(
      rows.slice(i, i + 500).map((o) =>
        stmt.bind(
          o.tenant,
          o.orderId,
          o.state ?? "awaiting_payment",
          o.valueMinor ?? 1000,
          o.valueMinor === null ? null : "EUR",
          JSON.stringify(o.milestones ?? { created_at: o.createdAt }),
          JSON.stringify(o.attribution ?? {}),
          o.createdAt,
          o.createdAt,
        ),
      ),
    );
  }
}

export interface DriftSeed {
  tenant: string;
  sku: string;
  snapshotId: string;
  at: string;
  expected: number;
  reported: number;
}

/** Drift rows as the inventory objects write them (worker/watchers/drift.ts). */
export async function insertDrift(rows: readonly DriftSeed[]): Promise<void> {
  const stmt = env.DB.prepare(
    "INSERT INTO inventory_drift (tenant_id, sku, snapshot_id, location, at, expected, reported, drift, recorded_at) VALUES (?, ?, ?, 'default', ?, ?, ?, ?, ?)",
  );
  await env.DB.batch(rows.map((d) => stmt.bind(d.tenant, d.sku, d.snapshotId, d.at, d.expected, d.reported, d.reported - d.expected, d.at)));
}
