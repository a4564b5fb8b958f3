import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { chainHash, GENESIS_HASH } from "../../../domain/audit-chain";
import { runRetention } from "../../../worker/retention/job";
import { seedTenant, settleAlarms } from "../../helpers/http";
import { checkpointChain, DAY_MS, pastOrder, putRetention, rowsOn } from "../../helpers/retention";

afterEach(settleAlarms);

/**
 * The audit trail stays append-only against everyone but the retention job:
 * someone with a D1 console (or a bug) who deletes or rewrites rows is refused
 * by the database itself, whatever checkpoint rows they can see.
 */
const tenant = "ret-guard";
const A = Date.parse("2026-03-02T00:00:00.000Z");
const DAY_A = "2026-03-02";
const DAY_B = "2026-03-03";
const NOW = A + 91 * DAY_MS + 12 * 3_600_000;

const checkpoint = (day: string, status: string) =>
  env.DB.prepare(
    `INSERT INTO retention_checkpoints (tenant_id, tbl, day, status, rows, manifest_key, manifest_sha256, checkpoint_hash) VALUES (?, 'audit_log', ?, ?, 1, 'k', 's', 'h')
     ON CONFLICT (tenant_id, tbl, day) DO UPDATE SET status = excluded.status`,
  )
    .bind(tenant, day, status)
    .run();
/** Both audit tables hold rows of each day (the order's entries in audit_blocks, a watcher's in audit_log): each must refuse. */
const TABLES = ["audit_log", "audit_blocks"] as const;
const refusesDelete = async (day: string) => {
  for (const t of TABLES) await expect(env.DB.prepare(`DELETE FROM ${t} WHERE tenant_id = ? AND substr(at, 1, 10) = ?`).bind(tenant, day).run(), t).rejects.toThrow(/append-only/);
};
/** A link of a `~watchers` chain with its real hash: the job refuses to archive a row whose hash does not fit. */
let watcherHead = GENESIS_HASH;
const watcherEntry = async (seq: number, at: number) => {
  const link = { tenant, order_id: "~watchers", seq, at: new Date(at).toISOString(), type: "watcher.checked", data: "{}", prev_hash: watcherHead };
  watcherHead = chainHash(link);
  await env.DB.prepare("INSERT INTO audit_log (tenant_id, order_id, seq, at, type, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    .bind(tenant, link.order_id, seq, link.at, link.type, link.data, link.prev_hash, watcherHead)
    .run();
};

beforeAll(async () => {
  await seedTenant(tenant);
  expect((await putRetention(tenant, { audit_days: 90 })).status).toBe(200);
  await pastOrder(tenant, "o-1", A + 10 * 3_600_000, A + DAY_MS + 10 * 3_600_000);
  await watcherEntry(1, A + 11 * 3_600_000);
  await watcherEntry(2, A + DAY_MS + 11 * 3_600_000);
});

describe("audit_log refuses DELETE and UPDATE outside the retention job", () => {
  it("refuses a plain DELETE", async () => {
    for (const t of TABLES) await expect(env.DB.prepare(`DELETE FROM ${t} WHERE tenant_id = ?`).bind(tenant).run(), t).rejects.toThrow(/append-only/);
    await refusesDelete(DAY_A);
    expect((await rowsOn("audit_log", tenant, DAY_A)).length).toBeGreaterThan(0);
  });

  it("refuses a DELETE under a checkpoint that is only 'archived', or under another day's open one", async () => {
    await checkpoint(DAY_A, "archived");
    await refusesDelete(DAY_A);
    await checkpoint(DAY_A, "deleting");
    await refusesDelete(DAY_B);
    await checkpoint(DAY_A, "archived");
    expect((await rowsOn("audit_log", tenant, DAY_B)).length).toBeGreaterThan(0);
  });

  it("refuses UPDATE, even under an open checkpoint", async () => {
    await checkpoint(DAY_A, "deleting");
    await expect(env.DB.prepare("UPDATE audit_log SET data = '{}' WHERE tenant_id = ?").bind(tenant).run()).rejects.toThrow(/append-only/);
    await expect(env.DB.prepare("UPDATE audit_blocks SET entries = '[]' WHERE tenant_id = ?").bind(tenant).run()).rejects.toThrow(/append-only/);
    await checkpoint(DAY_A, "archived");
  });

  it("lets the job's own DELETE through, then refuses to touch its checkpoint chain or reopen the day", async () => {
    const r = await runRetention(env, NOW);
    expect(r.archived.filter((a) => a.tenant === tenant).map((a) => [a.table, a.day])).toEqual([["audit_log", DAY_A]]);
    expect(await rowsOn("audit_log", tenant, DAY_A)).toEqual([]);
    expect(await checkpointChain(tenant)).toHaveLength(1);

    await expect(env.DB.prepare("DELETE FROM audit_log WHERE tenant_id = ? AND order_id = '~retention'").bind(tenant).run()).rejects.toThrow(/append-only/);
    await expect(env.DB.prepare("DELETE FROM retention_checkpoints WHERE tenant_id = ?").bind(tenant).run()).rejects.toThrow(/append-only/);
    await expect(checkpoint(DAY_A, "deleting")).rejects.toThrow(/final/);
    // With the day done, the rows it covered cannot be deleted again by anyone, nor their successors.
    await refusesDelete(DAY_B);
    expect(await checkpointChain(tenant)).toHaveLength(1);
  });
});
