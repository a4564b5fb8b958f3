import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { cancellationId, ExportCancellation } from "../../../domain/handoff/cancellation";
import { exportId } from "../../../domain/handoff/document";
import type { Task } from "../../../domain/tasks/task";
import { freshScenario, requests, script } from "../../helpers/consumer";
import {
  ack,
  advance,
  getOrder,
  handoffTenant,
  ORDER_DATA,
  orderStub,
  paidOrder,
  post,
  ROUTING_SECRET,
  setClock,
  SHIPPING_SECRET,
  TEST_SLA,
} from "../../helpers/handoff";
import { call, json, settleAlarms } from "../../helpers/http";
import { exampleRules } from "../../helpers/ownership";

afterEach(settleAlarms);

/** The test clock: a minute ahead, so no alarm the tests schedule fires on its own. */
function t0(): number {
  return Math.ceil((Date.now() + 60_000) / 1000) * 1000;
}

const ids = async (scenario: string): Promise<string[]> => (await requests(scenario)).map((r) => r.headers["webhook-id"] ?? "");

async function tasks(tenant: string, orderId: string, key: string): Promise<Task[]> {
  const res = await call("GET", `/v1/tenants/${tenant}/tasks?order_id=${orderId}`, { token: key });
  expect(res.status).toBe(200);
  return (await json<{ tasks: Task[] }>(res)).tasks;
}

/** A late fact that claims a pre-capture time: it legitimately changes a locked field, so the decision changes after it was handed off. */
async function lateAddressChange(tenant: string, orderId: string, T0: number): Promise<void> {
  const shipping_address = { ...ORDER_DATA.shipping_address, address1: "2 Difference Engine Rd" };
  expect((await post(tenant, "wms", "order.updated", orderId, T0 - 1500, { shipping_address })).status).toBe(202);
}

describe("the README demo: a second acceptance from another location is a conflict, not a second shipment", () => {
  it("one shipping export reaches the carrier; the order holds with a conflicting_fulfillment task; a second parcel opens duplicate_fulfillment", async () => {
    const wms = freshScenario("wms");
    const carrier = freshScenario("carrier");
    const key = await handoffTenant("sup-demo", wms, carrier);
    const T0 = t0();
    const o = orderStub("sup-demo", "o-1");
    await setClock(o, T0);
    await paidOrder("sup-demo", "o-1", T0);
    await advance(o, T0);
    expect((await ack("sup-demo", exportId("fulfil_order", 1, "o-1"), "accepted")).status).toBe(200);

    // The README's fixture acceptance (DC-EAST-1) lands before the WMS's own (DEMO-DC-1).
    expect((await post("sup-demo", "wms", "fulfillment.accepted", "o-1", T0 + 1000, { location: "DC-EAST-1" })).status).toBe(202);
    await advance(o, T0 + 1000);
    const v1 = exportId("request_shipment", 1, "o-1");
    expect(await ids(carrier)).toEqual([v1]);
    expect((await post("sup-demo", "wms", "fulfillment.accepted", "o-1", T0 + 1300, { location: "DEMO-DC-1" })).status).toBe(202);
    await advance(o, T0 + 60_000);

    const held = await getOrder("sup-demo", "o-1", key);
    expect(held.state).toBe("on_hold");
    expect(held.holds.map((h) => h.reason)).toEqual(["conflicting_fulfillment"]);
    // No v2: the planner does not re-decide because a second acceptance arrived.
    expect(held.exports.filter((e) => e.export.intended_action === "request_shipment").map((e) => [e.export.export_id, e.status])).toEqual([[v1, "acked"]]);
    expect(await ids(carrier)).toEqual([v1]);
    const [conflict] = await tasks("sup-demo", "o-1", key);
    expect(conflict).toMatchObject({ type: "conflicting_fulfillment", step: "fulfillment", status: "open", title: expect.stringContaining("DC-EAST-1, DEMO-DC-1") });
    expect(conflict?.owner).toBe(exampleRules().steps.fulfillment.owner);

    // The carrier ships v1; another system reports a second parcel: that is a duplicate, whoever sent it.
    expect((await post("sup-demo", "carrier", "shipment.shipped", "o-1", T0 + 90_000, { export_id: v1, tracking_number: "DP-1" })).status).toBe(202);
    expect((await post("sup-demo", "wms", "shipment.shipped", "o-1", T0 + 95_000, { tracking_number: "1Z-2" })).status).toBe(202);
    await advance(o, T0 + 120_000);
    const after = await getOrder("sup-demo", "o-1", key);
    expect(after.holds.map((h) => h.reason).sort()).toEqual(["conflicting_fulfillment", "duplicate_fulfillment"]);
    const open = await tasks("sup-demo", "o-1", key);
    expect(open.map((t) => [t.type, t.step]).sort()).toEqual([
      ["conflicting_fulfillment", "fulfillment"],
      ["duplicate_fulfillment", "shipping"],
    ]);
  });
});

describe("superseding a decision the consumer may hold is a two-sided protocol (real HTTP)", () => {
  it("the delivered v1 is cancelled by a signed message; v2 waits for the cancellation's ack, then goes out", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("sup-ack", wms, freshScenario("carrier"));
    const T0 = t0();
    const o = orderStub("sup-ack", "o-2");
    await setClock(o, T0);
    await paidOrder("sup-ack", "o-2", T0);
    await advance(o, T0);
    const v1 = exportId("fulfil_order", 1, "o-2");
    const v2 = exportId("fulfil_order", 2, "o-2");
    const cxl = cancellationId(v1);

    await lateAddressChange("sup-ack", "o-2", T0);
    await advance(o, T0 + 1000);
    expect(await ids(wms)).toEqual([v1, cxl]);
    const [, sent] = await requests(wms);
    // Verified with the reference library, as the consumer would; it is not an export.
    const msg = ExportCancellation.parse(new Webhook(ROUTING_SECRET).verify(sent?.body ?? "", sent?.headers ?? {}));
    expect(msg).toMatchObject({ type: "export.cancelled", cancellation_id: cxl, export_id: v1, superseded_by: v2, cancelled: { intended_action: "fulfil_order", version: 1 } });
    const waiting = await getOrder("sup-ack", "o-2", key);
    expect(waiting.exports.map((e) => [e.export.export_id, e.status])).toEqual([
      [v1, "cancelling"],
      [v2, "awaiting_cancellation"],
    ]);
    expect(waiting.exports[0]?.cancellation).toMatchObject({ cancellation_id: cxl, status: "delivered", superseded_by: v2 });

    // Nothing goes out for v2 however long we wait without the ack.
    await advance(o, T0 + 5000);
    expect(await ids(wms)).toEqual([v1, cxl]);

    // Acked with the consumer's secret on the export ack route, under the cancellation's id; a repeat is a duplicate.
    expect(await json(await ack("sup-ack", cxl, "accepted"))).toEqual({ export_id: cxl, status: "cancelled", duplicate: false });
    expect(await json(await ack("sup-ack", cxl, "accepted"))).toEqual({ export_id: cxl, status: "cancelled", duplicate: true });
    await advance(o, T0 + 6000);
    expect(await ids(wms)).toEqual([v1, cxl, v2]);
    const done = await getOrder("sup-ack", "o-2", key);
    expect(done.exports.map((e) => [e.export.export_id, e.status])).toEqual([
      [v1, "cancelled"],
      [v2, "delivered"],
    ]);
    expect(done.holds).toEqual([]);
    const audit = await json<{ entries: { type: string }[] }>(await call("GET", `/v1/tenants/sup-ack/orders/o-2/audit`, { token: key }));
    const types = audit.entries.map((e) => e.type);
    expect(types.indexOf("export.cancellation_requested")).toBeLessThan(types.indexOf("export.cancelled"));
    expect(types.indexOf("export.cancelled")).toBeLessThan(types.indexOf("export.released"));
  });

  it("a refused cancellation holds the order with a task for the step's owner, and v2 is withdrawn unsent", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("sup-refuse", wms, freshScenario("carrier"));
    const T0 = t0();
    const o = orderStub("sup-refuse", "o-3");
    await setClock(o, T0);
    await paidOrder("sup-refuse", "o-3", T0);
    await advance(o, T0);
    const v1 = exportId("fulfil_order", 1, "o-3");
    const cxl = cancellationId(v1);
    await lateAddressChange("sup-refuse", "o-3", T0);
    await advance(o, T0 + 1000);
    expect(await json(await ack("sup-refuse", cxl, "rejected", ROUTING_SECRET, "already picked and packed"))).toEqual({
      export_id: cxl,
      status: "not_cancelled",
      duplicate: false,
    });
    await advance(o, T0 + 10 * TEST_SLA.routing);
    expect(await ids(wms)).toEqual([v1, cxl]);
    const order = await getOrder("sup-refuse", "o-3", key);
    expect(order.state).toBe("on_hold");
    expect(order.holds).toEqual([expect.objectContaining({ reason: "cancellation_refused", detail: expect.stringContaining("already picked and packed") })]);
    expect(order.exports.map((e) => e.status)).toEqual(["not_cancelled", "superseded"]);
    const [task] = (await tasks("sup-refuse", "o-3", key)).filter((t) => t.type === "cancellation_refused");
    expect(task).toMatchObject({ step: "routing", owner: expect.any(String), status: "open" });
    const one = await json<{ task: Task }>(await call("GET", `/v1/tenants/sup-refuse/tasks/${task?.task_id ?? ""}`, { token: key }));
    expect(one.task.evidence).toMatchObject({ cancellations: [expect.objectContaining({ export_id: v1, status: "refused" })] });
    // A cancellation acked with another consumer's secret is refused like any forged ack.
    expect((await ack("sup-refuse", cxl, "accepted", SHIPPING_SECRET)).status).toBe(401);
  });

  it("a consumer that does not understand the cancellation (4xx) or never acks it turns the order into a conflict", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("sup-4xx", wms, freshScenario("carrier"));
    const T0 = t0();
    // o-4: answers the cancellation 422. o-5: takes it (200) but never acks, not even the redelivery.
    for (const id of ["o-4", "o-5"]) {
      const o = orderStub("sup-4xx", id);
      await setClock(o, T0);
      await paidOrder("sup-4xx", id, T0);
      await advance(o, T0);
    }
    await script(wms, [{ status: 422, body: '{"error":"not a handoff export"}' }]);
    await lateAddressChange("sup-4xx", "o-4", T0);
    await advance(orderStub("sup-4xx", "o-4"), T0 + 1000);
    const refused = await getOrder("sup-4xx", "o-4", key);
    expect(refused.holds.map((h) => h.reason)).toEqual(["cancellation_refused"]);
    expect(refused.exports.map((e) => e.status)).toEqual(["not_cancelled", "superseded"]);

    const o5 = orderStub("sup-4xx", "o-5");
    await lateAddressChange("sup-4xx", "o-5", T0);
    await advance(o5, T0 + 1000);
    await advance(o5, T0 + 1000 + TEST_SLA.routing);
    await advance(o5, T0 + 1000 + TEST_SLA.routing);
    await advance(o5, T0 + 1000 + 2 * TEST_SLA.routing);
    const silent = await getOrder("sup-4xx", "o-5", key);
    expect(silent.exports[0]?.cancellation).toMatchObject({ status: "failed", attempts: [expect.objectContaining({ outcome: "delivered" }), expect.objectContaining({ outcome: "delivered" })] });
    expect(silent.holds.map((h) => h.reason)).toEqual(["cancellation_failed"]);
    expect(silent.exports.map((e) => e.status)).toEqual(["not_cancelled", "superseded"]);
  });

  it("a carrier that ships the version being cancelled: conflict with a task, the cancellation is moot, v2 never sent", async () => {
    const wms = freshScenario("wms");
    const carrier = freshScenario("carrier");
    const key = await handoffTenant("sup-acted", wms, carrier);
    const T0 = t0();
    const o = orderStub("sup-acted", "o-6");
    await setClock(o, T0);
    await paidOrder("sup-acted", "o-6", T0);
    await advance(o, T0);
    expect((await post("sup-acted", "wms", "fulfillment.accepted", "o-6", T0 + 500, { location: "DC-1" })).status).toBe(202);
    await advance(o, T0 + 1000);
    const v1 = exportId("request_shipment", 1, "o-6");
    expect(await ids(carrier)).toEqual([v1]);

    await lateAddressChange("sup-acted", "o-6", T0);
    expect((await post("sup-acted", "carrier", "shipment.shipped", "o-6", T0 + 2000, { export_id: v1, tracking_number: "DP-9" })).status).toBe(202);
    await advance(o, T0 + 60_000);
    const order = await getOrder("sup-acted", "o-6", key);
    expect(order.holds.map((h) => h.reason)).toEqual(["cancelled_export_acted_on"]);
    const shipping = order.exports.filter((e) => e.export.intended_action === "request_shipment");
    expect(shipping.map((e) => e.status)).toEqual(["not_cancelled", "superseded"]);
    expect(shipping[0]?.cancellation?.status).toBe("moot");
    expect((await ids(carrier)).filter((id) => id.startsWith("exp_"))).toEqual([v1]);
    const [task] = (await tasks("sup-acted", "o-6", key)).filter((t) => t.type === "cancelled_export_acted_on");
    expect(task).toMatchObject({ step: "shipping", status: "open" });
  });
});
