import { describe, expect, it } from "vitest";
import { chainHash, GENESIS_HASH } from "../../../domain/audit-chain";
import { ARCHIVE_FORMAT, CHECKPOINT_CHAIN, CHECKPOINT_TYPE, EMPTY_FOLD, foldRow, sha256Text, type ArchiveManifest } from "../../../domain/retention/archive";
import { verifyArchivedTable, type ArchivedTableInput } from "../../../domain/retention/verify";

/** One archived rejections day (no chain of its own) with its live checkpoint entry, built as the job builds them. */
function archivedDay(): ArchivedTableInput {
  const line = JSON.stringify({ id: "rej_1", tenant_id: "acme", code: "signature_invalid", received_at: "2026-03-02T01:00:00.000Z" });
  const part = new TextEncoder().encode(`${line}\n`); // stands in for the gzip bytes: the checks hash whatever was stored
  const manifest: ArchiveManifest = {
    format: ARCHIVE_FORMAT,
    tenant: "acme",
    day: "2026-03-02",
    table: "rejections",
    rows: 1,
    parts: [{ key: "acme/2026-03-02/rejections.0001.ndjson.gz", rows: 1, bytes: part.byteLength, sha256: sha256Text(part) }],
    checkpoint_hash: foldRow(EMPTY_FOLD, sha256Text(line)),
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest, null, 2));
  const data_json = JSON.stringify({ table: "rejections", day: "2026-03-02", rows: 1, manifest_key: "acme/2026-03-02/rejections.manifest.json", manifest_sha256: sha256Text(manifestBytes), checkpoint_hash: manifest.checkpoint_hash });
  const link = { tenant: "acme", order_id: CHECKPOINT_CHAIN, seq: 1, at: "2026-06-02T00:05:00.000Z", type: CHECKPOINT_TYPE, data: data_json, prev_hash: GENESIS_HASH };
  return {
    tenant: "acme",
    day: "2026-03-02",
    table: "rejections",
    status: "done",
    manifest_sha256: sha256Text(manifestBytes),
    checkpoint: { seq: 1, at: link.at, prev_hash: GENESIS_HASH, hash: chainHash(link), data_json },
    manifestBytes,
    parts: [{ bytes: part, text: `${line}\n` }],
  };
}

describe("verifyArchivedTable", () => {
  it("accepts a day whose objects, fold and live checkpoint agree", () => {
    expect(verifyArchivedTable(archivedDay())).toMatchObject({ ok: true, rows: 1, problems: [] });
  });

  it("refuses a day not yet vouched for by a checkpoint, or whose checkpoint is missing", () => {
    expect(verifyArchivedTable({ ...archivedDay(), status: "archived", checkpoint: null }).problems).toEqual([expect.stringMatching(/'archived': archived but not yet deleted/)]);
    expect(verifyArchivedTable({ ...archivedDay(), checkpoint: null }).problems).toEqual(["the live chain holds no checkpoint entry for this day"]);
  });

  it("refuses a checkpoint entry that was edited, even consistently with a forged manifest", () => {
    const day = archivedDay();
    const c = day.checkpoint;
    if (!c) throw new Error("built with a checkpoint");
    const edited = { ...c, data_json: c.data_json.replace('"rows":1', '"rows":2') };
    expect(verifyArchivedTable({ ...day, checkpoint: edited }).problems).toEqual(
      expect.arrayContaining(["the live checkpoint entry #1 does not match its own hash", "the manifest says 1 rows, the live checkpoint entry 2"]),
    );
  });

  it("refuses a manifest that is not JSON or not a manifest", () => {
    const notJson = verifyArchivedTable({ ...archivedDay(), manifestBytes: new TextEncoder().encode("{") });
    expect(notJson.problems).toEqual(expect.arrayContaining(["manifest.json is not JSON"]));
    const notManifest = verifyArchivedTable({ ...archivedDay(), manifestBytes: new TextEncoder().encode('{"format":"other"}') });
    expect(notManifest.problems.at(-1)).toMatch(/^manifest\.json is not an archive manifest/);
  });
});
