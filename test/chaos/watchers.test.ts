import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { Task } from "../../domain/tasks/task";
import { missingAcks, MISSING_ACKS_WINDOW_MS } from "../../worker/watchers/reports";
import { runWatchers } from "../../worker/watchers/run";
import { fetchExport } from "../helpers/analytics-exports";
import { script } from "../helpers/consumer";
import { orderStub, ORDER_DATA, post } from "../helpers/handoff";
import { ADMIN_TOKEN, call, json, SECRETS, seedTenant, settleAlarms } from "../helpers/http";
import type { TaskRow } from "../../worker/analytics-exports/rows";
import { mapPool } from "../helpers/invariants";
import { Campaign, rng, shuffle } from "./campaign";

// Every order object of the file is settled after each test: on a shared machine that outlasts the default 10 s.
afterEach(settleAlarms, 60_000);

const MIN = 60_000;

/** The tasks export's rows for these tasks: what the notebook's time to detect reads. */
async function exported(tenant: string, key: string, ids: readonly string[]): Promise<TaskRow[]> {
  const { text } = await fetchExport(tenant, "tasks", "ndjson", key);
  const rows = text.trim().split("\n").map((l) => JSON.parse(l) as TaskRow);
  return rows.filter((r) => ids.includes(r.task_id));
}

async function task(tenant: string, key: string, id: string): Promise<Task> {
  const res = await call("GET", `/v1/tenants/${tenant}/tasks/${id}`, { token: key });
  expect(res.status).toBe(200);
  return (await json<{ task: Task }>(res)).task;
}

/**
 * The three ways an order goes unwatched that the watchers exist for, each
 * under chaos (duplicates, reordering, forged deliveries) and each detected as
 * a task with an owner and evidence: a sender that stops (a deleted Shopify
 * subscription), a tenant with no ownership rules, and a consumer that never
 * acknowledges. Time is moved by passing `now` to the watchers and the
 * objects' clock seam; nothing waits on the wall clock.
 */
describe("chaos: the watchers find what would otherwise sit silent", () => {
  it("a sender that stops mid-campaign (forged deliveries do not count as it sending): one source_silent task per outage with its last receipt as evidence, resolved when it is back", async () => {
    const c = await Campaign.open("chaos-silent");
    const put = await call("PUT", `/v1/tenants/${c.tenant}/sources/shop`, { token: ADMIN_TOKEN, body: { kind: "shopify", secret: SECRETS.shopify, watch: { silence_after: "PT30M" } } });
    expect(put.status).toBe(200);
    const random = rng(13);
    const ids = c.newOrders(6);
    // The shop sends, duplicated and out of order, then stops; Stripe carries on.
    const created = ids.map((o) => c.delivery(o, "created"));
    for (const d of shuffle([...created, ...created.slice(0, 3)], random)) await c.send(d);
    await c.runDue(ids, c.t0);
    const more = c.newOrders(3);
    for (const o of more) await c.send(c.delivery(o, "captured"));
    // Deliveries signed with a secret the tenant does not have (the shop rotated its secret): refused, counted.
    for (const o of more.slice(0, 3)) await c.send(c.delivery(o, "created"), { forged: true });
    await c.runDue([...ids, ...more], c.t0 + 1000);

    const quiet = await runWatchers(env, c.tenant, c.clock + 10 * MIN);
    expect(quiet.opened.source_silent).toEqual([]);
    const at = c.clock + 31 * MIN;
    const run = await runWatchers(env, c.tenant, at);
    expect(run.opened.source_silent).toHaveLength(1);
    const [id = ""] = run.opened.source_silent;
    const t = await task(c.tenant, c.key, id);
    expect(t).toMatchObject({ type: "source_silent", status: "open", owner: expect.stringMatching(/@/) });
    expect(t.evidence).toMatchObject({
      watcher: "source_silent",
      source: { name: "shop", watch: { silence_after: "PT30M" } },
      reason: "no_verified_delivery",
    });
    const last = Date.parse(String(t.evidence.last_verified_receipt_at));
    expect(last).toBeLessThanOrEqual(at - 30 * MIN);
    // The export times the detection from the last verified receipt.
    expect(await exported(c.tenant, c.key, [id])).toEqual([expect.objectContaining({ onset_at: new Date(last).toISOString(), detect_ms: Date.parse(t.opened_at) - last })]);
    // The other senders are not watched and have no baseline: nothing is expected of them.
    expect(run.sources.filter((s) => s.verdict.silent).map((s) => s.source)).toEqual(["shop"]);
    // Sweeps repeated, even concurrently, do not open a second task for the same outage.
    const again = await Promise.all([runWatchers(env, c.tenant, at + 5 * MIN), runWatchers(env, c.tenant, at + 5 * MIN)]);
    expect(again.flatMap((r) => r.opened.source_silent)).toEqual([]);

    // The shop is back: the task resolves itself with the recovery recorded.
    const back = c.newOrders(1);
    c.clock = at + 9 * MIN;
    await c.send(c.delivery(back[0] ?? "", "created"));
    await c.runDue(back, c.clock + 1000);
    const recovered = await runWatchers(env, c.tenant, at + 10 * MIN);
    expect(recovered.closed.source_silent).toEqual([id]);
    expect(recovered.opened.source_silent).toEqual([]);
    expect(await task(c.tenant, c.key, id)).toMatchObject({ status: "resolved", evidence: { recovery: { verdict: { silent: false } } } });
  }, 60_000);

  it("a tenant with no ownership rules: every order left paid gets a stuck_order task for the default owner, duplicates and reordering notwithstanding", async () => {
    const key = await seedTenant("chaos-ruleless");
    const t0 = Date.now();
    const ids = ["rl-a", "rl-b", "rl-c", "rl-d"];
    const random = rng(7);
    const sends = ids.flatMap((o) => [
      () => post("chaos-ruleless", "wms", "order.created", o, t0 - 2000, ORDER_DATA, `msg_created_${o}`),
      () => post("chaos-ruleless", "wms", "payment.captured", o, t0 - 1000, { amount: ORDER_DATA.total, payment_id: `pi_${o}` }, `msg_captured_${o}`),
    ]);
    // Every delivery twice, in a shuffled order: captures may land before their order.
    for (const send of shuffle([...sends, ...sends], random)) expect([200, 202]).toContain((await send()).status);
    // One order is cancelled: terminal, nobody needs to watch it.
    expect((await post("chaos-ruleless", "wms", "order.cancelled", "rl-d", t0, { reason: "customer" })).status).toBe(202);
    await mapPool(ids, 4, (o) => orderStub("chaos-ruleless", o).flush());

    // No rules means no clocks: before the built-in routing SLA (1 h) nothing is due.
    expect((await runWatchers(env, "chaos-ruleless", t0 + 30 * MIN)).opened.stuck_order).toEqual([]);
    const run = await runWatchers(env, "chaos-ruleless", t0 + 61 * MIN);
    expect(run.opened.stuck_order).toHaveLength(3);
    const tasks = await Promise.all(run.opened.stuck_order.map((id) => task("chaos-ruleless", key, id)));
    expect(tasks.map((t) => t.order_id).sort()).toEqual(["rl-a", "rl-b", "rl-c"]);
    for (const t of tasks) {
      expect(t).toMatchObject({ type: "stuck_order", status: "open", owner: "ops@chaos-ruleless.example" });
      expect(t.evidence).toMatchObject({ watcher: "stuck_order", order: { state: "paid", step: "routing" }, sla: { ms: 3_600_000, from: "built_in_default" } });
    }
    expect((await runWatchers(env, "chaos-ruleless", t0 + 2 * 60 * MIN)).opened.stuck_order).toEqual([]);
    // Exported, each is timed from when its step came due (in its state since + the built-in hour).
    for (const r of await exported("chaos-ruleless", key, run.opened.stuck_order)) {
      const t = tasks.find((x) => x.task_id === r.task_id);
      const since = Date.parse(String((t?.evidence.order as { since?: string } | undefined)?.since));
      expect(r).toMatchObject({ onset_at: new Date(since + 3_600_000).toISOString(), detect_ms: t0 + 61 * MIN - (since + 3_600_000) });
    }
  }, 60_000);

  it("a consumer that takes the handoff and never acknowledges: it shows in the missing-acks report, then the order is held with an ack_missing task for its owner", async () => {
    const c = await Campaign.open("chaos-noack");
    // The WMS answers 200 to every delivery and never calls back.
    await script(c.wms, [], { status: 200, body: "ok" });
    const ids = c.newOrders(3);
    for (const o of ids) {
      // The capture first, then the order, the order twice.
      await c.send(c.delivery(o, "captured"));
      await c.send(c.delivery(o, "created"));
      await c.send(c.delivery(o, "created"));
    }
    await c.runDue(ids, c.t0);
    await c.runDue(ids, c.t0 + 1000);
    const report = await missingAcks(env, c.tenant, MISSING_ACKS_WINDOW_MS, c.t0 + 16 * MIN);
    expect(report.handoffs.map((h) => h.order_id).sort()).toEqual([...ids].sort());
    for (const h of report.handoffs) expect(h).toMatchObject({ step: "routing", status: "delivered", owner: expect.stringMatching(/@/) });

    // Past the ack deadline (redelivered once), then past escalation.
    await c.runDue(ids, c.t0 + 10 * MIN);
    await c.runDue(ids, c.t0 + 31 * MIN);
    for (const o of ids) {
      const held = (await c.tasks(o)).filter((t) => t.type === "ack_missing");
      expect(held).toHaveLength(1);
      expect(held[0]).toMatchObject({ status: "open", step: "routing" });
      expect(held[0]?.owner).toMatch(/@/);
    }
    expect(await c.unowned(ids)).toEqual([]);
  }, 60_000);
});
