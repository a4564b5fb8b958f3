import { afterEach, describe, expect, it } from "vitest";
import { exportId } from "../../../domain/handoff/document";
import type { Task } from "../../../domain/tasks/task";
import { consumerUrl, freshScenario, requests, script } from "../../helpers/consumer";
import { advance, getOrder, handoffRules, paidOrder, orderStub, post, setClock } from "../../helpers/handoff";
import { ADMIN_TOKEN, call, json, seedTenant, settleAlarms } from "../../helpers/http";
import { contact } from "../../helpers/notify";
import { putOwnership } from "../../helpers/ownership-api";

afterEach(settleAlarms);

// The gate checks names against the tenant's directory as each event brings it to
// the order object, not only when the rules were stored: a contact deleted after the
// rules PUT blocks the next export; adding it back lets the next fact issue it.

const TENANT = "gate-dir";
const V1 = exportId("fulfil_order", 1, "o-1");
const V2 = exportId("fulfil_order", 2, "o-1");
const EXCEPTION_CONTACT = "agency:fulfillment-team";

describe("the QA gate checks names against the directory inside the object", () => {
  it("a contact deleted after the rules PUT blocks the next export with that check; re-added, the next fact issues v2", async () => {
    const wms = freshScenario("wms-dir");
    const sink = freshScenario("sink-dir");
    await script(sink, [], { status: 200, body: "ok" });
    const key = await seedTenant(TENANT);
    const rules = handoffRules(wms, freshScenario("carrier-dir"));
    // Every name the rules use is a contact, with the channel its exception path asks for.
    const names = new Map<string, unknown[]>();
    for (const s of Object.values(rules.steps)) {
      for (const n of [s.owner, s.backup, s.on_call, ...(s.watchers ?? [])]) if (!names.has(n)) names.set(n, []);
      const ex = s.exception_path;
      if (!ex) continue;
      const channel = ex.type === "slack" ? { type: "slack", webhook_url: consumerUrl(sink) } : ex.type === "pagerduty" ? { type: "pagerduty", routing_key: "K", events_url: consumerUrl(sink) } : ex.type === "email" ? { type: "email", address: "x@acme.example" } : null;
      names.set(ex.contact_id, [...(names.get(ex.contact_id) ?? []), ...(channel ? [channel] : [])]);
    }
    for (const [n, channels] of names) await contact(TENANT, n, { name: n, channels });
    await putOwnership(TENANT, rules);

    // Gone after the rules were stored: nothing re-checks the stored rules.
    expect((await call("DELETE", `/v1/tenants/${TENANT}/contacts/${encodeURIComponent(EXCEPTION_CONTACT)}`, { token: ADMIN_TOKEN })).status).toBe(200);
    const T0 = Math.ceil((Date.now() + 60_000) / 1000) * 1000;
    const o = orderStub(TENANT, "o-1");
    await setClock(o, T0);
    await paidOrder(TENANT, "o-1", T0);
    await advance(o, T0);
    let order = await getOrder(TENANT, "o-1", key);
    expect(order.exports.map((e) => [e.export.export_id, e.status])).toEqual([[V1, "blocked"]]);
    expect(order.holds).toEqual([
      expect.objectContaining({
        reason: "export_blocked",
        checks: [{ code: "contact_unknown", field: "exception_path.contact_id", message: `exception contact '${EXCEPTION_CONTACT}' is neither a contact nor a rotation` }],
      }),
    ]);
    expect(await requests(wms)).toEqual([]);
    await o.flush();
    const [task] = (await json<{ tasks: Task[] }>(await call("GET", `/v1/tenants/${TENANT}/tasks?order_id=o-1`, { token: key }))).tasks;
    expect(task).toMatchObject({ type: "export_blocked", status: "open" });
    expect(task?.title).toContain("contact_unknown at exception_path.contact_id");

    // An unrelated fact while it is still missing: still the one blocked version.
    expect((await post(TENANT, "wms", "order.updated", "o-1", T0 + 1000, { tags: ["vip"] })).status).toBe(202);
    await advance(o, T0 + 1000);
    expect((await getOrder(TENANT, "o-1", key)).exports.map((e) => e.status)).toEqual(["blocked"]);

    // Back in the directory: the next fact brings it, and the decision is issued as v2.
    await contact(TENANT, EXCEPTION_CONTACT, { name: "Fulfillment team", channels: [] });
    expect((await post(TENANT, "wms", "order.updated", "o-1", T0 + 2000, { tags: ["vip", "gift"] })).status).toBe(202);
    await advance(o, T0 + 2000);
    order = await getOrder(TENANT, "o-1", key);
    expect(order.exports.map((e) => [e.export.export_id, e.status])).toEqual([
      [V1, "blocked"],
      [V2, "delivered"],
    ]);
    expect(order.holds).toEqual([]);
    expect((await requests(wms)).map((r) => r.headers["webhook-id"])).toEqual([V2]);
  });
});
