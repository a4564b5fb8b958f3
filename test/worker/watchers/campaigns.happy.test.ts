import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hourKey } from "../../../domain/watchers/baseline";
import { runWatchers } from "../../../worker/watchers/run";
import { fetchExport, parseNdjson } from "../../helpers/analytics-exports";
import { ADMIN_TOKEN, call, json, keyFor, seedTenant, SECRETS } from "../../helpers/http";

const MIN = 60_000;
const HOUR = 60 * MIN;

interface TaskView {
  task_id: string;
  type: string;
  status: string;
  owner: string;
  title: string;
  resolution: string | null;
  evidence: Record<string, unknown>;
}

/** Counter rows as the drains write them (the counting path has its own tests in silence.happy). */
async function count(tenant: string, source: string, at: number, kind: string, n: number): Promise<void> {
  await env.DB.prepare(
    "INSERT INTO source_counts (tenant_id, source, hour, kind, n, last_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO UPDATE SET n = n + excluded.n, last_at = max(last_at, excluded.last_at)",
  )
    .bind(tenant, source, hourKey(at), kind, n, new Date(at).toISOString())
    .run();
}

async function task(tenant: string, key: string, id: string): Promise<TaskView> {
  return (await json<{ task: TaskView }>(await call("GET", `/v1/tenants/${tenant}/tasks/${id}`, { token: key }))).task;
}

describe("campaign pre-flight", () => {
  it("signs off a campaign once (idempotent on the same body), lists and reads it, and records who signed off and which key acted", async () => {
    const key = await seedTenant("camp-crud");
    const marketing = await keyFor("camp-crud", "marketing-lead", "merchant_admin");
    const t0 = Date.now();
    const body = { id: "bfcm", name: "Black Friday", starts_at: new Date(t0 + HOUR).toISOString(), ends_at: new Date(t0 + 49 * HOUR).toISOString(), expected: { shop: { per_hour: 400 }, stripe: { per_hour: 350 } }, signed_off_by: "Dana Ruiz (ops lead)" };
    const first = await call("POST", "/v1/tenants/camp-crud/campaigns", { token: marketing, body });
    expect(first.status).toBe(201);
    const { campaign } = await json<{ campaign: Record<string, unknown> }>(first);
    expect(campaign).toMatchObject({ id: "bfcm", status: "scheduled", signed_off_by: "Dana Ruiz (ops lead)", created_by: "marketing-lead", cancelled_at: null });
    const again = await call("POST", "/v1/tenants/camp-crud/campaigns", { token: marketing, body: { ...body, expected: { stripe: { per_hour: 350 }, shop: { per_hour: 400 } } } });
    expect(again.status).toBe(200);
    expect((await json<{ campaign: unknown }>(again)).campaign).toEqual(campaign);

    const list = await json<{ campaigns: { id: string }[] }>(await call("GET", "/v1/tenants/camp-crud/campaigns", { token: key }));
    expect(list.campaigns.map((c) => c.id)).toEqual(["bfcm"]);
    expect((await json<{ campaign: unknown }>(await call("GET", "/v1/tenants/camp-crud/campaigns/bfcm", { token: key }))).campaign).toEqual(campaign);

    const audit = await json<{ entries: { type: string; actor: string; data: Record<string, unknown> }[]; chain_valid: boolean }>(await call("GET", "/v1/tenants/camp-crud/admin-audit", { token: key }));
    const created = audit.entries.filter((e) => e.type === "campaign.created");
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ actor: "marketing-lead", data: { campaign: "bfcm", signed_off_by: "Dana Ruiz (ops lead)", expected: body.expected } });
    expect(audit.chain_valid).toBe(true);

    const cancelled = await call("POST", "/v1/tenants/camp-crud/campaigns/bfcm/cancel", { token: marketing, body: { reason: "launch moved to January" } });
    expect(cancelled.status).toBe(200);
    expect((await json<{ campaign: unknown }>(cancelled)).campaign).toMatchObject({ status: "cancelled", cancelled_by: "marketing-lead", cancel_reason: "launch moved to January" });
    // Again: answered as it is, recorded once.
    expect((await call("POST", "/v1/tenants/camp-crud/campaigns/bfcm/cancel", { token: marketing })).status).toBe(200);
    const after = await json<{ entries: { type: string }[] }>(await call("GET", "/v1/tenants/camp-crud/admin-audit", { token: key }));
    expect(after.entries.filter((e) => e.type === "campaign.cancelled")).toHaveLength(1);
  });

  it("replaces the learned baseline while it runs: a shortfall opens one volume_below_expected task with the campaign as evidence, which resolves when the volume is back", async () => {
    const key = await seedTenant("camp-short");
    // The wms is watched for silence too: during the campaign the campaign judges it, so no second task opens.
    expect((await call("PUT", "/v1/tenants/camp-short/sources/wms", { token: ADMIN_TOKEN, body: { kind: "standard", secret: SECRETS.standard, watch: { silence_after: "PT30M" } } })).status).toBe(200);
    const t0 = Date.now();
    const body = { id: "flash", name: "Flash sale", starts_at: new Date(t0).toISOString(), ends_at: new Date(t0 + 48 * HOUR).toISOString(), expected: { wms: { per_hour: 600 } }, signed_off_by: "Lee Park" };
    expect((await call("POST", "/v1/tenants/camp-short/campaigns", { token: ADMIN_TOKEN, body })).status).toBe(201);

    await count("camp-short", "wms", t0 + 5 * MIN, "verified", 20);
    await count("camp-short", "wms", t0 + 10 * MIN, "signature_invalid", 40);
    const run = await runWatchers(env, "camp-short", t0 + 40 * MIN);
    expect(run.opened.volume_below_expected).toHaveLength(1);
    expect(run.opened.source_silent).toEqual([]);
    const verdict = run.sources.find((s) => s.source === "wms")?.campaign;
    expect(verdict).toMatchObject({ below: true, seen: 20, expected: 400, fraction: 0.5, expected_per_hour: 600, rejections: { signature_invalid: 40 }, likely_cause: "rotated_secret" });
    const id = run.opened.volume_below_expected[0] ?? "";
    const t = await task("camp-short", key, id);
    expect(t).toMatchObject({ type: "volume_below_expected", status: "open", owner: "ops@camp-short.example" });
    expect(t.title).toContain("Flash sale");
    expect(t.evidence).toMatchObject({ watcher: "volume_below_expected", campaign: { id: "flash", name: "Flash sale", signed_off_by: "Lee Park" }, source: "wms", seen: 20, rejections: { signature_invalid: 40 } });
    expect((t.evidence.hours as unknown[]).length).toBeGreaterThan(0);

    // The same shortfall on the next sweeps: still one task.
    expect((await runWatchers(env, "camp-short", t0 + 45 * MIN)).opened.volume_below_expected).toEqual([]);

    // The volume is back: the task resolves itself, saying so.
    await count("camp-short", "wms", t0 + 50 * MIN, "verified", 600);
    await count("camp-short", "wms", t0 + 65 * MIN, "verified", 600);
    const back = await runWatchers(env, "camp-short", t0 + 70 * MIN);
    expect(back.closed.volume_below_expected).toEqual([id]);
    const done = await task("camp-short", key, id);
    expect(done).toMatchObject({ status: "resolved", evidence: { recovery: { reason: "recovered", verdict: { below: false } } } });
    expect(done.resolution).toMatch(/^recovered: /);
  });

  it("closes an open shortfall when its campaign is cancelled, and puts every decision on the ~watchers chain the events export carries", async () => {
    const key = await seedTenant("camp-chain");
    const t0 = Date.now();
    const body = { id: "launch", name: "Spring launch", starts_at: new Date(t0).toISOString(), ends_at: new Date(t0 + 24 * HOUR).toISOString(), expected: { shop: { per_hour: 120 } }, signed_off_by: "Sam Okafor" };
    expect((await call("POST", "/v1/tenants/camp-chain/campaigns", { token: ADMIN_TOKEN, body })).status).toBe(201);
    const run = await runWatchers(env, "camp-chain", t0 + 30 * MIN);
    const id = run.opened.volume_below_expected[0] ?? "";
    expect(id).not.toBe("");
    expect((await call("POST", "/v1/tenants/camp-chain/campaigns/launch/cancel", { token: ADMIN_TOKEN, body: { reason: "sender migration" } })).status).toBe(200);
    const after = await runWatchers(env, "camp-chain", t0 + 35 * MIN);
    expect(after.closed.volume_below_expected).toEqual([id]);
    expect(after.opened.volume_below_expected).toEqual([]);
    expect(await task("camp-chain", key, id)).toMatchObject({ status: "resolved", resolution: "the campaign was cancelled: its expectation no longer applies" });

    const trail = await json<{ entries: { seq: number; type: string; data: Record<string, unknown> }[]; chain_valid: boolean }>(await call("GET", "/v1/tenants/camp-chain/watchers/audit", { token: key }));
    expect(trail.chain_valid).toBe(true);
    expect(trail.entries.map((e) => e.type)).toEqual(["campaign.created", "watcher.task_opened", "campaign.cancelled", "watcher.task_closed"]);
    expect(trail.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(trail.entries[1]?.data).toMatchObject({ task_id: id, kind: "volume_below_expected", owner: "ops@camp-chain.example", source: "shop", evidence: { campaign: { id: "launch" } } });
    expect(trail.entries[3]?.data).toMatchObject({ task_id: id, closed_as: "resolved", recovery: { reason: "campaign_cancelled" } });

    const { text } = await fetchExport("camp-chain", "events", "ndjson", key);
    // The export orders by time; the runs here were given clocks ahead of the cancel's, so compare in chain order.
    const rows = parseNdjson("events", text)
      .filter((r) => r.order_id === "~watchers")
      .sort((a, b) => Number(a.seq) - Number(b.seq));
    expect(rows.map((r) => r.type)).toEqual(trail.entries.map((e) => e.type));
    expect(rows[1]).toMatchObject({ kind: "volume_below_expected", owner: "ops@camp-chain.example", source: "shop", step: "routing" });
  });
});
