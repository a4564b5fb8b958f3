import { afterEach, describe, expect, it } from "vitest";
import { createTenant, settleAlarms } from "../../helpers/http";
import { ConsoleClient, html } from "./helpers";
import { apiTask, rejectedOrder } from "./seed";

afterEach(settleAlarms);

describe("a session sees its own tenant only", () => {
  it("another tenant's session cannot list, open, claim or resolve this tenant's tasks, or open its orders", async () => {
    const { key, task } = await rejectedOrder("con-iso-a", "iso-1");
    const otherKey = await createTenant("con-iso-b");
    const eve = new ConsoleClient();
    const csrf = await eve.session("con-iso-b", otherKey, "eve");

    const queue = await html(await eve.get("/console/queue?status=all"));
    expect(queue).not.toContain(task.task_id);
    expect(queue).not.toContain("iso-1");
    expect(queue).toContain("No tasks match these filters.");

    expect(await html(await eve.get(`/console/tasks/${task.task_id}`), 404)).toContain("no such task");
    expect(await html(await eve.get("/console/orders/iso-1"), 404)).toContain("no such order");
    await html(await eve.post(`/console/tasks/${task.task_id}/claim`, { _csrf: csrf }), 404);
    await html(await eve.post(`/console/tasks/${task.task_id}/resolve`, { _csrf: csrf, action: "close", resolution: "x", justification: "y" }), 404);

    const today = await html(await eve.get("/console/today"));
    expect(today).not.toContain("iso-1");
    expect(today).toContain("Nothing at risk.");

    expect(await apiTask("con-iso-a", key, task.task_id)).toMatchObject({ status: "open", claimed_by: null });
    // The owner's own session does see it.
    const alice = new ConsoleClient();
    await alice.session("con-iso-a", key, "alice");
    expect(await html(await alice.get("/console/queue"))).toContain(task.task_id);
  });
});
