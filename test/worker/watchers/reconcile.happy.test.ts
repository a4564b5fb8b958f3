import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { runWatchers } from "../../../worker/watchers/run";
import { orderStub, ORDER_DATA, post } from "../../helpers/handoff";
import { call, json, seedTenant, settleAlarms } from "../../helpers/http";

afterEach(settleAlarms);

const HOUR = 3_600_000;

interface TaskView {
  type: string;
  status: string;
  owner: string;
  resolution: string | null;
  evidence: { mismatch: { kind: string }; receipts: { have: { source: string; events: { type: string }[] }[]; other_side: unknown[] } };
}

describe("cross-system receipts", () => {
  it("a capture whose order never arrived opens one reconciliation_mismatch naming the capture's receipt, closed when the order arrives", async () => {
    const key = await seedTenant("recon");
    const t0 = Date.now();
    expect((await post("recon", "wms", "payment.captured", "cap-1", t0, { amount: ORDER_DATA.total, payment_id: "pi_9" })).status).toBe(202);
    await orderStub("recon", "cap-1").flush();
    expect((await runWatchers(env, "recon", t0 + 30 * 60_000)).opened.reconciliation_mismatch).toEqual([]);
    const run = await runWatchers(env, "recon", t0 + 2 * HOUR);
    expect(run.opened.reconciliation_mismatch).toHaveLength(1);
    const id = run.opened.reconciliation_mismatch[0] ?? "";
    const t = (await json<{ task: TaskView }>(await call("GET", `/v1/tenants/recon/tasks/${id}`, { token: key }))).task;
    expect(t).toMatchObject({ type: "reconciliation_mismatch", status: "open", owner: "ops@recon.example" });
    expect(t.evidence.mismatch.kind).toBe("capture_without_order");
    expect(t.evidence.receipts.have).toEqual([expect.objectContaining({ source: "wms", events: [expect.objectContaining({ type: "payment.captured" })] })]);
    expect(t.evidence.receipts.other_side).toEqual([]);
    expect((await runWatchers(env, "recon", t0 + 3 * HOUR)).opened.reconciliation_mismatch).toEqual([]);

    expect((await post("recon", "wms", "order.created", "cap-1", t0 - 1000, ORDER_DATA)).status).toBe(202);
    await orderStub("recon", "cap-1").flush();
    expect((await runWatchers(env, "recon", t0 + 4 * HOUR)).closed.reconciliation_mismatch).toEqual([id]);
  });

  it("a shipment for a cancelled order is a mismatch, not a quiet terminal state", async () => {
    const key = await seedTenant("recon-ship");
    const t0 = Date.now();
    expect((await post("recon-ship", "wms", "order.created", "s-1", t0 - 3000, ORDER_DATA)).status).toBe(202);
    expect((await post("recon-ship", "wms", "order.cancelled", "s-1", t0 - 2000, { reason: "customer" })).status).toBe(202);
    expect((await post("recon-ship", "carrier", "shipment.shipped", "s-1", t0 - 1000, { carrier: "ups", tracking_number: "1Z999" })).status).toBe(202);
    await orderStub("recon-ship", "s-1").flush();
    const run = await runWatchers(env, "recon-ship", t0 + 2 * HOUR);
    expect(run.opened.reconciliation_mismatch).toHaveLength(1);
    const t = (await json<{ task: TaskView }>(await call("GET", `/v1/tenants/recon-ship/tasks/${run.opened.reconciliation_mismatch[0] ?? ""}`, { token: key }))).task;
    expect(t.evidence.mismatch.kind).toBe("shipped_after_cancel");
    expect(t.evidence.receipts.other_side).toEqual([expect.objectContaining({ source: "wms" })]);
  });
});
