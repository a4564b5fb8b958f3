import { env, exports } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { handoffClient } from "../../cli/api/client";
import { report, verifyArchive } from "../../cli/verify-archive";
import { gunzip, gzip } from "../../worker/retention/archive-store";
import { runRetention } from "../../worker/retention/job";
import { BASE, seedTenant, settleAlarms } from "../helpers/http";
import { DAY_MS, objectBytes, pastOrder, pastRejection, putRetention } from "../helpers/retention";

/**
 * verify-archive as the CLI runs it, through the engine's own routes, against
 * the archive the retention job really wrote; then against copies of it with
 * one field or one byte changed, as someone with write access to the bucket would.
 */
const tenant = "ret-verify";
const A = Date.parse("2026-03-02T00:00:00.000Z");
const DAY = "2026-03-02";
const PART = `${tenant}/${DAY}/audit_log.0001.ndjson.gz`;
const MANIFEST = `${tenant}/${DAY}/audit_log.manifest.json`;
let key = "";
const verify = () => verifyArchive(handoffClient(BASE, key, (req) => exports.default.fetch(req)), tenant, DAY);

/** Replaces an object for one test and puts the original back after it. */
const originals = new Map<string, ArrayBuffer>();
async function tamper(objectKey: string, change: (bytes: ArrayBuffer) => Promise<Uint8Array> | Uint8Array): Promise<void> {
  const bytes = await objectBytes(objectKey);
  originals.set(objectKey, bytes);
  await env.ARCHIVE.put(objectKey, await change(bytes));
}
afterEach(async () => {
  for (const [k, bytes] of originals) await env.ARCHIVE.put(k, bytes);
  originals.clear();
  await settleAlarms();
});

/** The part with its first audit row's `type` changed and re-compressed: a valid gzip, one field different. */
async function editedPart(bytes: ArrayBuffer): Promise<Uint8Array> {
  const [first = "", ...rest] = (await gunzip(bytes)).split("\n");
  const row = JSON.parse(first) as Record<string, unknown>;
  return gzip([JSON.stringify({ ...row, type: "event.rejected" }), ...rest].join("\n"));
}

beforeAll(async () => {
  key = await seedTenant(tenant);
  expect((await putRetention(tenant, { audit_days: 90, rejections_days: 7, resolved_tasks_days: 30 })).status).toBe(200);
  await pastOrder(tenant, "o-1", A + 3_600_000, A + 2 * 3_600_000);
  await pastOrder(tenant, "o-2", A + 5 * 3_600_000, A + 6 * 3_600_000);
  await pastRejection(tenant, A + 7 * 3_600_000);
  const r = await runRetention(env, A + 91 * DAY_MS);
  expect(r.errors).toEqual([]);
  expect(r.archived.filter((a) => a.tenant === tenant).map((a) => a.table)).toEqual(["rejections", "audit_log", "tasks"]);
});

describe("verify-archive", () => {
  it("verifies the day the job archived: objects, the audit chain to the checkpoint, the live entry", async () => {
    const v = await verify();
    expect(v.problems).toEqual([]);
    expect(v.tables.map((t) => [t.table, t.ok, t.problems])).toEqual([
      ["audit_log", true, []],
      ["rejections", true, []],
      ["tasks", true, []],
    ]);
    expect(v.ok).toBe(true);
    expect(report(tenant, DAY, v)).toMatch(/^archive of ret-verify for 2026-03-02 verifies\nok    audit_log/);
  });

  it("fails on one changed field in an archived audit row, naming the row", async () => {
    await tamper(PART, editedPart);
    const v = await verify();
    expect(v.ok).toBe(false);
    const audit = v.tables.find((t) => t.table === "audit_log");
    expect(audit?.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/audit_log\.0001\.ndjson\.gz: sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/),
        expect.stringMatching(/part 1 line 1: audit row o-1#1: content does not match its hash/),
      ]),
    );
    expect(report(tenant, DAY, v)).toContain("does NOT verify");
  });

  it("fails when the manifest was rewritten to match a changed part", async () => {
    await tamper(PART, editedPart);
    const part = await objectBytes(PART);
    const sha = [...new Uint8Array(await crypto.subtle.digest("SHA-256", part))].map((b) => b.toString(16).padStart(2, "0")).join("");
    await tamper(MANIFEST, async (bytes) => {
      const m = JSON.parse(new TextDecoder().decode(bytes)) as { parts: { sha256: string; bytes: number }[] };
      m.parts = m.parts.map((p) => ({ ...p, sha256: sha, bytes: part.byteLength }));
      return new TextEncoder().encode(JSON.stringify(m, null, 2));
    });
    const audit = (await verify()).tables.find((t) => t.table === "audit_log");
    expect(audit?.ok).toBe(false);
    expect(audit?.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/manifest\.json has sha256 [0-9a-f]{64}, the engine recorded/),
        expect.stringMatching(/the live checkpoint entry recorded/),
        expect.stringMatching(/content does not match its hash/),
      ]),
    );
  });

  it("fails on one flipped byte in a compressed part", async () => {
    await tamper(PART, (bytes) => {
      const b = new Uint8Array(bytes.slice(0));
      const i = Math.floor(b.length / 2);
      b[i] = (b[i] ?? 0) ^ 0x01;
      return b;
    });
    const v = await verify();
    expect(v.ok).toBe(false);
    expect([...v.problems, ...v.tables.flatMap((t) => t.problems)]).toEqual(expect.arrayContaining([expect.stringMatching(/audit_log\.0001\.ndjson\.gz: sha256 .* the manifest says/)]));
  });

  it("fails on a rejection row changed in its archive (rows without a chain are held by the fold)", async () => {
    const key_ = `${tenant}/${DAY}/rejections.0001.ndjson.gz`;
    await tamper(key_, async (bytes) => gzip((await gunzip(bytes)).replace('"unsupported_event"', '"schema_mismatch"')));
    const rej = (await verify()).tables.find((t) => t.table === "rejections");
    expect(rej?.problems).toEqual(expect.arrayContaining([expect.stringMatching(/the rows fold to [0-9a-f]{64}, the manifest's checkpoint hash is/)]));
  });

  it("says so when nothing is archived for the day", async () => {
    const v = await verifyArchive(handoffClient(BASE, key, (req) => exports.default.fetch(req)), tenant, "2026-03-09");
    expect(v).toMatchObject({ ok: false, tables: [] });
    expect(v.problems).toEqual([expect.stringMatching(/^404 not_found: Nothing of tenant 'ret-verify' is archived for 2026-03-09/)]);
  });
});
