import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_POLICY, POLICY_FLOOR } from "../../../domain/retention/policy";
import { toHex } from "../../../domain/crypto";
import { runRetention } from "../../../worker/retention/job";
import { ADMIN_TOKEN, call, json, seedTenant, settleAlarms } from "../../helpers/http";
import { DAY_MS, pastOrder, putRetention, rowsOn } from "../../helpers/retention";
import { gunzip } from "../../../worker/retention/archive-store";

afterEach(settleAlarms);

describe("PUT/GET /v1/tenants/:tenant/retention", () => {
  let key = "";
  beforeAll(async () => {
    key = await seedTenant("ret-policy");
  });

  it("answers the documented defaults until a policy is stored", async () => {
    const res = await call("GET", "/v1/tenants/ret-policy/retention", { token: key });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ policy: DEFAULT_POLICY, updated_at: null, defaults: DEFAULT_POLICY, floor: POLICY_FLOOR });
  });

  it("stores days given as integers or ISO-8601 weeks/days, and defaults for the fields left out", async () => {
    const res = await putRetention("ret-policy", { rejections_days: "P2W", audit_days: 730 });
    expect(res.status).toBe(200);
    const body = await json<{ policy: unknown; updated_at: string }>(res);
    expect(body.policy).toEqual({ rejections_days: 14, audit_days: 730, resolved_tasks_days: DEFAULT_POLICY.resolved_tasks_days });
    expect(body.updated_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    // The admin token reads it too.
    const read = await json<{ policy: unknown }>(await call("GET", "/v1/tenants/ret-policy/retention", { token: ADMIN_TOKEN }));
    expect(read.policy).toEqual(body.policy);
  });
});

describe("GET /v1/tenants/:tenant/archive/:day and its files", () => {
  const tenant = "ret-reader";
  const A = Date.parse("2026-03-02T00:00:00.000Z");
  let key = "";
  let archivedRows: Record<string, unknown>[] = [];

  beforeAll(async () => {
    key = await seedTenant(tenant);
    expect((await putRetention(tenant, { audit_days: 90 })).status).toBe(200);
    await pastOrder(tenant, "o-1", A + 3_600_000, A + 2 * 3_600_000);
    archivedRows = await rowsOn("audit_log", tenant, "2026-03-02");
    await runRetention(env, A + 91 * DAY_MS);
  });

  it("lists the archived tables with their manifest, files and the checkpoint entry", async () => {
    const res = await call("GET", `/v1/tenants/${tenant}/archive/2026-03-02`, { token: key });
    expect(res.status).toBe(200);
    const day = await json<{
      tables: { table: string; status: string; rows: number; files: string[]; manifest: { checkpoint_hash: string } | null; checkpoint: { data: { checkpoint_hash: string } } | null }[];
      checkpoint_chain: { valid: boolean; length: number };
    }>(res);
    expect(day.tables.map((t) => [t.table, t.status, t.rows, t.files])).toEqual([["audit_log", "done", archivedRows.length, ["manifest.json", "0001.ndjson.gz"]]]);
    expect(day.tables[0]?.checkpoint?.data.checkpoint_hash).toBe(day.tables[0]?.manifest?.checkpoint_hash);
    expect(day.checkpoint_chain).toEqual({ valid: true, length: 1, broken_at: null, reason: null });
  });

  it("serves each file byte for byte as stored, and a part as plain NDJSON on request", async () => {
    const manifest = await call("GET", `/v1/tenants/${tenant}/archive/2026-03-02/audit_log/manifest.json`, { token: key });
    expect(manifest.status).toBe(200);
    const m = await json<{ parts: { sha256: string }[] }>(manifest);
    const part = await call("GET", `/v1/tenants/${tenant}/archive/2026-03-02/audit_log/0001.ndjson.gz`, { token: ADMIN_TOKEN });
    expect(part.status).toBe(200);
    expect(part.headers.get("content-type")).toBe("application/gzip");
    const bytes = await part.arrayBuffer();
    expect(toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)))).toBe(m.parts[0]?.sha256);
    const plain = await call("GET", `/v1/tenants/${tenant}/archive/2026-03-02/audit_log/0001.ndjson.gz?format=ndjson`, { token: key });
    expect(plain.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    const text = await plain.text();
    expect(text).toBe(await gunzip(bytes));
    expect(text.trim().split("\n").map((l) => JSON.parse(l) as unknown)).toEqual(archivedRows);
  });
});
