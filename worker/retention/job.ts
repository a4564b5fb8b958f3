import { chainHash, GENESIS_HASH } from "../../domain/audit-chain";
import {
  ARCHIVE_FORMAT,
  CHECKPOINT_CHAIN,
  CHECKPOINT_TYPE,
  EMPTY_FOLD,
  foldRow,
  manifestKey,
  partKey,
  rowHash,
  type ArchiveManifest,
  type CheckpointData,
} from "../../domain/retention/archive";
import { lastExpiredDay, nextDay, POLICY_FIELD, RETAINED_TABLES, type RetainedTable } from "../../domain/retention/policy";
import { iso } from "../../domain/time";
import type { Env } from "../env";
import { deleteStale, gzip, putVerified } from "./archive-store";
import { policyFor } from "./policy-store";
import { afterBinds, countSql, deleteSql, OPEN_CHECKPOINT, oldestDaySql, pageSql, TABLE_SPECS, type TableSpec } from "./tables";

/**
 * The retention job (docs/retention.md). Per tenant, per table, oldest expired
 * UTC day first: write the day's rows to R2 as gzip NDJSON parts plus a
 * manifest, verify them by read-back, mark the day 'archived', then in one D1
 * transaction open the checkpoint, delete exactly that day's rows (refused
 * unless the live count equals the archived count), append the checkpoint to
 * the tenant's retention chain in audit_log, and close it 'done'.
 *
 * Idempotent and resumable: a run stopped anywhere before the transaction
 * leaves the rows in place and a re-run writes the same objects under the same
 * keys (skipping those already there); the transaction is all or nothing.
 */

export interface RetentionLimits {
  /** UTC days one tenant may archive per run, over all tables. */
  daysPerTenant: number;
  /** Rows one run may archive; a day is not split, so a run may end past this by one day. */
  maxRows: number;
}

export const DEFAULT_LIMITS: RetentionLimits = { daysPerTenant: 3, maxRows: 50_000 };

export interface ArchivedDay {
  tenant: string;
  table: RetainedTable;
  day: string;
  rows: number;
  parts: number;
  checkpoint_seq: number;
}

export interface RetentionReport {
  archived: ArchivedDay[];
  errors: { tenant: string; table: RetainedTable; day: string; message: string }[];
}

interface Written {
  manifest: ArchiveManifest;
  manifestKey: string;
  manifestSha256: string;
}

const dayBounds = (day: string): [string, string] => [`${day}T00:00:00.000Z`, `${nextDay(day)}T00:00:00.000Z`];

/** Step 1: the day's rows to R2 and the checkpoint row to 'archived'. Safe to repeat. */
export async function writeArchive(env: Env, tenant: string, table: RetainedTable, day: string): Promise<Written> {
  const spec = TABLE_SPECS[table];
  const [from, to] = dayBounds(day);
  const parts: ArchiveManifest["parts"] = [];
  let fold = EMPTY_FOLD;
  let rows = 0;
  let cursor: unknown[] | null = null;
  for (;;) {
    const page: Record<string, unknown>[] = (
      await env.DB.prepare(pageSql(spec, cursor !== null))
        .bind(tenant, from, to, ...(cursor === null ? [] : afterBinds(cursor)), spec.partRows)
        .all<Record<string, unknown>>()
    ).results;
    if (page.length === 0) break;
    const lines = page.map((r) => JSON.stringify(r));
    // An audit row whose hash no longer fits its content stops the day here: archiving it would vouch for it.
    lines.forEach((line, i) => (fold = foldRow(fold, rowHash(table, line, page[i]))));
    const key = partKey(tenant, day, table, parts.length + 1);
    const put = await putVerified(env.ARCHIVE, key, await gzip(`${lines.join("\n")}\n`), "application/gzip");
    parts.push({ key, rows: page.length, ...put });
    rows += page.length;
    const last = page.at(-1);
    if (page.length < spec.partRows || last === undefined) break;
    cursor = spec.key.map((k) => last[k]);
  }
  const manifest: ArchiveManifest = { format: ARCHIVE_FORMAT, tenant, day, table, rows, parts, checkpoint_hash: fold };
  const key = manifestKey(tenant, day, table);
  const put = await putVerified(env.ARCHIVE, key, new TextEncoder().encode(JSON.stringify(manifest, null, 2)), "application/json");
  await deleteStale(env.ARCHIVE, `${tenant}/${day}/${table}.`, new Set([key, ...parts.map((p) => p.key)]));
  await env.DB.prepare(
    `INSERT INTO retention_checkpoints (tenant_id, tbl, day, status, rows, manifest_key, manifest_sha256, checkpoint_hash)
     VALUES (?, ?, ?, 'archived', ?, ?, ?, ?)
     ON CONFLICT (tenant_id, tbl, day) DO UPDATE SET status = 'archived', rows = excluded.rows, live_rows = NULL,
       manifest_key = excluded.manifest_key, manifest_sha256 = excluded.manifest_sha256, checkpoint_hash = excluded.checkpoint_hash
     WHERE retention_checkpoints.status <> 'done'`,
  )
    .bind(tenant, table, day, rows, key, put.sha256, fold)
    .run();
  return { manifest, manifestKey: key, manifestSha256: put.sha256 };
}

/** Step 2: one transaction deletes the archived rows and puts the checkpoint on the chain. */
export async function deleteArchived(env: Env, spec: TableSpec, w: Written, now: number): Promise<number> {
  const { tenant, day, table, rows } = w.manifest;
  const [from, to] = dayBounds(day);
  const head = await env.DB.prepare("SELECT seq, hash FROM audit_log WHERE tenant_id = ? AND order_id = ? ORDER BY seq DESC LIMIT 1")
    .bind(tenant, CHECKPOINT_CHAIN)
    .first<{ seq: number; hash: string }>();
  const data: CheckpointData = { table, day, rows, manifest_key: w.manifestKey, manifest_sha256: w.manifestSha256, checkpoint_hash: w.manifest.checkpoint_hash };
  const link = { tenant, order_id: CHECKPOINT_CHAIN, seq: (head?.seq ?? 0) + 1, at: iso(now), type: CHECKPOINT_TYPE, data: JSON.stringify(data), prev_hash: head?.hash ?? GENESIS_HASH };
  const open = OPEN_CHECKPOINT(spec);
  const pk = "tenant_id = ? AND tbl = ? AND day = ?";
  await env.DB.batch([
    // Fails the whole transaction (CHECK live_rows = rows) if the day changed since it was archived.
    env.DB.prepare(`UPDATE retention_checkpoints SET status = 'deleting', live_rows = (${countSql(spec)}) WHERE ${pk} AND status = 'archived' AND manifest_sha256 = ?`).bind(
      tenant, from, to, tenant, table, day, w.manifestSha256,
    ),
    ...deleteSql(spec).map((q) => env.DB.prepare(q).bind(tenant, from, to, tenant, day)),
    env.DB.prepare(
      `INSERT INTO audit_log (tenant_id, order_id, seq, at, type, data, prev_hash, hash) SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE ${open}`,
    ).bind(link.tenant, link.order_id, link.seq, link.at, link.type, link.data, link.prev_hash, chainHash(link), tenant, day),
    env.DB.prepare(`UPDATE retention_checkpoints SET status = 'done', done_at = ? WHERE ${pk} AND status = 'deleting'`).bind(iso(now), tenant, table, day),
  ]);
  const done = await env.DB.prepare(`SELECT status FROM retention_checkpoints WHERE ${pk}`).bind(tenant, table, day).first<{ status: string }>();
  if (done?.status !== "done") throw new Error(`checkpoint ${tenant} ${table} ${day} is '${done?.status ?? "missing"}' after its delete`);
  return link.seq;
}

async function oldestExpiredDay(env: Env, tenant: string, spec: TableSpec, lastDay: string): Promise<string | null> {
  const row = await env.DB.prepare(oldestDaySql(spec)).bind(tenant, `${nextDay(lastDay)}T00:00:00.000Z`, tenant).first<{ day: string | null }>();
  return row?.day ?? null;
}

export async function runRetention(env: Env, now = Date.now(), limits: RetentionLimits = DEFAULT_LIMITS): Promise<RetentionReport> {
  const report: RetentionReport = { archived: [], errors: [] };
  const tenants = (await env.DB.prepare("SELECT id FROM tenants ORDER BY id").all<{ id: string }>()).results;
  let rows = 0;
  for (const { id: tenant } of tenants) {
    const { policy } = await policyFor(env, tenant);
    let days = 0;
    for (const table of RETAINED_TABLES) {
      const spec = TABLE_SPECS[table];
      const lastDay = lastExpiredDay(now, policy[POLICY_FIELD[table]]);
      while (days < limits.daysPerTenant && rows < limits.maxRows) {
        const day = await oldestExpiredDay(env, tenant, spec, lastDay);
        if (day === null) break;
        try {
          const written = await writeArchive(env, tenant, table, day);
          const seq = await deleteArchived(env, spec, written, now);
          report.archived.push({ tenant, table, day, rows: written.manifest.rows, parts: written.manifest.parts.length, checkpoint_seq: seq });
          rows += written.manifest.rows;
          days++;
        } catch (err) {
          // This table waits for the next run; the others and the other tenants go on.
          report.errors.push({ tenant, table, day, message: err instanceof Error ? err.message : String(err) });
          break;
        }
      }
    }
    if (rows >= limits.maxRows) break;
  }
  return report;
}
