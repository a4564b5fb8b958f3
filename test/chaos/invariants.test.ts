import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { exportId } from "../../domain/handoff/document";
import { consumerUrl } from "../helpers/consumer";
import { ORDER_DATA, post } from "../helpers/handoff";
import { seedTenant, settleAlarms } from "../helpers/http";
import { forgeAuditEntry } from "../helpers/audit-tamper";
import { checkInvariants, type InvariantName } from "../helpers/invariants";
import { Campaign } from "./campaign";
import { Ledger } from "./transport";

afterEach(settleAlarms);

const found = (r: { violations: { invariant: InvariantName; order_id: string | null }[] }) => r.violations.map((v) => [v.invariant, v.order_id]);

/** The checker must see each kind of breakage it claims to, or a green chaos suite means nothing. */
describe("checkInvariants catches what it promises to", () => {
  it("flags a tampered index, a rewritten audit row, a delivery after an ack and a ledger that does not add up", async () => {
    const c = await Campaign.open("inv-self");
    const [tampered, rewritten, acked, clean] = c.newOrders(4);
    if (tampered === undefined || rewritten === undefined || acked === undefined || clean === undefined) throw new Error("ids");
    for (const o of [tampered, rewritten, acked, clean]) for (const s of ["created", "captured", "accepted", "shipped", "delivered"] as const) await c.send(c.delivery(o, s));
    await c.runDue(c.orders, c.t0 + 1000);
    await Promise.all(c.orders.map((o) => c.stub(o).flush()));

    await env.DB.prepare("UPDATE orders SET state = 'paid' WHERE tenant_id = ? AND order_id = ?").bind(c.tenant, tampered).run();
    await forgeAuditEntry(c.tenant, rewritten, 2);
    // A request reaching the WMS for an export acknowledged long before (signed an hour after the ack).
    const id = exportId("fulfil_order", 1, acked);
    const ackedAt = Date.parse((await c.order(acked)).exports[0]?.acked_at ?? "");
    const late = await fetch(consumerUrl(c.wms), { method: "POST", headers: { "webhook-id": id, "webhook-timestamp": String(Math.floor(ackedAt / 1000) + 3600) }, body: "{}" });
    await late.body?.cancel();
    // The ledger claims a receipt nobody holds, and a refusal nobody recorded.
    c.ledger.record({ label: "phantom", key: "x", expect: "accepted", orderId: clean, status: 202, code: null, receiptId: "rcpt_phantom", receiptOrder: clean, duplicate: false, rejectionId: null });
    c.ledger.record({ label: "unrecorded", key: null, expect: "signature_invalid", orderId: null, status: 401, code: "signature_invalid", receiptId: null, receiptOrder: null, duplicate: false, rejectionId: "rej_missing" });

    const report = await c.invariants();
    expect(found(report)).toEqual(
      expect.arrayContaining([
        ["index_agrees", tampered],
        ["audit_chain", rewritten],
        ["no_delivery_after_ack", acked],
        ["one_record_per_delivery", null],
      ]),
    );
    expect(report.violations.filter((v) => v.invariant === "one_record_per_delivery").map((v) => v.detail)).toEqual(
      expect.arrayContaining([expect.stringContaining("rcpt_phantom"), expect.stringContaining("rej_missing"), "0 rejection records for 1 refused deliveries"]),
    );
    expect(report.violations.some((v) => v.order_id === clean)).toBe(false);
  });

  it("flags an order nobody owns, and one the scenario made that no object holds", async () => {
    // No ownership rules: no SLA clock runs, so an order that stops halfway has no owner.
    const key = await seedTenant("inv-noowner");
    const ledger = new Ledger();
    const sent = await ledger.send({ label: "created", key: "wms:msg_inv", expect: "accepted", orderId: "o-1" }, () =>
      post("inv-noowner", "wms", "order.created", "o-1", Date.now(), ORDER_DATA, "msg_inv"),
    );
    expect(sent.status).toBe(202);
    const report = await checkInvariants("inv-noowner", key, { ledger, expectOrders: ["o-1", "never-made"] });
    // The same order may be reported by more than one check; what matters is which orders are flagged.
    const flagged = [...new Set(found(report).map((f) => JSON.stringify(f)))].map((f) => JSON.parse(f) as unknown).sort();
    expect(flagged).toEqual([
      ["no_silent_drop", "never-made"],
      ["no_silent_drop", "o-1"],
    ]);
  });
});
