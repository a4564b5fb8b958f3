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
    // Spelled out: the card heading is upper-cased by CSS, and "15M" reads as something else.
    expect(page).toContain("Handoffs unacknowledged after 15 minutes");
    expect(page).not.toContain("after 15m");
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

  it("a task's title and heading say the consumer's reason in words, not its JSON, in full (issue 11)", async () => {
    const body = '{"error":{"code":"sku_unknown","message":"SKU MUG-01 is not stocked at DC-LYON; restock expected on Friday, route to DC-PARIS meanwhile"}}';
    const r = await rejectedOrder("con-titles", "tt-1", { consumerBody: body });
    const reason = "SKU MUG-01 is not stocked at DC-LYON; restock expected on Friday, route to DC-PARIS meanwhile (sku_unknown)";
    expect(r.task.title).toBe(`Downstream system rejected the handoff: consumer answered HTTP 422: ${reason}`);
    const client = new ConsoleClient();
    await client.session("con-titles", r.key, "alice");
    const queue = await html(await client.get("/console/queue"));
    const row = queue.slice(queue.indexOf(`data-task="${r.task.task_id}"`));
    expect(row).toContain(reason);
    const task = await html(await client.get(`/console/tasks/${r.task.task_id}`));
    const heading = /<h1>([\s\S]*?)<\/h1>/.exec(task)?.[1] ?? "";
    expect(heading).toContain(reason);
    expect(heading).not.toMatch(/[{}]|&quot;/);
    // The raw body is still there for whoever needs it: in the delivery attempt's evidence.
    const order = await html(await client.get("/console/orders/tt-1"));
    expect(order).toContain(reason.slice(0, 60));
  });

  it("order page: durations read as durations (no 'lag ms 1433288833'), milestones in time order", async () => {
    const r = await rejectedOrder("con-lag", "lg-1");
    const client = new ConsoleClient();
    await client.session("con-lag", r.key, "alice");
    const page = await html(await client.get("/console/orders/lg-1"));
    expect(page).not.toMatch(/<b>lag ms<\/b>/);
    expect(page).not.toMatch(/<b>latency ms<\/b>/);
    // order.created occurred 2 s before it was recorded: its lag reads "2s".
    expect(page).toMatch(/<b>lag<\/b> \d+s/);
    const at = (m: string): number => page.indexOf(`<span class="strong">${m}</span>`);
    expect(at("created")).toBeGreaterThan(-1);
    expect(at("created")).toBeLessThan(at("captured"));
    expect(at("captured")).toBeLessThan(at("routed"));
    // The task's evidence lists the milestones in the same order.
    const task = await html(await client.get(`/console/tasks/${r.task.task_id}`));
    const line = task.slice(task.indexOf("<dt>Milestones</dt>"), task.indexOf("</dd>", task.indexOf("<dt>Milestones</dt>")));
    expect(line.indexOf("<b>created</b>")).toBeLessThan(line.indexOf("<b>captured</b>"));
    expect(line.indexOf("<b>captured</b>")).toBeLessThan(line.indexOf("<b>routed</b>"));
  });

  it("today board: 'orders past SLA' counts orders, not (order, step) pairs; 'Largest' says how many more", async () => {
    const tenant = "con-counts";
    const r = await rejectedOrder(tenant, "ct-0");
    const now = new Date().toISOString();
    const past = new Date(Date.now() - 60 * MIN).toISOString();
    // Twelve orders on hold (written as the drain writes the index), one of them late on two steps.
    for (let i = 1; i <= 12; i++) {
      await db(env.DB)
        .insert(orders)
        .values({ tenantId: tenant, orderId: `ct-${i}`, state: "on_hold", locked: true, valueMinor: 1000 * i, currency: "EUR", source: "wms", milestones: {}, attribution: {}, holds: 1, version: 1, createdAt: now, updatedAt: now });
    }
    for (const [orderId, step] of [["ct-1", "routing"], ["ct-1", "payment"], ["ct-2", "routing"]] as const) {
      await db(env.DB).insert(slaBreaches).values({ tenantId: tenant, orderId, step, level: 0, contact: `${step}@acme.example`, owningParty: "acme", dueAt: past, breachedAt: past, resolvedAt: null });
    }
    const client = new ConsoleClient();
    await client.session(tenant, r.key, "alice");
    const page = await html(await client.get("/console/today"));
    const card = page.slice(page.indexOf("Orders past SLA, by step and owner"));
    // Two orders; three breaches.
    expect(card).toMatch(/^Orders past SLA, by step and owner<\/h2><span class="n">2<\/span>/);
    expect(card).toContain("3 breaches: some orders are late on more than one step");
    // 13 orders at risk (the rejected one and the twelve): 8 listed, and a line for the rest.
    expect(page).toContain("13 orders");
    expect(page.match(/<td><a href="\/console\/orders\/ct-/g)?.length).toBe(8);
    expect(page).toMatch(/data-more="at-risk">\s*and 5 more/);
  });
});
