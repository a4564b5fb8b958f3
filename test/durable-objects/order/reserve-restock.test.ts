import { afterEach, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { cancellationId, ExportCancellation } from "../../../domain/handoff/cancellation";
import { exportId } from "../../../domain/handoff/document";
import { freshScenario, requests } from "../../helpers/consumer";
import { ack, getOrder, handoffTenant, ORDER_DATA, paidOrder, post, ROUTING_SECRET } from "../../helpers/handoff";
import { json, settleAlarms } from "../../helpers/http";
import { level, sendStock, settleInventory } from "../../helpers/inventory";

// Every inventory and order alarm still pending (sweeps, restock offers, deliveries): slow on a loaded machine.
afterEach(async () => {
  await settleInventory();
  await settleAlarms();
}, 60_000);

const T0 = Date.parse("2026-12-07T10:00:00Z");
const wmsOf = new Map<string, string>();

async function tenantWithStock(tenant: string, onHand: number): Promise<string> {
  const wms = freshScenario(`${tenant}-wms`);
  wmsOf.set(tenant, wms);
  const key = await handoffTenant(tenant, wms, freshScenario(`${tenant}-carrier`), (r) => {
    r.steps.backorder = { ...r.steps.routing, owner: "user:backorder-desk", sla: "PT4H" };
  });
  await sendStock(tenant, `snap-${tenant}`, "inventory.snapshot", { sku: "MUG-01", on_hand: onHand }, "2026-12-07T09:00:00Z");
  return key;
}

async function arrive(tenant: string, units: number, id: string): Promise<void> {
  expect((await sendStock(tenant, id, "inventory.adjusted", { sku: "MUG-01", delta: units, reason: "receipt" }, "2026-12-07T11:00:00Z")).status).toBe(202);
}

type Snapshot = Awaited<ReturnType<typeof getOrder>>;
const exportsOf = (o: Snapshot) => o.exports.map((e) => [e.export.export_id, e.status, e.export.order.line_items.map((l) => l.quantity)]);

/** Waits until the consumer received a message with this webhook-id (deliveries run from the objects' alarms). */
async function received(tenant: string, id: string): Promise<void> {
  await expect.poll(async () => (await requests(wmsOf.get(tenant) ?? "")).map((r) => r.headers["webhook-id"]), { timeout: 10_000 }).toContain(id);
}

describe("re-reserving when stock arrives: backorders filled first come first served", () => {
  it("a wholly backordered order is routed when stock arrives; its delivered backorder export is cancelled with the consumer, who acks", async () => {
    const tenant = "rr-none";
    const key = await tenantWithStock(tenant, 0);
    await paidOrder(tenant, "o-1", T0);
    const back = exportId("backorder_order", 1, "o-1");
    await received(tenant, back);
    expect((await level(tenant, "MUG-01", key)).waitlist).toEqual([expect.objectContaining({ order_id: "o-1", line: "0", waiting: 2 })]);

    await arrive(tenant, 2, "adj-rr-none");
    const route = exportId("fulfil_order", 1, "o-1");
    await expect.poll(async () => (await getOrder(tenant, "o-1", key)).exports.map((e) => e.export.export_id), { timeout: 10_000 }).toContain(route);
    // The backorder was delivered, so it is cancelled with its consumer; the routing of the same units waits for that ack
    // (the backorder's consumer may already have sourced them: they must not also ship from stock).
    expect(exportsOf(await getOrder(tenant, "o-1", key))).toEqual([
      [back, "cancelling", [2]],
      [route, "awaiting_cancellation", [2]],
    ]);
    const routed = await getOrder(tenant, "o-1", key);
    expect(routed.state).toBe("routed");
    expect(routed.milestones.backordered_at).toBeDefined();
    // The routing decision waited for stock: its clock runs from the arrival, not from the capture.
    expect(routed.sla.find((c) => c.step === "routing")?.since).toBe("restocked_at");
    const lvl = await level(tenant, "MUG-01", key);
    expect(lvl).toMatchObject({ on_hand: 2, reserved: 2, available: 0, waitlist: [] });
    expect(lvl.orders.map((r) => [r.order_id, r.line, r.reserved])).toEqual(expect.arrayContaining([["o-1", "0#r1", 2]]));
    await expect.poll(async () => (await level(tenant, "MUG-01", key)).orders.find((r) => r.line === "0#r1")?.status, { timeout: 10_000 }).toBe("committed");

    // The backorder consumer is told to drop its export (signed), acknowledges it, and the routing goes out.
    const cxl = cancellationId(back);
    await received(tenant, cxl);
    const sent = (await requests(wmsOf.get(tenant) ?? "")).find((r) => r.headers["webhook-id"] === cxl);
    const msg = ExportCancellation.parse(new Webhook(ROUTING_SECRET).verify(sent?.body ?? "", sent?.headers ?? {}));
    expect(msg).toMatchObject({ export_id: back, cancelled: { intended_action: "backorder_order", version: 1 }, superseded_by: null });
    expect(msg.reason).toMatch(/filled from arriving stock/);
    expect((await requests(wmsOf.get(tenant) ?? "")).map((r) => r.headers["webhook-id"])).not.toContain(route);
    expect(await json(await ack(tenant, cxl, "accepted"))).toMatchObject({ status: "cancelled", duplicate: false });
    await received(tenant, route);
    const done = await getOrder(tenant, "o-1", key);
    expect(done.exports.find((e) => e.export.export_id === back)?.status).toBe("cancelled");
    expect(done.sla.map((c) => c.step)).not.toContain("backorder");
  });

  it("a backorder consumer that already sourced the units refuses the cancellation: the routing is withdrawn unsent and a person decides", async () => {
    const tenant = "rr-kept";
    const key = await tenantWithStock(tenant, 0);
    await paidOrder(tenant, "o-k", T0);
    const back = exportId("backorder_order", 1, "o-k");
    await received(tenant, back);
    await arrive(tenant, 2, "adj-rr-kept");
    const cxl = cancellationId(back);
    await received(tenant, cxl);
    expect(await json(await ack(tenant, cxl, "rejected", ROUTING_SECRET, "already ordered from the supplier"))).toMatchObject({ status: "not_cancelled" });
    const o = await getOrder(tenant, "o-k", key);
    expect(exportsOf(o)).toEqual([
      [back, "not_cancelled", [2]],
      [exportId("fulfil_order", 1, "o-k"), "superseded", [2]],
    ]);
    expect(o.state).toBe("on_hold");
    expect((await requests(wmsOf.get(tenant) ?? "")).map((r) => r.headers["webhook-id"])).not.toContain(exportId("fulfil_order", 1, "o-k"));
  });

  it("a split order: the filled unit joins the routing (a new version replacing the first), the backorder export is taken back", async () => {
    const tenant = "rr-split";
    const key = await tenantWithStock(tenant, 1);
    await paidOrder(tenant, "o-s", T0);
    const r1 = exportId("fulfil_order", 1, "o-s");
    const b1 = exportId("backorder_order", 1, "o-s");
    await received(tenant, r1);
    await received(tenant, b1);
    await arrive(tenant, 1, "adj-rr-split");
    const r2 = exportId("fulfil_order", 2, "o-s");
    await expect.poll(async () => (await getOrder(tenant, "o-s", key)).exports.map((e) => e.export.export_id), { timeout: 10_000 }).toContain(r2);
    const o = await getOrder(tenant, "o-s", key);
    const status = new Map(o.exports.map((e) => [e.export.export_id, e]));
    expect(status.get(r2)?.export.order.line_items).toEqual(ORDER_DATA.line_items);
    expect(status.get(r2)?.export.supersedes).toBe(r1);
    // Both earlier decisions were delivered: each is cancelled with its consumer, never silently dropped.
    expect(status.get(r1)?.status).toBe("cancelling");
    expect(status.get(b1)?.status).toBe("cancelling");
    expect(status.get(r2)?.status).toBe("awaiting_cancellation");
    expect(await level(tenant, "MUG-01", key)).toMatchObject({ on_hand: 2, reserved: 2, waitlist: [] });
  });

  it("first come first served; a cancelled order leaves the waitlist; a warehouse that already accepted the split refuses more", async () => {
    const tenant = "rr-fifo";
    const key = await tenantWithStock(tenant, 1);
    await paidOrder(tenant, "o-split", T0); // 1 routed, 1 waiting
    await paidOrder(tenant, "o-gone", T0 + 10); // 2 waiting
    await paidOrder(tenant, "o-next", T0 + 20); // 2 waiting
    expect((await level(tenant, "MUG-01", key)).waitlist.map((w) => [w.order_id, w.waiting])).toEqual([
      ["o-split", 1],
      ["o-gone", 2],
      ["o-next", 2],
    ]);
    expect((await post(tenant, "wms", "order.cancelled", "o-gone", T0 + 1000, { reason: "customer" })).status).toBe(202);
    await expect.poll(async () => (await level(tenant, "MUG-01", key)).waitlist.map((w) => w.order_id), { timeout: 10_000 }).toEqual(["o-split", "o-next"]);
    // The warehouse took the split's routed unit: a second routing would be a second shipment, so it refuses the fill.
    expect((await post(tenant, "wms", "fulfillment.accepted", "o-split", T0 + 2000, {})).status).toBe(202);
    await arrive(tenant, 2, "adj-rr-fifo");
    await expect.poll(async () => (await getOrder(tenant, "o-next", key)).exports.some((e) => e.export.intended_action === "fulfil_order"), { timeout: 10_000 }).toBe(true);
    const lvl = await level(tenant, "MUG-01", key);
    expect(lvl).toMatchObject({ on_hand: 3, reserved: 3, available: 0, waitlist: [] });
    const fills = lvl.orders.filter((r) => r.line.includes("#r")).map((r) => [r.order_id, r.line, r.reserved, r.status, r.reason]);
    // o-split was first in line and got the first unit; it refused, the unit went back and on to o-next, which now has both.
    expect(fills.filter((f) => f[0] === "o-split")).toEqual([["o-split", "0#r1", 1, "released", "declined: the warehouse already accepted its routing"]]);
    const next = lvl.orders.filter((r) => r.order_id === "o-next" && r.line.includes("#r") && r.status !== "released");
    expect(next.reduce((n, r) => n + r.reserved, 0)).toBe(2);
    await expect
      .poll(async () => (await getOrder(tenant, "o-next", key)).exports.filter((e) => e.export.intended_action === "fulfil_order").at(-1)?.export.order.line_items, { timeout: 10_000 })
      .toEqual(ORDER_DATA.line_items);
    expect((await getOrder(tenant, "o-split", key)).exports.filter((e) => e.export.intended_action === "fulfil_order")).toHaveLength(1);
  });
});
