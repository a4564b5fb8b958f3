import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { freshScenario, script } from "../../helpers/consumer";
import { advance, getOrder, handoffTenant, orderStub, paidOrder, setClock } from "../../helpers/handoff";
import { call, json, settleAlarms } from "../../helpers/http";
import { drainNotifier, withNotifier } from "../../helpers/notify";

// The index drain's hand-over of the order's notices, when it fails after D1 took the batch, is retried
// even if the object restarts before the retry: the drained watermark is in memory and a restarted object
// learns it from D1, which already holds the batch (found by the session-9 review; failed() in drain.ts).

interface OrderBody {
  order: { outbox: { pending: number; attempts: number } };
}

async function scenario(tenant: string, restart: boolean): Promise<void> {
  const orderId = "o-rv1";
  {
    const wms = freshScenario("wms");
    const key = await handoffTenant(tenant, wms, freshScenario("carrier"));
    await script(wms, [{ status: 422, body: '{"error":"SKU MUG-01 not stocked at this DC"}' }]);
    const T0 = Math.ceil((Date.now() + 60_000) / 1000) * 1000;
    const o = orderStub(tenant, orderId);
    await setClock(o, T0);
    await paidOrder(tenant, orderId, T0);
    await advance(o, T0);
    expect((await getOrder(tenant, orderId, key)).state).toBe("on_hold");
    await settleAlarms();
    await drainNotifier(tenant);
    const listed = await json<{ tasks: { task_id: string; type: string }[] }>(await call("GET", `/v1/tenants/${tenant}/tasks?order_id=${orderId}`, { token: key }));
    const taskId = listed.tasks.find((t) => t.type === "consumer_rejected")?.task_id ?? "";
    expect(taskId).not.toBe("");
    const phases = () => withNotifier(tenant, (_n, state) => state.storage.sql.exec<{ phase: string }>("SELECT phase FROM notices WHERE subject = ? ORDER BY phase", taskId).toArray().map((r) => r.phase));
    expect(await phases()).toEqual(["alert"]);

    // The notifier refuses the hand-over (its table is away): D1 takes the drain's batch, the drain fails after it.
    await withNotifier(tenant, (_n, state) => state.storage.sql.exec("ALTER TABLE notices RENAME TO notices_away"));
    try {
      const res = await call("POST", `/v1/tenants/${tenant}/tasks/${taskId}/resolve`, {
        token: key,
        body: { resolution: "stock moved", justification: "re-stocked DC", action: "close", by: "ana" },
      });
      expect(res.status).toBe(200);
      const attempts = async () => (await json<OrderBody>(await call("GET", `/v1/tenants/${tenant}/orders/${orderId}`, { token: key }))).order.outbox.attempts;
      await expect.poll(attempts, { timeout: 10_000 }).toBe(1);
    } finally {
      await withNotifier(tenant, (_n, state) => state.storage.sql.exec("ALTER TABLE notices_away RENAME TO notices"));
    }

    // The object restarts before its retry: the retry must still hand the resolution over.
    if (restart) await evictDurableObject(o);
    await setClock(o, T0 + 120_000);
    expect(await o.flush()).toMatchObject({ error: null });
    await settleAlarms();
    expect(await phases()).toEqual(["alert", "resolve"]);
  }
}

describe("a drain whose notices were not handed over", () => {
  it("hands them over on its retry (control: no restart)", () => scenario("rv-notify-a", false));
  it("hands them over after a restart: the task's resolution reaches the notifier", () => scenario("rv-notify-b", true));
});
