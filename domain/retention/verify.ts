import { chainHash } from "../audit-chain";
import { ArchiveManifest, CHECKPOINT_CHAIN, CHECKPOINT_TYPE, CheckpointData, checkpointProblems, sha256Text, verifyDay } from "./archive";
import type { RetainedTable } from "./policy";

/**
 * Verifies one archived table-day from what anyone can fetch: the manifest and
 * part objects byte for byte, and the live checkpoint entry the engine's chain
 * holds for that day. Pure: the caller fetches and decompresses.
 */

export interface LiveCheckpoint {
  seq: number;
  at: string;
  prev_hash: string;
  hash: string;
  /** The exact JSON text that was hashed. */
  data_json: string;
}

export interface ArchivedTableInput {
  tenant: string;
  day: string;
  table: RetainedTable;
  status: "archived" | "deleting" | "done";
  /** What D1's checkpoint row recorded when the manifest was written. */
  manifest_sha256: string;
  checkpoint: LiveCheckpoint | null;
  manifestBytes: Uint8Array;
  parts: { bytes: Uint8Array; text: string }[];
}

export interface TableVerdict {
  table: RetainedTable;
  ok: boolean;
  rows: number;
  checkpoint_hash: string | null;
  problems: string[];
}

export function verifyArchivedTable(input: ArchivedTableInput): TableVerdict {
  const { tenant, day, table } = input;
  const problems: string[] = [];
  const manifestSha = sha256Text(input.manifestBytes);
  if (manifestSha !== input.manifest_sha256) problems.push(`manifest.json has sha256 ${manifestSha}, the engine recorded ${input.manifest_sha256} when it wrote it`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(input.manifestBytes));
  } catch {
    return { table, ok: false, rows: 0, checkpoint_hash: null, problems: [...problems, "manifest.json is not JSON"] };
  }
  const parsed = ArchiveManifest.safeParse(json);
  if (!parsed.success) return { table, ok: false, rows: 0, checkpoint_hash: null, problems: [...problems, `manifest.json is not an archive manifest: ${parsed.error.issues[0]?.message ?? ""}`] };
  const manifest = parsed.data;
  if (manifest.table !== table) problems.push(`manifest.json is for table ${manifest.table}`);
  manifest.parts.forEach((p, i) => {
    const got = input.parts[i];
    if (!got) return;
    const sha = sha256Text(got.bytes);
    if (sha !== p.sha256) problems.push(`${p.key}: sha256 ${sha}, the manifest says ${p.sha256}`);
    if (got.bytes.byteLength !== p.bytes) problems.push(`${p.key}: ${got.bytes.byteLength} bytes, the manifest says ${p.bytes}`);
  });
  const day_ = verifyDay(manifest, input.parts.map((p) => p.text), tenant, day);
  problems.push(...day_.problems);

  if (input.status !== "done") problems.push(`the day is '${input.status}': archived but not yet deleted, so no checkpoint vouches for it yet`);
  const c = input.checkpoint;
  if (c === null) {
    if (input.status === "done") problems.push("the live chain holds no checkpoint entry for this day");
  } else {
    const hash = chainHash({ tenant, order_id: CHECKPOINT_CHAIN, seq: c.seq, at: c.at, type: CHECKPOINT_TYPE, data: c.data_json, prev_hash: c.prev_hash });
    if (hash !== c.hash) problems.push(`the live checkpoint entry #${c.seq} does not match its own hash`);
    const data = CheckpointData.safeParse(JSON.parse(c.data_json));
    if (!data.success) problems.push(`the live checkpoint entry #${c.seq} is not a checkpoint`);
    else problems.push(...checkpointProblems(data.data, manifest, manifestSha));
  }
  return { table, ok: problems.length === 0, rows: day_.rows, checkpoint_hash: day_.checkpoint_hash, problems };
}
