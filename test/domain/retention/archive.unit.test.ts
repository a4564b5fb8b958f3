import { describe, expect, it } from "vitest";
import { chainHash, GENESIS_HASH, verifyChain } from "../../../domain/audit-chain";
import { ARCHIVE_FORMAT, EMPTY_FOLD, foldRow, manifestKey, partKey, sha256Text, verifyDay, type ArchiveManifest } from "../../../domain/retention/archive";

/** An order's chain as the order object writes it: each entry hashed over its predecessor. */
function chain(tenant: string, orderId: string, ats: string[]) {
  let prev = GENESIS_HASH;
  return ats.map((at, i) => {
    const link = { tenant, order_id: orderId, seq: i + 1, at, type: i === 0 ? "receipt.recorded" : "event.applied", data: JSON.stringify({ n: i + 1 }), prev_hash: prev };
    prev = chainHash(link);
    return { tenant_id: tenant, order_id: orderId, seq: link.seq, at, type: link.type, data: link.data, prev_hash: link.prev_hash, hash: prev };
  });
}

function manifestFor(rows: ReturnType<typeof chain>, day: string): { manifest: ArchiveManifest; text: string } {
  const lines = rows.map((r) => JSON.stringify(r));
  const fold = rows.reduce((f, r) => foldRow(f, r.hash), EMPTY_FOLD);
  return {
    manifest: { format: ARCHIVE_FORMAT, tenant: "acme", day, table: "audit_log", rows: rows.length, parts: [{ key: partKey("acme", day, "audit_log", 1), rows: rows.length, bytes: 0, sha256: "" }], checkpoint_hash: fold },
    text: `${lines.join("\n")}\n`,
  };
}

describe("archive keys", () => {
  it("are per tenant, per UTC day, per table, with numbered parts", () => {
    expect(partKey("acme", "2026-03-02", "audit_log", 1)).toBe("acme/2026-03-02/audit_log.0001.ndjson.gz");
    expect(manifestKey("acme", "2026-03-02", "rejections")).toBe("acme/2026-03-02/rejections.manifest.json");
  });
});

describe("verifyDay", () => {
  const day = "2026-03-02";
  const all = chain("acme", "o-1", ["2026-03-02T10:00:00.000Z", "2026-03-02T11:00:00.000Z", "2026-03-03T09:00:00.000Z"]);
  const archived = all.slice(0, 2);

  it("accepts a day's rows that fit their hashes, their links and the manifest's checkpoint", () => {
    const { manifest, text } = manifestFor(archived, day);
    const v = verifyDay(manifest, [text], "acme", day);
    expect(v).toMatchObject({ ok: true, problems: [], rows: 2, checkpoint_hash: manifest.checkpoint_hash });
    // The live chain continues from the archived head.
    expect(v.heads).toEqual([{ order_id: "o-1", first_seq: 1, last_seq: 2, head_hash: all[1]?.hash }]);
    expect(all[2]?.prev_hash).toBe(v.heads[0]?.head_hash);
  });

  it("names a changed field, a dropped row, a reordered pair and a foreign day", () => {
    const { manifest, text } = manifestFor(archived, day);
    const edited = text.replace('"type":"event.applied"', '"type":"event.rejected"');
    expect(verifyDay(manifest, [edited], "acme", day).problems).toEqual(["part 1 line 2: audit row o-1#2: content does not match its hash", expect.stringMatching(/rows fold to/)]);

    const dropped = `${text.split("\n")[1] ?? ""}\n`;
    expect(verifyDay(manifest, [dropped], "acme", day).problems).toEqual(expect.arrayContaining(["part 1: 1 rows, the manifest says 2", "1 rows archived, the manifest says 2"]));

    const swapped = `${[...text.trim().split("\n")].reverse().join("\n")}\n`;
    expect(verifyDay(manifest, [swapped], "acme", day).problems).toEqual(expect.arrayContaining(["audit row o-1#1: out of order"]));

    expect(verifyDay(manifest, [text], "acme", "2026-03-01").problems[0]).toMatch(/manifest is for acme\/2026-03-02/);
  });

  it("catches a consistent rewrite of a row (new hash, new link) by the fold", () => {
    const forged = chain("acme", "o-1", ["2026-03-02T10:00:00.000Z", "2026-03-02T11:30:00.000Z"]);
    const { manifest } = manifestFor(archived, day);
    const { text } = manifestFor(forged, day);
    expect(verifyDay(manifest, [text], "acme", day).problems).toEqual([expect.stringMatching(/^the rows fold to [0-9a-f]{64}, the manifest's checkpoint hash is/)]);
  });

  it("folds non-audit rows by the sha256 of their line", () => {
    const line = JSON.stringify({ id: "rej_1", tenant_id: "acme", received_at: "2026-03-02T01:00:00.000Z" });
    const m: ArchiveManifest = { format: ARCHIVE_FORMAT, tenant: "acme", day, table: "rejections", rows: 1, parts: [{ key: "k", rows: 1, bytes: 0, sha256: "" }], checkpoint_hash: foldRow(EMPTY_FOLD, sha256Text(line)) };
    expect(verifyDay(m, [`${line}\n`], "acme", day).ok).toBe(true);
    expect(verifyDay(m, [`${line.replace("rej_1", "rej_2")}\n`], "acme", day).ok).toBe(false);
  });
});

describe("verifyChain across an archived run", () => {
  const rows = chain("acme", "o-1", ["2026-03-02T10:00:00.000Z", "2026-03-02T11:00:00.000Z", "2026-03-03T09:00:00.000Z", "2026-03-03T10:00:00.000Z"]);
  const live = rows.slice(2).map((r) => ({ tenant: r.tenant_id, ...r }));

  it("continues from the hash vouched for the archived seqs", () => {
    const vouched = (from: number, to: number) => (from === 1 && to === 2 ? (rows[1]?.hash ?? null) : null);
    expect(verifyChain(live, vouched)).toMatchObject({ valid: true, head: { seq: 4 } });
  });

  it("is broken where nothing vouches for the gap, or the vouched hash is not the one the row links to", () => {
    expect(verifyChain(live)).toMatchObject({ valid: false, broken_at: 1 });
    expect(verifyChain(live, () => "f".repeat(64))).toMatchObject({ valid: false, broken_at: 3, reason: "prev_hash does not match the previous entry" });
  });
});
