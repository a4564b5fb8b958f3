import { afterEach, describe, expect, it } from "vitest";
import { script } from "../../helpers/consumer";
import { freshScenario } from "../../helpers/consumer";
import { advance, getOrder, handoffTenant, post } from "../../helpers/handoff";
import { call, json, settleAlarms } from "../../helpers/http";
import { ConsoleClient, html } from "./helpers";
import { apiTask, rejectedOrder } from "./seed";

afterEach(settleAlarms);

describe("claim and resolve through the console's forms", () => {
  it("claims as the signed-in operator, then replays: the task records who and why, the order gets export v2", async () => {
    const { key, wms, stub, t0, task } = await rejectedOrder("con-act", "act-1");
    const client = new ConsoleClient();
    const csrf = await client.session("con-act", key, "Alice Ops");

    const queue = await html(await client.get("/console/queue"));
    expect(queue).toContain(`data-task="${task.task_id}"`);
    expect(queue).toContain("consumer rejected");

    const claimed = await client.post(`/console/tasks/${task.task_id}/claim`, { _csrf: csrf, return_to: "/console/queue?type=consumer_rejected", by: "someone-else" });
    expect(claimed.status).toBe(303);
    expect(claimed.headers.get("location")).toBe("/console/queue?type=consumer_rejected&notice=claimed");
    expect(await apiTask("con-act", key, task.task_id)).toMatchObject({ status: "claimed", claimed_by: "Alice Ops" });
    const after = await html(await client.get("/console/queue?type=consumer_rejected&notice=claimed"));
    expect(after).toContain("Claimed. The task is yours.");
    expect(after).toContain("by Alice Ops");

    await script(wms, [], { status: 200 });
    const resolved = await client.post(`/console/tasks/${task.task_id}/resolve`, {
      _csrf: csrf,
      action: "replay",
      resolution: "SKU added to the WMS catalogue",
      justification: "3PL confirmed the catalogue sync ran",
      by: "forged-name",
    });
    expect(resolved.status).toBe(303);
    expect(resolved.headers.get("location")).toBe(`/console/tasks/${task.task_id}?notice=resolved`);
    expect(await apiTask("con-act", key, task.task_id)).toMatchObject({
      status: "resolved",
      action: "replay",
      resolved_by: "Alice Ops",
      claimed_by: "Alice Ops",
      resolution: "SKU added to the WMS catalogue",
      justification: "3PL confirmed the catalogue sync ran",
    });
    const page = await html(await client.get(`/console/tasks/${task.task_id}?notice=resolved`));
    expect(page).toContain("3PL confirmed the catalogue sync ran");

    await advance(stub, t0 + 1000);
    const order = await getOrder("con-act", "act-1", key);
    expect(order.holds).toEqual([]);
    expect(order.exports.map((e) => [e.export.version, e.status])).toEqual([
      [1, "superseded"],
      [2, "delivered"],
    ]);
    const timeline = await html(await client.get("/console/orders/act-1"));
    expect(timeline).toContain('data-chain="valid"');
    expect(timeline).toContain(`data-export="exp_fulfil_order_v2_act-1"`);
    expect(timeline).toContain("task.resolved");
  });

  it("requires a justification on the server, whatever the browser sends", async () => {
    const { key, task } = await rejectedOrder("con-just", "just-1");
    const client = new ConsoleClient();
    const csrf = await client.session("con-just", key, "bob");
    for (const justification of [undefined, "", "   \n "]) {
      const fields: Record<string, string> = { _csrf: csrf, action: "close", resolution: "fixed by hand" };
      if (justification !== undefined) fields.justification = justification;
      const page = await html(await client.post(`/console/tasks/${task.task_id}/resolve`, fields), 400);
      expect(page).toContain("A justification is required");
      // What was typed comes back, so nothing is lost.
      expect(page).toContain('value="fixed by hand"');
    }
    await html(await client.post(`/console/tasks/${task.task_id}/resolve`, { _csrf: csrf, action: "delete", resolution: "x", justification: "y" }), 400);
    expect(await apiTask("con-just", key, task.task_id)).toMatchObject({ status: "open", resolved_by: null });
  });

  it("shows a refusal as the task page with the reason (409 when someone else claimed it)", async () => {
    const { key, task } = await rejectedOrder("con-race", "race-1");
    const alice = new ConsoleClient();
    const bob = new ConsoleClient();
    const a = await alice.session("con-race", key, "alice");
    const b = await bob.session("con-race", key, "bob");
    expect((await alice.post(`/console/tasks/${task.task_id}/claim`, { _csrf: a })).status).toBe(303);
    const page = await html(await bob.post(`/console/tasks/${task.task_id}/claim`, { _csrf: b }), 409);
    expect(page).toContain("Could not claim: Task is claimed by alice");
  });
});

describe("a schema-mismatched webhook in the console", () => {
  it("shows the refusal as a task; a replay that is still refused says why and keeps it open; close records the operator", async () => {
    const key = await handoffTenant("con-schema", freshScenario("wms"), freshScenario("carrier"));
    const bad = await post("con-schema", "wms", "order.created", "sm-1", Date.now(), { total: { amount_minor: "forty-two", currency: "EUR" } });
    expect(bad.status).toBe(422);
    const res = await call("GET", "/v1/tenants/con-schema/tasks?type=schema_rejection", { token: key });
    const [task] = (await json<{ tasks: { task_id: string }[] }>(res)).tasks;
    if (!task) throw new Error("no schema_rejection task");
    const client = new ConsoleClient();
    const csrf = await client.session("con-schema", key, "carol");
    expect(await html(await client.get("/console/queue?type=schema_rejection"))).toContain(task.task_id);
    const page = await html(await client.get(`/console/tasks/${task.task_id}`));
    expect(page).toContain("schema_mismatch");
    expect(page).not.toContain('value="override"');

    const still = await html(await client.post(`/console/tasks/${task.task_id}/resolve`, { _csrf: csrf, action: "replay", resolution: "mapping fixed", justification: "deployed the fix" }), 422);
    expect(still).toContain("Could not resolve: Still refused");
    expect(await apiTask("con-schema", key, task.task_id)).toMatchObject({ status: "open" });

    const closed = await client.post(`/console/tasks/${task.task_id}/resolve`, { _csrf: csrf, action: "close", resolution: "sender fixed its payload and redelivered", justification: "confirmed with the OMS team" });
    expect(closed.status).toBe(303);
    expect(await apiTask("con-schema", key, task.task_id)).toMatchObject({ status: "resolved", resolved_by: "carol", action: "close" });
  });
});

describe("CSRF", () => {
  it("refuses a form without the session's token, with a wrong one, or with another session's (403)", async () => {
    const { key, task } = await rejectedOrder("con-csrf", "csrf-1");
    const client = new ConsoleClient();
    await client.session("con-csrf", key, "alice");
    const other = new ConsoleClient();
    const othersToken = await other.session("con-csrf", key, "eve");
    const attempts: Record<string, string>[] = [{}, { _csrf: "" }, { _csrf: "AAAA" }, { _csrf: othersToken }];
    for (const fields of attempts) {
      const page = await html(await client.post(`/console/tasks/${task.task_id}/claim`, fields), 403);
      expect(page).toContain("CSRF");
      await html(await client.post(`/console/tasks/${task.task_id}/resolve`, { ...fields, action: "close", resolution: "x", justification: "y" }), 403);
    }
    await html(await client.post("/console/sign-out", {}), 403);
    expect(await apiTask("con-csrf", key, task.task_id)).toMatchObject({ status: "open", claimed_by: null });
  });

  it("refuses a cross-site post even with the right token (Origin, Sec-Fetch-Site)", async () => {
    const { key, task } = await rejectedOrder("con-origin", "origin-1");
    const client = new ConsoleClient();
    const csrf = await client.session("con-origin", key, "alice");
    await html(await client.post(`/console/tasks/${task.task_id}/claim`, { _csrf: csrf }, { origin: "https://evil.example" }), 403);
    await html(await client.post(`/console/tasks/${task.task_id}/claim`, { _csrf: csrf }, { "sec-fetch-site": "cross-site" }), 403);
    await html(await client.post(`/console/tasks/${task.task_id}/claim`, { _csrf: csrf }, { "sec-fetch-site": "same-site" }), 403);
    expect(await apiTask("con-origin", key, task.task_id)).toMatchObject({ status: "open" });
    expect((await client.post(`/console/tasks/${task.task_id}/claim`, { _csrf: csrf })).status).toBe(303);
  });
});
