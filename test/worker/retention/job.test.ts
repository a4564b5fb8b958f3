import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { verifyChain } from "../../../domain/audit-chain";
import { CheckpointData, verifyDay } from "../../../domain/retention/archive";
import { toHex } from "../../../domain/crypto";
import { gunzip } from "../../../worker/retention/archive-store";
import { deleteArchived, runRetention, writeArchive } from "../../../worker/retention/job";
import { TABLE_SPECS } from "../../../worker/retention/tables";
import { call, json, seedTenant, settleAlarms } from "../../helpers/http";
import { archivedRows, checkpointChain, DAY_MS, manifestOf, objectBytes, pastOrder, pastRejection, putRetention, rowsOn, uploadedAt } from "../../helpers/retention";

afterEach(settleAlarms);

const A = Date.parse("2026-03-02T00:00:00.000Z");
const DAY_A = "2026-03-02";
const DAY_B = "2026-03-03";
/** 91 days after day A: day A is past the 90-day audit floor, day B is not. */
const NOW = A + 91 * DAY_MS + 12 * 3_600_000;
const FLOORS = { rejections_days: 7, audit_days: "P90D", resolved_tasks_days: "P30D" };

async function tenantWithFloors(id: string): Promise<string> {
  const key = await seedTenant(id);
  expect((await putRetention(id, FLOORS)).status).toBe(200);
  return key;
}

const mine = (tenant: string, r: Awaited<ReturnType<typeof runRetention>>) => ({
  archived: r.archived.filter((a) => a.tenant === tenant).map((a) => `${a.table} ${a.day} ${a.rows}`),
  errors: r.errors.filter((e) => e.tenant === tenant),
});

describe("the retention job archives an expired day, then deletes it under a checkpoint on the chain", () => {
  const tenant = "ret-main";
  let key = "";
  let auditA: Record<string, unknown>[] = [];
  let auditB: Record<string, unknown>[] = [];
  let first: Awaited<ReturnType<typeof runRetention>>;

  beforeAll(async () => {
    key = await tenantWithFloors(tenant);
    await pastOrder(tenant, "o-1", A + 10 * 3_600_000, A + DAY_MS + 10 * 3_600_000);
    await pastOrder(tenant, "o-2", A + 11 * 3_600_000, A + 12 * 3_600_000);
    await pastRejection(tenant, A + 9 * 3_600_000);
    auditA = await rowsOn("audit_log", tenant, DAY_A);
    auditB = await rowsOn("audit_log", tenant, DAY_B);
    first = await runRetention(env, NOW);
  });

  it("archives day A of every covered table and deletes exactly those rows", async () => {
    expect(auditA.length).toBeGreaterThan(4);
    expect(mine(tenant, first)).toEqual({
      archived: [`rejections ${DAY_A} 1`, `audit_log ${DAY_A} ${auditA.length}`, `tasks ${DAY_A} 1`],
      errors: [],
    });
    expect(await rowsOn("audit_log", tenant, DAY_A)).toEqual([]);
    expect(await rowsOn("rejections", tenant, DAY_A)).toEqual([]);
    expect(await rowsOn("tasks", tenant, DAY_A)).toEqual([]);
    // Day B is inside the audit window and stays as it was.
    expect(await rowsOn("audit_log", tenant, DAY_B)).toEqual(auditB);
  });

  it("writes the rows verbatim as gzip NDJSON parts whose checksums R2 echoes back", async () => {
    const m = await manifestOf(tenant, DAY_A, "audit_log");
    expect(m).toMatchObject({ format: "handoff-archive/1", tenant, day: DAY_A, table: "audit_log", rows: auditA.length });
    expect(m.parts.map((p) => p.key)).toEqual([`${tenant}/${DAY_A}/audit_log.0001.ndjson.gz`]);
    expect(await archivedRows(m)).toEqual(auditA);
    for (const p of m.parts) {
      const head = await env.ARCHIVE.head(p.key);
      const echoed = head?.checksums.sha256;
      expect(echoed && toHex(new Uint8Array(echoed))).toBe(p.sha256);
      expect(head?.size).toBe(p.bytes);
    }
    const texts = await Promise.all(m.parts.map(async (p) => gunzip(await objectBytes(p.key))));
    expect(verifyDay(m, texts, tenant, DAY_A)).toMatchObject({ ok: true, problems: [], checkpoint_hash: m.checkpoint_hash });
  });

  it("records each deletion as a checkpoint on the tenant's retention chain", async () => {
    const chain = await checkpointChain(tenant);
    expect(chain.map((c) => c.type)).toEqual(["retention.checkpoint", "retention.checkpoint", "retention.checkpoint"]);
    expect(verifyChain(chain.map((c) => ({ ...c, tenant, order_id: "~retention" }))).valid).toBe(true);
    const audit = chain.map((c) => CheckpointData.parse(JSON.parse(c.data))).find((d) => d.table === "audit_log");
    const m = await manifestOf(tenant, DAY_A, "audit_log");
    const manifestBytes = await objectBytes(`${tenant}/${DAY_A}/audit_log.manifest.json`);
    const sha = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", manifestBytes)));
    expect(audit).toEqual({ table: "audit_log", day: DAY_A, rows: auditA.length, manifest_key: `${tenant}/${DAY_A}/audit_log.manifest.json`, manifest_sha256: sha, checkpoint_hash: m.checkpoint_hash });
  });

  it("leaves each order's live chain continuing from the archived hash, and its audit trail valid", async () => {
    const archivedO1 = auditA.filter((r) => r.order_id === "o-1");
    const liveO1 = auditB.filter((r) => r.order_id === "o-1");
    expect(liveO1[0]?.prev_hash).toBe(archivedO1.at(-1)?.hash);
    const res = await call("GET", `/v1/tenants/${tenant}/orders/o-1/audit`, { token: key });
    expect(res.status).toBe(200);
    const trail = await json<{ entries: { seq: number }[]; chain_valid: boolean; archived: number; pending: number }>(res);
    expect(trail).toMatchObject({ chain_valid: true, archived: archivedO1.length, pending: 0 });
    expect(trail.entries.map((e) => e.seq)).toEqual(liveO1.map((r) => r.seq));
  });

  it("a second run finds nothing to do and rewrites nothing", async () => {
    const m = await manifestOf(tenant, DAY_A, "audit_log");
    const uploaded = await uploadedAt(m.parts[0]?.key);
    expect(uploaded).toBeGreaterThan(0);
    const again = await runRetention(env, NOW);
    expect(mine(tenant, again)).toEqual({ archived: [], errors: [] });
    expect(await uploadedAt(m.parts[0]?.key)).toBe(uploaded);
    expect(await checkpointChain(tenant)).toHaveLength(3);
  });
});

describe("a run that stops between the archive and the delete", () => {
  it("is finished by the next run with the same objects under the same keys", async () => {
    const tenant = "ret-killed";
    await tenantWithFloors(tenant);
    await pastOrder(tenant, "o-1", A + 8 * 3_600_000, A + 9 * 3_600_000);
    const before = await rowsOn("audit_log", tenant, DAY_A);
    // What a run killed right after its R2 writes leaves behind.
    const written = await writeArchive(env, tenant, "audit_log", DAY_A);
    const uploaded = await uploadedAt(written.manifest.parts[0]?.key);
    expect(uploaded).toBeGreaterThan(0);
    expect(await rowsOn("audit_log", tenant, DAY_A)).toEqual(before);
    const status = await env.DB.prepare("SELECT status FROM retention_checkpoints WHERE tenant_id = ? AND tbl = 'audit_log' AND day = ?").bind(tenant, DAY_A).first();
    expect(status).toEqual({ status: "archived" });

    const r = await runRetention(env, NOW);
    expect(mine(tenant, r)).toEqual({ archived: [`audit_log ${DAY_A} ${before.length}`], errors: [] });
    expect(await rowsOn("audit_log", tenant, DAY_A)).toEqual([]);
    const [entry] = (await checkpointChain(tenant)).map((c) => CheckpointData.parse(JSON.parse(c.data)));
    expect(entry?.manifest_sha256).toBe(written.manifestSha256);
    expect(entry?.checkpoint_hash).toBe(written.manifest.checkpoint_hash);
    // Same content: the part already in R2 was recognised by its checksum, not written again.
    expect(await uploadedAt(written.manifest.parts[0]?.key)).toBe(uploaded);
    expect(await archivedRows(await manifestOf(tenant, DAY_A, "audit_log"))).toEqual(before);
  });

  it("deletes nothing when the day gained rows after it was archived, and archives them next run", async () => {
    const tenant = "ret-moved";
    await tenantWithFloors(tenant);
    await pastOrder(tenant, "o-1", A + 8 * 3_600_000, A + 9 * 3_600_000);
    const written = await writeArchive(env, tenant, "audit_log", DAY_A);
    // A drain that was held up lands rows on the archived day before the delete.
    await pastOrder(tenant, "o-late", A + 20 * 3_600_000, A + 21 * 3_600_000);
    const all = await rowsOn("audit_log", tenant, DAY_A);
    await expect(deleteArchived(env, TABLE_SPECS.audit_log, written, NOW)).rejects.toThrow(/CHECK constraint failed|retention_checkpoints_complete/);
    expect(await rowsOn("audit_log", tenant, DAY_A)).toEqual(all);
    expect(await checkpointChain(tenant)).toEqual([]);

    const r = await runRetention(env, NOW);
    expect(mine(tenant, r)).toEqual({ archived: [`audit_log ${DAY_A} ${all.length}`], errors: [] });
    expect(await archivedRows(await manifestOf(tenant, DAY_A, "audit_log"))).toEqual(all);
  });
});

describe("each run is bounded", () => {
  it("archives at most daysPerTenant days per tenant, oldest first, and the next run continues", async () => {
    const tenant = "ret-bounded";
    await tenantWithFloors(tenant);
    for (const d of [0, 1, 2]) await pastRejection(tenant, A + d * DAY_MS + 3_600_000);
    const days = (r: Awaited<ReturnType<typeof runRetention>>) => mine(tenant, r).archived;
    expect(days(await runRetention(env, NOW, { daysPerTenant: 1, maxRows: 1000 }))).toEqual([`rejections ${DAY_A} 1`]);
    expect(days(await runRetention(env, NOW, { daysPerTenant: 2, maxRows: 1000 }))).toEqual([`rejections ${DAY_B} 1`, "rejections 2026-03-04 1"]);
    expect(days(await runRetention(env, NOW, { daysPerTenant: 2, maxRows: 1000 }))).toEqual([`tasks ${DAY_A} 1`, `tasks ${DAY_B} 1`]);
  });

  it("keeps everything inside the tenant's windows", async () => {
    const tenant = "ret-young";
    await seedTenant(tenant);
    await pastOrder(tenant, "o-1", A + 8 * 3_600_000, A + 9 * 3_600_000);
    await pastRejection(tenant, A + 3_600_000);
    // Defaults: 30 days of rejections, 400 of audit rows, 180 of resolved tasks; at NOW only the rejection is past its window.
    const r = await runRetention(env, NOW);
    expect(mine(tenant, r).archived).toEqual([`rejections ${DAY_A} 1`]);
    expect((await rowsOn("audit_log", tenant, DAY_A)).length).toBeGreaterThan(0);
  });
});
