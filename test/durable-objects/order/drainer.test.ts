import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { OrderStore } from "../../../durable-objects/order/store";
import { ORDER_DATA, post } from "../../helpers/handoff";
import { seedTenant, settleAlarms } from "../../helpers/http";

afterEach(async () => {
  vi.restoreAllMocks();
  await settleAlarms();
});

// The request that committed drains the outbox to D1, after its answer: the sender's
// acknowledgement waits for the durable write in the object, and for nothing the
// drain does, not even the reads and statement building before its first await.

describe("the drain after a commit", () => {
  it("starts only once the webhook has been answered, then drains the order to D1", async () => {
    await seedTenant("drain-after");
    const started: string[] = [];
    const pendingAudit = OrderStore.prototype.pendingAudit;
    // The drain's first read of the outbox: the moment it starts.
    vi.spyOn(OrderStore.prototype, "pendingAudit").mockImplementation(function (this: OrderStore, limit: number) {
      started.push("drain");
      return pendingAudit.call(this, limit);
    });

    const res = await post("drain-after", "wms", "order.created", "o-1", Date.now(), ORDER_DATA);
    expect(res.status).toBe(202);
    expect(started).toEqual([]);

    await vi.waitFor(async () => {
      const row = await env.DB.prepare("SELECT state FROM orders WHERE tenant_id = 'drain-after' AND order_id = 'o-1'").first<{ state: string }>();
      expect(row?.state).toBe("awaiting_payment");
    });
    expect(started.length).toBeGreaterThan(0);
  });
});
