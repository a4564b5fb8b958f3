import { z } from "@hono/zod-openapi";
import { verifyChain } from "../../domain/audit-chain";
import { ArchiveManifest, CHECKPOINT_CHAIN, CheckpointData } from "../../domain/retention/archive";
import type { ChainEntry } from "../../domain/order/audit-runs";
import { RETAINED_TABLES } from "../../domain/retention/policy";
import type { Env } from "../env";

/** What the engine holds about one archived day: the checkpoints, the manifests, and the chain that vouches for them. */

const CheckpointEntry = z.object({
  seq: z.number().int(),
  at: z.string(),
  prev_hash: z.string(),
  hash: z.string(),
  data: CheckpointData,
  data_json: z.string().describe("The exact text that was hashed, so a verifier can recompute the entry's hash"),
});

export const ArchivedDay = z
  .object({
    tenant: z.string(),
    day: z.string(),
    tables: z.array(
      z.object({
        table: z.enum(RETAINED_TABLES),
        status: z.enum(["archived", "deleting", "done"]).describe("'done': the rows are deleted and the checkpoint is on the chain; 'archived': in R2, not yet deleted"),
        rows: z.number().int(),
        manifest_key: z.string(),
        manifest_sha256: z.string(),
        manifest: ArchiveManifest.nullable().describe("Null when the manifest object is missing from the archive"),
        files: z.array(z.string()).describe("Paths under this route that serve the day's objects as stored (…/archive/{day}/{table}/{file})"),
        checkpoint: CheckpointEntry.nullable().describe("The entry on the tenant's retention chain that recorded the deletion"),
      }),
    ),
    checkpoint_chain: z.object({
      valid: z.boolean(),
      length: z.number().int(),
      broken_at: z.number().int().nullable(),
      reason: z.string().nullable(),
    }),
  })
  .openapi("ArchivedDay");
export type ArchivedDay = z.infer<typeof ArchivedDay>;

interface CheckpointRow {
  tbl: string;
  status: "archived" | "deleting" | "done";
  rows: number;
  manifest_key: string;
  manifest_sha256: string;
}

export async function archivedDay(env: Env, tenant: string, day: string): Promise<ArchivedDay | null> {
  const [checkpoints, chain] = await env.DB.batch<unknown>([
    env.DB.prepare("SELECT tbl, status, rows, manifest_key, manifest_sha256 FROM retention_checkpoints WHERE tenant_id = ? AND day = ? ORDER BY tbl").bind(tenant, day),
    env.DB.prepare("SELECT seq, at, type, data, prev_hash, hash FROM audit_log WHERE tenant_id = ? AND order_id = ? ORDER BY seq").bind(tenant, CHECKPOINT_CHAIN),
  ]);
  const rows = (checkpoints?.results ?? []) as CheckpointRow[];
  if (rows.length === 0) return null;
  const links = (chain?.results ?? []) as ChainEntry[];
  const check = verifyChain(links.map((l) => ({ ...l, tenant, order_id: CHECKPOINT_CHAIN })));
  const entries = links.map((l) => ({ ...l, parsed: CheckpointData.safeParse(JSON.parse(l.data)) }));
  const tables = await Promise.all(
    rows.map(async (r) => {
      const table = z.enum(RETAINED_TABLES).parse(r.tbl);
      const object = await env.ARCHIVE.get(r.manifest_key);
      const manifest = object ? ArchiveManifest.safeParse(await object.json()) : null;
      const m = manifest?.success ? manifest.data : null;
      const entry = entries.filter((e) => e.parsed.success && e.parsed.data.table === table && e.parsed.data.day === day).at(-1);
      return {
        table,
        status: r.status,
        rows: r.rows,
        manifest_key: r.manifest_key,
        manifest_sha256: r.manifest_sha256,
        manifest: m,
        files: ["manifest.json", ...(m?.parts ?? []).map((p) => p.key.slice(`${tenant}/${day}/${table}.`.length))],
        checkpoint: entry?.parsed.success ? { seq: entry.seq, at: entry.at, prev_hash: entry.prev_hash, hash: entry.hash, data: entry.parsed.data, data_json: entry.data } : null,
      };
    }),
  );
  return { tenant, day, tables, checkpoint_chain: { valid: check.valid, length: links.length, broken_at: check.broken_at, reason: check.reason } };
}
