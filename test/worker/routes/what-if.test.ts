import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportId } from "../../../domain/handoff/document";
import type { WhatIfRun } from "../../../domain/whatif/report";
import { freshScenario } from "../../helpers/consumer";
import { advance, handoffRules, handoffTenant, orderStub, paidOrder, post, setClock } from "../../helpers/handoff";
import { call, expectError, json, settleAlarms } from "../../helpers/http";
import { putOwnership } from "../../helpers/ownership-api";

// Only once everything is read: settling fires due alarms on whatever clock the objects hold, which is not a recorded time.
afterAll(settleAlarms);

const MIN = 60_000;
const TENANT = "whatif";

/** A minute ahead on whole seconds, so no alarm the test schedules fires on its own. */
const T0 = Math.ceil((Date.now() + 60_000) / 1000) * 1000;

async function whatIf(key: string, body: Record<string, unknown>): Promise<Response> {
  return call("POST", `/v1/tenants/${TENANT}/what-if`, { token: key, body });
}

describe("POST /v1/tenants/:tenant/what-if over orders the real order object decided", () => {
  let key = "";
  const wms = freshScenario("wms-whatif");
  const carrier = freshScenario("carrier-whatif");
  const window = { from: new Date(T0 - 3_600_000).toISOString(), to: new Date(T0 + 6 * 3_600_000).toISOString() };
  let until = 0;

  // A window with a rules change inside it, decided by the real order objects on a stepped clock.
  beforeAll(async () => {
    key = await handoffTenant(TENANT, wms, carrier);
    // Order A under rules v1: routed, delivered, accepted by the warehouse's own event, shipping handed on, shipping SLA breached.
    const a = orderStub(TENANT, "wi-a");
    await setClock(a, T0);
    await paidOrder(TENANT, "wi-a", T0);
    await advance(a, T0);
    await setClock(a, T0 + 5 * MIN);
    expect((await post(TENANT, "wms", "fulfillment.accepted", "wi-a", T0 + 5 * MIN, { export_id: exportId("fulfil_order", 1, "wi-a"), location: "DC-1" })).status).toBe(202);
    await advance(a, T0 + 5 * MIN);
    await advance(a, T0 + 65 * MIN);
    await advance(a, T0 + 125 * MIN);

    // Rules v2: a new routing owner. Order B meets them, and its warehouse never answers.
    await putOwnership(TENANT, handoffRules(wms, carrier, (r) => void (r.steps.routing.owner = "routing-nights@agency.example")));
    const t1 = T0 + 2 * 3_600_000;
    const b = orderStub(TENANT, "wi-b");
    await setClock(b, t1);
    await paidOrder(TENANT, "wi-b", t1);
    await advance(b, t1);
    await advance(b, t1 + 10 * MIN);
    await advance(b, t1 + 10 * MIN + 1000);
    await advance(b, t1 + 20 * MIN);
    until = t1 + 20 * MIN + 1;
    // Drain both trails to D1 (the what-if reads D1, never the objects).
    for (const id of ["wi-a", "wi-b"]) expect((await call("GET", `/v1/tenants/${TENANT}/orders/${id}/audit`, { token: key })).status).toBe(200);
  });

  it("under the rules that were in force it reproduces what happened: nothing changes", async () => {
    const res = await whatIf(key, { ...window, until: new Date(until).toISOString() });
    expect(res.status).toBe(200);
    const run = await json<WhatIfRun>(res);
    expect(run.mode).toBe("in_force");
    expect(run.summary.orders).toBe(2);
    expect(run.summary.orders_approximate).toBe(0);
    expect(run.orders).toEqual([]);
    expect(run.summary.orders_changed).toBe(0);
    expect(run.summary.breaches.recorded).toBeGreaterThan(0);
    expect(run.summary.breaches.proposed).toBe(run.summary.breaches.recorded);
    // Both rules versions made decisions in the window.
    expect(run.summary.totals.filter((t) => t.dimension === "export_owner").map((t) => t.key)).toEqual(
      expect.arrayContaining(["routing@agency.example", "routing-nights@agency.example"]),
    );
    expect(run.rows_read).toBeGreaterThan(0);
  });

  it("under a proposal it names the breaches that would happen, when, and whose pager", async () => {
    const rules = handoffRules(wms, carrier, (r) => {
      r.steps.routing.sla = "PT2M";
      r.steps.routing.owner = "routing-days@agency.example";
    });
    const res = await whatIf(key, { ...window, rules, until: new Date(until).toISOString() });
    expect(res.status).toBe(200);
    const run = await json<WhatIfRun>(res);
    expect(run.mode).toBe("proposed");
    const a = run.orders.find((o) => o.order_id === "wi-a");
    // Accepted 5 minutes after capture: a 2-minute routing SLA breaches at capture + 2 min, paging the proposed owner.
    expect(a?.breaches_added).toEqual(
      expect.arrayContaining([expect.objectContaining({ step: "routing", level: 0, contact: "routing-days@agency.example", due_at: new Date(T0 - 1000 + 2 * MIN).toISOString() })]),
    );
    expect(a?.exports_changed).toEqual(expect.arrayContaining([{ export_id: exportId("fulfil_order", 1, "wi-a"), field: "owner", recorded: "routing@agency.example", proposed: "routing-days@agency.example" }]));
    expect(run.summary.breaches.proposed).toBeGreaterThan(run.summary.breaches.recorded);
    expect(run.summary.revenue_at_risk).toEqual([expect.objectContaining({ currency: "EUR", orders_proposed: 2 })]);
  });

  it("refuses a reversed window and rules that fail validation, in the error envelope", async () => {
    await expectError(await whatIf(key, { from: window.to, to: window.from }), 400, "validation_failed");
    await expectError(await whatIf(key, { ...window, rules: { steps: {} } }), 400, "validation_failed");
    await expectError(await call("POST", `/v1/tenants/${TENANT}/what-if`, { body: window }), 401, "unauthorized");
  });
});
