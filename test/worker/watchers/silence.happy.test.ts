import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { standardHeaders } from "../../../cli/sign";
import { runWatchers } from "../../../worker/watchers/run";
import { orderStub, ORDER_DATA, post } from "../../helpers/handoff";
import { ADMIN_TOKEN, call, createTenant, expectError, json, SECRETS, seedTenant, settleAlarms } from "../../helpers/http";

afterEach(settleAlarms);

const HOUR = 3_600_000;

async function watch(tenant: string, source: string, silence_after: string | null): Promise<void> {
  const res = await call("PUT", `/v1/tenants/${tenant}/sources/${source}`, { token: ADMIN_TOKEN, body: { kind: "standard", secret: SECRETS.standard, watch: silence_after === null ? null : { silence_after } } });
  expect(res.status).toBe(200);
}

/** A delivery signed with a secret the tenant does not have: what a sender that rotated its secret looks like. */
async function wronglySigned(tenant: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify({ type: "order.created", order_id: `rot-${i}`, occurred_at: new Date().toISOString(), data: ORDER_DATA });
    const headers = await standardHeaders({ body, secret: "whsec_cm90YXRlZC1zZWNyZXQtMDEyMzQ1Njc4OQ==", id: `rot_${i}_${Date.now()}` });
    await expectError(await call("POST", `/v1/tenants/${tenant}/webhooks/wms`, { raw: body, headers }), 401, "signature_invalid");
  }
}

interface TaskView {
  type: string;
  status: string;
  owner: string;
  title: string;
  resolution: string | null;
  evidence: Record<string, unknown>;
}

describe("senders that go quiet", () => {
  it("counts verified receipts per hour on the drain and refusals per code", async () => {
    await seedTenant("counted");
    expect((await post("counted", "wms", "order.created", "c-1", Date.now(), ORDER_DATA)).status).toBe(202);
    expect((await post("counted", "wms", "order.created", "c-2", Date.now(), ORDER_DATA)).status).toBe(202);
    await orderStub("counted", "c-1").flush();
    await orderStub("counted", "c-2").flush();
    await wronglySigned("counted", 2);
    const rows = await env.DB.prepare("SELECT hour, kind, n FROM source_counts WHERE tenant_id = 'counted' AND source = 'wms' ORDER BY hour, kind").all<{ hour: string; kind: string; n: number }>();
    const byKind = (kind: string) => rows.results.filter((r) => r.kind === kind).reduce((a, r) => a + r.n, 0);
    expect(byKind("verified")).toBe(2);
    expect(byKind("signature_invalid")).toBe(2);
    // Hour rows only: the last verified delivery is read from the newest verified hour, not a running total per receipt.
    expect(rows.results.every((r) => /^\d{4}-\d{2}-\d{2}T\d{2}$/.test(r.hour))).toBe(true);
  });

  it("opens one source_silent task per outage, names a rotated secret, and resolves it with the recovery at the next verified delivery", async () => {
    const key = await seedTenant("quiet-shop");
    await watch("quiet-shop", "wms", "PT1H");
    expect((await post("quiet-shop", "wms", "order.created", "q-1", Date.now(), ORDER_DATA)).status).toBe(202);
    await orderStub("quiet-shop", "q-1").flush();
    const sent = Date.now();

    expect((await runWatchers(env, "quiet-shop", sent + 30 * 60_000)).opened.source_silent).toEqual([]);
    await wronglySigned("quiet-shop", 4);
    const later = sent + HOUR + 5_000;
    const run = await runWatchers(env, "quiet-shop", later);
    // Only wms is watched; the other senders never sent and have no baseline, so nothing is expected of them.
    expect(run.opened.source_silent).toHaveLength(1);
    const id = run.opened.source_silent[0] ?? "";
    const res = await call("GET", `/v1/tenants/quiet-shop/tasks/${id}`, { token: key });
    const t = (await json<{ task: TaskView }>(res)).task;
    expect(t).toMatchObject({ type: "source_silent", status: "open", owner: "ops@quiet-shop.example" });
    expect(t.title).toContain("likely a rotated secret");
    expect(t.evidence).toMatchObject({
      watcher: "source_silent",
      source: { name: "wms", watch: { silence_after: "PT1H" } },
      reason: "no_verified_delivery",
      seen: 0,
      expected: null,
      baseline: "not_learned",
      rejections: { signature_invalid: 4 },
      likely_cause: "rotated_secret",
    });
    expect(Date.parse(String(t.evidence.last_verified_receipt_at))).toBeLessThanOrEqual(sent);

    // The same outage on the next sweeps: still one task.
    expect((await runWatchers(env, "quiet-shop", later + 5 * 60_000)).opened.source_silent).toEqual([]);

    // The sender is back: the task resolves itself and records when and how.
    expect((await post("quiet-shop", "wms", "order.created", "q-2", Date.now(), ORDER_DATA)).status).toBe(202);
    await orderStub("quiet-shop", "q-2").flush();
    const back = await runWatchers(env, "quiet-shop", Date.now() + 60_000);
    expect(back.closed.source_silent).toEqual([id]);
    const done = (await json<{ task: TaskView }>(await call("GET", `/v1/tenants/quiet-shop/tasks/${id}`, { token: key }))).task;
    expect(done.status).toBe("resolved");
    expect(done.resolution).toMatch(/^recovered: verified delivery at /);
    expect(done.evidence).toMatchObject({ recovery: { at: expect.any(String), verdict: { silent: false } } });
  });

  it("leaves an unwatched sender without history alone", async () => {
    await seedTenant("unwatched");
    expect((await post("unwatched", "wms", "order.created", "u-1", Date.now(), ORDER_DATA)).status).toBe(202);
    await orderStub("unwatched", "u-1").flush();
    const run = await runWatchers(env, "unwatched", Date.now() + 6 * HOUR);
    expect(run.opened.source_silent).toEqual([]);
    expect(run.sources.find((s) => s.source === "wms")?.verdict).toMatchObject({ silent: false, baseline: "not_learned" });
  });
});

describe("POST /v1/tenants/:tenant/watchers/run", () => {
  it("runs the watchers for the key's tenant and says what it cost", async () => {
    const key = await createTenant("runner");
    const res = await call("POST", "/v1/tenants/runner/watchers/run", { token: key });
    expect(res.status).toBe(200);
    const { run } = await json<{ run: { tenant: string; opened: unknown; cost: { queries: number; rows_read: number } } }>(res);
    expect(run).toMatchObject({ tenant: "runner", opened: { stuck_order: [], source_silent: [] } });
    expect(run.cost.queries).toBeGreaterThan(0);
  });

  it("refuses another tenant's key (404) and no key (401)", async () => {
    const other = await createTenant("runner-other");
    await createTenant("runner-2");
    await expectError(await call("POST", "/v1/tenants/runner-2/watchers/run", { token: other }), 404, "not_found");
    await expectError(await call("POST", "/v1/tenants/runner-2/watchers/run"), 401, "unauthorized");
  });
});
