import { describe, expect, it } from "vitest";
import { consumerUrl, freshScenario, requests, script } from "../../helpers/consumer";
import { advance, handoffTenant, orderStub, paidOrder, setClock } from "../../helpers/handoff";
import { call, json, settleAlarms } from "../../helpers/http";
import { contact, drainNotifier, notifications, withNotifier } from "../../helpers/notify";
import { exportId } from "../../../domain/handoff/document";
import type { Notice } from "../../../domain/notify/notice";
import type { AuditResponse as AuditTrail } from "../../../worker/audit";

// The whole path for a watcher: the order object decides the notices with the
// commit that changed its export, its drain hands them to the tenant's notifier,
// which tells the watcher once per (export, version, change), never as a page.

const TENANT = "ntf-watch";
const ORDER = "o-w1";
const V1 = exportId("fulfil_order", 1, ORDER);
const V2 = exportId("fulfil_order", 2, ORDER);
const MIN = 60_000;

type Told = { type: string; phase: string; role: unknown; subject: string; export: NonNullable<Notice["export"]> };

describe("a step's watchers are told of its exports' changes", () => {
  it("issued, then expired past valid_until and superseded by v2: each once, on the order's notification chain, never paged", async () => {
    const wms = freshScenario("wms-watch");
    const hook = freshScenario("hook-watch");
    const pd = freshScenario("pd-watch");
    const key = await handoffTenant(TENANT, wms, freshScenario("carrier-watch"), (r) => {
      r.steps.routing.watchers = ["cs-watch"];
      r.steps.routing.valid_for = "PT10M";
    });
    // Accepts the export (no ack follows) and later the cancellation of it.
    await script(wms, [], { status: 200, body: "{}" });
    await script(hook, [], { status: 200, body: "ok" });
    await script(pd, [], { status: 202, body: '{"status":"success","message":"Change event processed"}' });
    await contact(TENANT, "cs-watch", {
      name: "Customer service lead",
      channels: [
        { type: "webhook", url: consumerUrl(hook), secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
        { type: "pagerduty", routing_key: "CS-KEY", events_url: consumerUrl(pd) },
      ],
    });

    const T0 = Math.ceil((Date.now() + MIN) / 1000) * 1000;
    const o = orderStub(TENANT, ORDER);
    await setClock(o, T0);
    await paidOrder(TENANT, ORDER, T0);
    // The alarm delivers the export and drains what its commits queued (settleAlarms would fire every timer, ttl included).
    await advance(o, T0);
    await o.flush();
    await drainNotifier(TENANT);
    const told = async (): Promise<Told[]> => (await requests(hook)).map((r) => JSON.parse(r.body) as Told);
    expect((await told()).map((t) => [t.type, t.phase, t.role, t.export.export_id, t.export.version, t.export.current])).toEqual([
      ["notification.export.issued", "info", null, V1, 1, V1],
    ]);
    // PagerDuty gets a change event: on the service's timeline, no incident, nobody woken.
    const [change] = (await requests(pd)).map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(change).not.toHaveProperty("event_action");
    expect(change).toMatchObject({ routing_key: "CS-KEY", payload: { summary: expect.stringContaining("Export issued: fulfil_order v1 issued"), custom_details: { export_id: V1, current: V1 } } });

    // Past valid_until, unacknowledged: decided again as v2; v1 (already delivered) is cancelled with the WMS.
    await advance(o, T0 + 10 * MIN);
    await o.flush();
    await drainNotifier(TENANT);
    const after = (await told()).map((t) => [t.type, t.export.export_id, t.export.superseded_by, t.export.current]);
    expect(after).toEqual([
      ["notification.export.issued", V1, null, V1],
      ["notification.export.expired", V1, V2, V2],
      ["notification.export.superseded", V1, V2, V2],
      ["notification.export.issued", V2, null, V2],
    ]);

    // Another alarm, another drain, the same notices handed over again: nobody is told twice.
    await advance(o, T0 + 10 * MIN + 1000);
    await o.flush();
    const again = await withNotifier(TENANT, async (n, state) => {
      const rows = state.storage.sql.exec<{ body: string }>("SELECT body FROM notices WHERE phase = 'info'").toArray();
      return n.enqueue(TENANT, rows.map((r) => JSON.parse(r.body) as Notice));
    });
    expect(again.added).toBe(0);
    await drainNotifier(TENANT);
    expect((await told()).length).toBe(4);
    expect((await requests(pd)).length).toBe(4);

    // The notifier's view and the order's notification chain both hold them, as information.
    const sent = await notifications(TENANT, key, `?order_id=${ORDER}`);
    expect(sent.filter((d) => d.phase === "info").map((d) => [d.kind, d.channel_type, d.status]).sort()).toEqual(
      [
        ["export.expired", "pagerduty", "delivered"],
        ["export.expired", "webhook", "delivered"],
        ["export.issued", "pagerduty", "delivered"],
        ["export.issued", "pagerduty", "delivered"],
        ["export.issued", "webhook", "delivered"],
        ["export.issued", "webhook", "delivered"],
        ["export.superseded", "pagerduty", "delivered"],
        ["export.superseded", "webhook", "delivered"],
      ].sort(),
    );
    const audit = await json<AuditTrail>(await call("GET", `/v1/tenants/${TENANT}/orders/${ORDER}/audit`, { token: key }));
    expect(audit.notifications.chain_valid).toBe(true);
    const infos = audit.notifications.entries.filter((e) => e.data.phase === "info");
    expect(infos.map((e) => [e.type, e.data.subject, e.data.contact, e.data.outcome]).filter((x) => x[1] === `${V1}:issued`)).toEqual([
      ["notification.attempt", `${V1}:issued`, "cs-watch", "delivered"],
      ["notification.attempt", `${V1}:issued`, "cs-watch", "delivered"],
    ]);
    await settleAlarms();
  });
});
