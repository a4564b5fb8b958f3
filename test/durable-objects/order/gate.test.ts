import { afterEach, describe, expect, it } from "vitest";
import { exportId, HandoffExport } from "../../../domain/handoff/document";
import type { Task } from "../../../domain/tasks/task";
import { freshScenario, requests } from "../../helpers/consumer";
import { advance, getOrder, handoffTenant, ORDER_DATA, orderStub, post, setClock } from "../../helpers/handoff";
import { call, json, settleAlarms } from "../../helpers/http";

afterEach(settleAlarms);

/** The test clock: a minute ahead, so no alarm the tests schedule fires on its own. */
function t0(): number {
  return Math.ceil((Date.now() + 60_000) / 1000) * 1000;
}

describe("the QA gate in the order object", () => {
  it("a physical order without an address is never sent: blocked, on hold with a task; the address issues v2 and it is delivered", async () => {
    const wms = freshScenario("wms");
    const key = await handoffTenant("gate-addr", wms, freshScenario("carrier"));
    const T0 = t0();
    const o = orderStub("gate-addr", "o-1");
    await setClock(o, T0);
    const { shipping_address, ...noAddress } = ORDER_DATA;
    expect((await post("gate-addr", "wms", "order.created", "o-1", T0 - 2000, noAddress)).status).toBe(202);
    expect((await post("gate-addr", "wms", "payment.captured", "o-1", T0 - 1000, { amount: ORDER_DATA.total, payment_id: "pi_1" })).status).toBe(202);
    await advance(o, T0);

    let order = await getOrder("gate-addr", "o-1", key);
    expect(order.state).toBe("on_hold");
    expect(order.exports.map((e) => [e.export.export_id, e.status])).toEqual([[exportId("fulfil_order", 1, "o-1"), "blocked"]]);
    expect(order.holds).toEqual([
      expect.objectContaining({ reason: "export_blocked", checks: [expect.objectContaining({ code: "shipping_address_missing", field: "order.shipping_address" })] }),
    ]);
    expect(await requests(wms)).toEqual([]);
    // The queue reads D1, which the object's outbox fills.
    await o.flush();
    const res = await call("GET", "/v1/tenants/gate-addr/tasks?order_id=o-1", { token: key });
    const [task] = (await json<{ tasks: Task[] }>(res)).tasks;
    expect(task).toMatchObject({ type: "export_blocked", status: "open", owner: "routing@agency.example" });

    // The sender corrects the order (an address unknown at capture may be filled in).
    expect((await post("gate-addr", "wms", "order.updated", "o-1", T0 + 1000, { shipping_address })).status).toBe(202);
    await advance(o, T0 + 1000);
    order = await getOrder("gate-addr", "o-1", key);
    expect(order.exports.map((e) => e.status)).toEqual(["blocked", "delivered"]);
    expect(HandoffExport.parse(order.exports[1]?.export)).toMatchObject({ version: 2, supersedes: exportId("fulfil_order", 1, "o-1"), order: { shipping_address } });
    expect(order.holds).toEqual([]);
    expect((await requests(wms)).map((r) => r.headers["webhook-id"])).toEqual([exportId("fulfil_order", 2, "o-1")]);
  });
});
