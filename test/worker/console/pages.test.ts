import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { db } from "../../../worker/db/client";
import { handoffs, orders, slaBreaches, tasks } from "../../../worker/db/schema";
import { advance, orderStub, ORDER_DATA, post, TEST_SLA } from "../../helpers/handoff";
import { settleAlarms } from "../../helpers/http";
import { ConsoleClient, html } from "./helpers";
import { rejectedOrder } from "./seed";

afterEach(settleAlarms);

const MIN = 60_000;

describe("queue, task, order and today pages", () => {
  it("queue: overdue first with owner level, filters by type/owner/overdue, and the task page shows its evidence", async () => {
    const r = await rejectedOrder("con-pages", "pg-1");
    // The task's due time passes with nobody on it: it escalates to the backup.
    await advance(r.stub, Date.parse(r.task.sla_due));
    await r.stub.flush();
    const client = new ConsoleClient();
    await client.session("con-pages", r.key, "alice");

    // A refused inbound delivery, due five minutes ago (written as the rejection path writes it).
    const past = new Date(Date.now() - 5 * MIN).toISOString();
    await db(env.DB)
      .insert(tasks)
      .values({
        tenantId: "con-pages",
        taskId: "tk_overdue_rejection",
        orderId: null,
        rejectionId: "rej_1",
        type: "schema_rejection",
        status: "open",
        step: "routing",
        ref: "rej_1",
        owner: "routing@agency.example",
        owningParty: "agency:fulfillment-team",
        escalation: ["routing@agency.example", "lead@agency.example", "pagerduty:agency-oncall"],
        level: 0,
        slaDue: past,
        title: "Inbound shop delivery refused (schema_mismatch)",
        evidence: { rejection: { id: "rej_1", source: "shop", code: "schema_mismatch", reason: "line_items.0.sku: expected string", details: null, headers: {}, body_sha256: "ab", body_bytes: 10, received_at: past } },
        valueMinor: null,
        currency: null,
        openedAt: past,
        updatedAt: past,
      });

    const queue = await html(await client.get("/console/queue"));
    // Overdue first: the refused delivery (due 5 minutes ago, in red) sits above the order's task.
    const first = queue.indexOf('data-task="tk_overdue_rejection"');
    expect(first).toBeGreaterThan(-1);
    expect(first).toBeLessThan(queue.indexOf(`data-task="${r.task.task_id}"`));
    expect(queue.slice(first, first + 400)).toMatch(/class="due-over">overdue 5m/);
    expect(queue).toContain(">1 overdue<");
    const row = queue.slice(queue.indexOf(`data-task="${r.task.task_id}"`));
    // Escalated: the backup holds it now.
    expect(row).toContain("lead@agency.example");
    expect(row).toContain(">backup<");
    expect(row).toContain("42.00 EUR");
    expect(await html(await client.get("/console/queue?type=sla_breach"))).not.toContain(r.task.task_id);
    expect(await html(await client.get("/console/queue?owner=lead%40agency.example"))).toContain(r.task.task_id);
    expect(await html(await client.get("/console/queue?owner=nobody"))).not.toContain(r.task.task_id);
    expect(await html(await client.get("/console/queue?status=resolved"))).not.toContain(r.task.task_id);

    const task = await html(await client.get(`/console/tasks/${r.task.task_id}`));
    const rejection = await html(await client.get("/console/tasks/tk_overdue_rejection"));
    expect(rejection).toContain("Refused inbound delivery");
    expect(rejection).toContain("line_items.0.sku: expected string");
    // A refused delivery has no decision to override: the form offers close and replay only.
    expect(rejection).not.toContain('value="override"');
    for (const text of ["Exports and delivery attempts", "HTTP 422", "Receipts", "Audit entries", "export.escalated", "routing@agency.example", "lead@agency.example", "pagerduty:agency-oncall"]) {
      expect(task).toContain(text);
    }
  });

  it("order timeline: state, milestones, exports with attempts, SLA, audit chain verdict", async () => {
    const r = await rejectedOrder("con-order", "ord-1");
    const client = new ConsoleClient();
    await client.session("con-order", r.key, "alice");
    const page = await html(await client.get("/console/orders/ord-1"));
    expect(page).toContain(">on hold<");
    expect(page).toContain('data-chain="valid"');
    expect(page).toContain("Audit chain valid");
    expect(page).toContain('data-export="exp_fulfil_order_v1_ord-1"');
    expect(page).toContain("HTTP 422");
    expect(page).toContain('data-hold="consumer_rejected"');
    for (const m of ["created", "captured", "routed"]) expect(page).toContain(`<span class="strong">${m}</span>`);
    expect(page).toContain("MUG-01");
    expect((await client.get("/console/orders?id=ord-1")).headers.get("location")).toBe("/console/orders/ord-1");
  });

  it("today board: past-SLA by step and owner, unacked handoffs over 15 minutes, open tasks, revenue at risk per currency", async () => {
    const r = await rejectedOrder("con-today", "td-1");
    // A second order, in USD, whose payment clock runs out: a breach and a task.
    const now = Date.now();
    expect((await post("con-today", "wms", "order.created", "td-2", r.t0, { ...ORDER_DATA, total: { amount_minor: 150000, currency: "USD" } })).status).toBe(202);
    const o2 = orderStub("con-today", "td-2");
    await advance(o2, r.t0 + TEST_SLA.payment + 1000);
    await o2.flush();
    // A handoff issued 20 minutes ago and never acknowledged (written as the drain would).
    await db(env.DB)
      .insert(handoffs)
      .values({
        tenantId: "con-today",
        exportId: "exp_fulfil_order_v1_td-3",
        orderId: "td-3",
        action: "fulfil_order",
        step: "routing",
        version: 1,
        status: "delivered",
        owningParty: "agency:fulfillment-team",
        owner: "routing@agency.example",
        consumerUrl: null,
        attempts: 1,
        lastStatus: 200,
        lastErrorClass: null,
        issuedAt: new Date(now - 20 * MIN).toISOString(),
        deliveredAt: new Date(now - 20 * MIN).toISOString(),
        ackedAt: null,
        updatedAt: new Date(now - 20 * MIN).toISOString(),
      });

    const client = new ConsoleClient();
    await client.session("con-today", r.key, "alice");
    const page = await html(await client.get("/console/today"));
    expect(page).toContain('data-currency="EUR"');
    expect(page).toContain("42.00 EUR");
    expect(page).toContain('data-currency="USD"');
    expect(page).toContain("1,500.00 USD");
    expect(page).toContain("Orders past SLA, by step and owner");
    expect(page).toContain("finance@acme.example");
    expect(page).toContain("td-2");
    expect(page).toContain("Handoffs unacknowledged after 15m");
    expect(page).toContain('href="/console/orders/td-3"');
    expect(page).toContain("consumer rejected");
    expect(page).toContain("sla breach");

    // The numbers agree with D1.
    const breaches = await db(env.DB).select().from(slaBreaches).all();
    expect(breaches.filter((b) => b.tenantId === "con-today" && b.resolvedAt === null).length).toBeGreaterThan(0);
    const open = await db(env.DB).select().from(tasks).all();
    expect(open.filter((t) => t.tenantId === "con-today").length).toBeGreaterThanOrEqual(2);
    const idx = await db(env.DB).select().from(orders).all();
    expect(idx.filter((o) => o.tenantId === "con-today").map((o) => o.orderId).sort()).toEqual(["td-1", "td-2"]);
  });
});
