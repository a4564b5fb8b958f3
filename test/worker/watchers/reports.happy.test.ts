import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { writeDailyReport } from "../../../worker/watchers/reports";
import { call, createTenant, expectError, json } from "../../helpers/http";

const MIN = 60_000;

/** Index rows as the order objects' drains leave them. */
async function seedIndex(tenant: string, now: number): Promise<void> {
  const at = (ms: number) => new Date(now - ms).toISOString();
  const handoff = env.DB.prepare(
    `INSERT INTO handoffs (tenant_id, export_id, order_id, action, step, version, status, owning_party, owner, consumer_url, attempts, issued_at, delivered_at, acked_at, updated_at)
     VALUES (?, ?, ?, 'fulfil_order', 'routing', 1, ?, 'merchant', 'wms-team@acme.example', 'https://wms.example/handoff', 1, ?, ?, ?, ?)`,
  );
  const order = env.DB.prepare(
    "INSERT INTO orders (tenant_id, order_id, state, locked, milestones, attribution, version, created_at, updated_at) VALUES (?, ?, ?, 1, '{}', '{}', 1, ?, ?)",
  );
  await env.DB.batch([
    handoff.bind(tenant, "exp_fulfil_order_v1_old", "old", "delivered", at(40 * MIN), at(39 * MIN), null, at(39 * MIN)),
    handoff.bind(tenant, "exp_fulfil_order_v1_new", "new", "delivered", at(5 * MIN), at(5 * MIN), null, at(5 * MIN)),
    handoff.bind(tenant, "exp_fulfil_order_v1_acked", "acked", "acked", at(60 * MIN), at(60 * MIN), at(58 * MIN), at(58 * MIN)),
    order.bind(tenant, "old", "paid", at(50 * MIN), at(30 * MIN)),
    order.bind(tenant, "done", "delivered", at(90 * MIN), at(80 * MIN)),
    order.bind(tenant, "new", "paid", at(6 * MIN), at(5 * MIN)),
  ]);
}

describe("missing acknowledgements", () => {
  it("lists handoffs not acked and in-flight orders without progress older than the window (default 15 min), as JSON", async () => {
    const key = await createTenant("acks");
    await seedIndex("acks", Date.now());
    const res = await call("GET", "/v1/tenants/acks/reports/missing-acks", { token: key });
    expect(res.status).toBe(200);
    const { report } = await json<{ report: { older_than_ms: number; handoffs: { export_id: string; owner: string }[]; orders: { order_id: string; state: string }[] } }>(res);
    expect(report.older_than_ms).toBe(15 * MIN);
    expect(report.handoffs.map((h) => h.export_id)).toEqual(["exp_fulfil_order_v1_old"]);
    expect(report.handoffs[0]?.owner).toBe("wms-team@acme.example");
    expect(report.orders).toEqual([expect.objectContaining({ order_id: "old", state: "paid" })]);

    const wide = await json<{ report: { handoffs: unknown[]; orders: unknown[] } }>(await call("GET", "/v1/tenants/acks/reports/missing-acks?older_than=PT1M", { token: key }));
    expect(wide.report.handoffs).toHaveLength(2);
    expect(wide.report.orders).toHaveLength(2);
  });

  it("answers CSV for format=csv or Accept: text/csv, one row per item with its kind", async () => {
    const key = await createTenant("acks-csv");
    await seedIndex("acks-csv", Date.now());
    for (const opts of [{ path: "?format=csv", headers: {} as Record<string, string> }, { path: "", headers: { accept: "text/csv" } }]) {
      const res = await call("GET", `/v1/tenants/acks-csv/reports/missing-acks${opts.path}`, { token: key, headers: opts.headers });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/csv");
      const lines = (await res.text()).trimEnd().split("\r\n");
      expect(lines[0]).toBe("kind,order_id,export_id,step,state_or_status,owner,since,age_minutes,attempts");
      expect(lines.slice(1).map((l) => l.split(",").slice(0, 3).join(","))).toEqual(["handoff_unacked,old,exp_fulfil_order_v1_old", "order_no_progress,old,"]);
    }
  });

  it("refuses a window that is not a fixed-length duration, and another tenant's key", async () => {
    const key = await createTenant("acks-bad");
    await expectError(await call("GET", "/v1/tenants/acks-bad/reports/missing-acks?older_than=P1M", { token: key }), 400, "validation_failed");
    await expectError(await call("GET", "/v1/tenants/acks/reports/missing-acks", { token: key }), 404, "not_found");
  });
});

describe("the daily report is a dated artifact", () => {
  it("is written once per UTC day by the first run after it ends, and read back by day", async () => {
    const key = await createTenant("daily");
    const now = Date.parse("2026-12-08T00:05:00Z");
    await seedIndex("daily", Date.parse("2026-12-08T00:00:00Z"));
    await env.DB.prepare(
      `INSERT INTO tasks (tenant_id, task_id, order_id, type, status, owner, owning_party, escalation, level, sla_due, title, evidence, opened_at, claimed_at, updated_at)
       VALUES ('daily', 'tk_1', 'old', 'stuck_order', 'claimed', 'ops', 'merchant', '[]', 0, '2026-12-07T12:00:00Z', 't', '{}', '2026-12-07T10:00:00.000Z', '2026-12-07T10:20:00.000Z', '2026-12-07T10:20:00.000Z')`,
    ).run();
    expect(await writeDailyReport(env, "daily", now)).toEqual({ day: "2026-12-07", written: true });
    expect(await writeDailyReport(env, "daily", now + 5 * MIN)).toEqual({ day: "2026-12-07", written: false });
    const res = await call("GET", "/v1/tenants/daily/reports/daily/2026-12-07", { token: key });
    expect(res.status).toBe(200);
    expect((await json<{ report: unknown }>(res)).report).toMatchObject({
      day: "2026-12-07",
      unacknowledged_older_than_15m: { handoffs: 1, orders: 1 },
      reconciliation_tasks_opened: { stuck_order: 1 },
      time_to_first_response_ms: { claimed: 1, median: 20 * MIN },
    });
    await expectError(await call("GET", "/v1/tenants/daily/reports/daily/2026-12-01", { token: key }), 404, "not_found");
    await expectError(await call("GET", "/v1/tenants/daily/reports/daily/yesterday", { token: key }), 400, "validation_failed");
  });
});
