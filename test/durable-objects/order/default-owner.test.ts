import { afterEach, describe, expect, it } from "vitest";
import type { Task } from "../../../domain/tasks/task";
import { getOrder, orderStub, paidOrder, post } from "../../helpers/handoff";
import { ADMIN_TOKEN, call, json, seedTenant, settleAlarms } from "../../helpers/http";

afterEach(settleAlarms);

async function tasksOf(tenant: string, key: string, orderId: string): Promise<Task[]> {
  return (await json<{ tasks: Task[] }>(await call("GET", `/v1/tenants/${tenant}/tasks?order_id=${orderId}`, { token: key }))).tasks;
}

describe("the order object's own tasks in a tenant without ownership rules", () => {
  it("go to the tenant's default owner on every rung, not to 'unassigned'", async () => {
    const key = await seedTenant("rule-less");
    const o = orderStub("rule-less", "d-1");
    await paidOrder("rule-less", "d-1", Date.now());
    // A change to a locked field after capture: the order holds and opens a task for a person.
    expect((await post("rule-less", "wms", "order.updated", "d-1", Date.now(), { shipping_address: { city: "Paris" } })).status).toBe(202);
    await o.flush();
    expect((await getOrder("rule-less", "d-1", key)).state).toBe("on_hold");
    const [t] = await tasksOf("rule-less", key, "d-1");
    expect(t).toMatchObject({ type: "locked_field_conflict", owner: "ops@rule-less.example", owning_party: "merchant", escalation: ["ops@rule-less.example", "ops@rule-less.example", "ops@rule-less.example"] });
  });

  it("follow a changed default owner from the order's next event", async () => {
    const key = await seedTenant("rule-less-2");
    const o = orderStub("rule-less-2", "d-2");
    expect((await call("PUT", "/v1/tenants/rule-less-2/default-owner", { token: ADMIN_TOKEN, body: { default_owner: "#fulfilment-desk" } })).status).toBe(200);
    await paidOrder("rule-less-2", "d-2", Date.now());
    expect((await post("rule-less-2", "wms", "order.updated", "d-2", Date.now(), { shipping_address: { city: "Lyon" } })).status).toBe(202);
    await o.flush();
    const [t] = await tasksOf("rule-less-2", key, "d-2");
    expect(t?.owner).toBe("#fulfilment-desk");
  });
});
