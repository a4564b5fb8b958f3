import { createHash } from "node:crypto";
import { z } from "zod";
import { chainHash, GENESIS_HASH } from "../audit-chain";
import { RETAINED_TABLES, type RetainedTable } from "./policy";

/**
 * The shape of one archived (tenant, UTC day, table): gzip NDJSON parts and a
 * manifest, and the pure checks anyone holding them can run. The worker writes
 * them (worker/retention/), the CLI verifies them (cli/verify-archive.ts).
 */

export const ARCHIVE_FORMAT = "handoff-archive/1";

/** The tenant's retention checkpoints live on their own chain in audit_log, under an id no order can have. */
export const CHECKPOINT_CHAIN = "~retention";
export const CHECKPOINT_TYPE = "retention.checkpoint";

export function partKey(tenant: string, day: string, table: RetainedTable, part: number): string {
  return `${tenant}/${day}/${table}.${String(part).padStart(4, "0")}.ndjson.gz`;
}

export function manifestKey(tenant: string, day: string, table: RetainedTable): string {
  return `${tenant}/${day}/${table}.manifest.json`;
}

export const ArchivePart = z.object({
  key: z.string(),
  rows: z.number().int(),
  /** Size of the gzip object. */
  bytes: z.number().int(),
  /** SHA-256 (hex) of the gzip object, as R2 stored and echoed it back. */
  sha256: z.string(),
});

export const ArchiveManifest = z
  .object({
    format: z.literal(ARCHIVE_FORMAT),
    tenant: z.string(),
    day: z.string(),
    table: z.enum(RETAINED_TABLES),
    rows: z.number().int(),
    parts: z.array(ArchivePart),
    /**
     * The fold of the day's row hashes in archive order (see `foldRow`). For audit_log
     * the row hash is the row's own chain hash, so this is the audit chain's
     * checkpoint for the day; the live checkpoint entry records it.
     */
    checkpoint_hash: z.string(),
  })
  .meta({ id: "ArchiveManifest" });
export type ArchiveManifest = z.infer<typeof ArchiveManifest>;

/** The data of a checkpoint entry on the tenant's retention chain. */
export const CheckpointData = z.object({
  table: z.enum(RETAINED_TABLES),
  day: z.string(),
  rows: z.number().int(),
  manifest_key: z.string(),
  manifest_sha256: z.string(),
  checkpoint_hash: z.string(),
});
export type CheckpointData = z.infer<typeof CheckpointData>;

export function sha256Text(s: string | Uint8Array): string {
  return createHash("sha256").update(s).digest("hex");
}

/** One step of the day's checkpoint: sha256(previous fold, row hash), starting from the genesis hash. */
export function foldRow(fold: string, rowHash: string): string {
  return sha256Text(`${fold}\n${rowHash}`);
}

export const EMPTY_FOLD = GENESIS_HASH;

/** An archived audit_log row: D1's columns, verbatim. */
const AuditArchiveRow = z.object({
  tenant_id: z.string(),
  order_id: z.string(),
  seq: z.number().int(),
  at: z.string(),
  type: z.string(),
  data: z.string(),
  prev_hash: z.string(),
  hash: z.string(),
});

/**
 * What a row contributes to the fold. An audit row contributes its chain hash,
 * after checking the hash is that of its content; any other row the SHA-256 of
 * its NDJSON line. Throws, with the reason, for an audit row that does not fit.
 */
export function rowHash(table: RetainedTable, line: string, row: unknown): string {
  if (table !== "audit_log") return sha256Text(line);
  const r = AuditArchiveRow.parse(row);
  const hash = chainHash({ tenant: r.tenant_id, order_id: r.order_id, seq: r.seq, at: r.at, type: r.type, data: r.data, prev_hash: r.prev_hash });
  if (hash !== r.hash) throw new Error(`audit row ${r.order_id}#${r.seq}: content does not match its hash`);
  return hash;
}

export interface DayCheck {
  ok: boolean;
  problems: string[];
  rows: number;
  checkpoint_hash: string;
  /** Per order, the archived seq range and the hash the live chain continues from (audit_log only). */
  heads: { order_id: string; first_seq: number; last_seq: number; head_hash: string }[];
}

/**
 * Recomputes one archived table-day from its decompressed parts: every line
 * parses, audit rows match their hashes and link to their predecessors within
 * the day, the counts and the fold equal the manifest's. The byte-level checks
 * (each part's sha256) are the caller's, who holds the compressed bytes.
 */
export function verifyDay(manifest: ArchiveManifest, partsText: readonly string[], tenant: string, day: string): DayCheck {
  const problems: string[] = [];
  if (manifest.tenant !== tenant || manifest.day !== day) problems.push(`manifest is for ${manifest.tenant}/${manifest.day}, not ${tenant}/${day}`);
  if (partsText.length !== manifest.parts.length) problems.push(`manifest lists ${manifest.parts.length} parts, ${partsText.length} were read`);
  let fold = EMPTY_FOLD;
  let rows = 0;
  const last = new Map<string, { first_seq: number; last_seq: number; head_hash: string }>();
  partsText.forEach((text, i) => {
    const lines = text.split("\n").filter((l) => l.length > 0);
    const expected = manifest.parts[i]?.rows;
    if (expected !== undefined && lines.length !== expected) problems.push(`part ${i + 1}: ${lines.length} rows, the manifest says ${expected}`);
    for (const [n, line] of lines.entries()) {
      rows++;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        problems.push(`part ${i + 1} line ${n + 1}: not JSON`);
        continue;
      }
      let h: string;
      try {
        h = rowHash(manifest.table, line, row);
      } catch (err) {
        problems.push(`part ${i + 1} line ${n + 1}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      fold = foldRow(fold, h);
      if (manifest.table === "audit_log") {
        const r = AuditArchiveRow.parse(row);
        if (r.tenant_id !== tenant) problems.push(`audit row ${r.order_id}#${r.seq} belongs to tenant ${r.tenant_id}`);
        if (!r.at.startsWith(day)) problems.push(`audit row ${r.order_id}#${r.seq} is from ${r.at}, not ${day}`);
        const prev = last.get(r.order_id);
        // Within a day an order's entries are consecutive; a row following its predecessor must name its hash.
        if (prev && r.seq === prev.last_seq + 1 && r.prev_hash !== prev.head_hash) problems.push(`audit row ${r.order_id}#${r.seq}: prev_hash does not match entry ${prev.last_seq}`);
        if (prev && r.seq <= prev.last_seq) problems.push(`audit row ${r.order_id}#${r.seq}: out of order`);
        last.set(r.order_id, { first_seq: prev?.first_seq ?? r.seq, last_seq: r.seq, head_hash: r.hash });
      }
    }
  });
  if (rows !== manifest.rows) problems.push(`${rows} rows archived, the manifest says ${manifest.rows}`);
  if (fold !== manifest.checkpoint_hash) problems.push(`the rows fold to ${fold}, the manifest's checkpoint hash is ${manifest.checkpoint_hash}`);
  const heads = [...last.entries()].map(([order_id, h]) => ({ order_id, ...h }));
  return { ok: problems.length === 0, problems, rows, checkpoint_hash: fold, heads };
}

/** Does the live checkpoint entry vouch for this manifest (by its bytes' hash and its checkpoint)? */
export function checkpointProblems(entry: CheckpointData, manifest: ArchiveManifest, manifestSha256: string): string[] {
  const out: string[] = [];
  if (entry.table !== manifest.table || entry.day !== manifest.day) out.push(`the checkpoint entry is for ${entry.table} ${entry.day}`);
  if (entry.manifest_sha256 !== manifestSha256) out.push(`the manifest's sha256 is ${manifestSha256}, the live checkpoint entry recorded ${entry.manifest_sha256}`);
  if (entry.checkpoint_hash !== manifest.checkpoint_hash) out.push(`the manifest's checkpoint hash differs from the live checkpoint entry's`);
  if (entry.rows !== manifest.rows) out.push(`the manifest says ${manifest.rows} rows, the live checkpoint entry ${entry.rows}`);
  return out;
}
