import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { freshScenario } from "../../helpers/consumer";
import { advance, handoffTenant, ORDER_DATA, orderStub, post, setClock } from "../../helpers/handoff";
import { call, createTenant, expectError, settleAlarms } from "../../helpers/http";
import { NOTIFY_CHAIN, NOTIFY_CHAIN_END } from "../../../domain/notify/trail";
import { bothFormats, exportPath, fetchExport, insertTasks, parseCsv } from "../../helpers/analytics-exports";

/**
 * Exports of orders seeded through the real webhook path (signed Standard
 * Webhooks, the order objects, their outbox drains into D1), with the objects'
 * clocks pinned so the audit `at` times land in a known month.
 */

const T = "ax-seed";
const H = 3_600_000;
const at = (s: string) => Date.parse(s);
// Tenant-supplied text that needs every CSV escape: comma, quote, newline, and a leading '='.
const CAMPAIGN = 'Fall, "big" sale\r\nday 2';
const CHANNEL = "=HYPERLINK(web)";

let key = "";
let otherKey = "";

async function step(orderId: string, t: number, source: "wms" | "carrier", type: string, data: Record<string, unknown>): Promise<void> {
  await setClock(orderStub(T, orderId), t);
  expect((await post(T, source, type, orderId, t, data)).status).toBe(202);
}

/** Runs the object's alarm at `t`: deliveries, SLA checks and the drain happen at that instant. */
async function tick(orderId: string, t: number): Promise<void> {
  await advance(orderStub(T, orderId), t);
}

beforeAll(async () => {
  // The WMS needs no ack, so a delivered routing export completes its handoff without the ack-timeout ladder.
  key = await handoffTenant(T, freshScenario("wms"), freshScenario("carrier"), (r) => {
    if (r.steps.routing.consumer) r.steps.routing.consumer.requires_ack = false;
  });
  otherKey = await createTenant("ax-other");

  // o1: the whole lifecycle in October, with awkward attribution text.
  const t1 = at("2026-10-03T10:00:00Z");
  await step("o1", t1, "wms", "order.created", {
    ...ORDER_DATA,
    attribution: { utm_source: "newsletter", utm_medium: "email", utm_campaign: CAMPAIGN, channel: CHANNEL },
  });
  await step("o1", t1 + 1000, "wms", "payment.captured", { amount: ORDER_DATA.total, payment_id: "pi_1" });
  await tick("o1", t1 + 2000);
  await step("o1", t1 + H, "wms", "fulfillment.accepted", { fulfillment_id: "F-1" });
  await tick("o1", t1 + H + 1000);
  await step("o1", t1 + 2 * H, "carrier", "shipment.shipped", { carrier: "UPS", tracking_number: "1Z1" });
  await step("o1", t1 + 5 * H, "carrier", "shipment.delivered", { carrier: "UPS", tracking_number: "1Z1" });

  // o2: never paid; the payment SLA (1 h) breaches and escalates once.
  const t2 = at("2026-10-20T08:00:00Z");
  await step("o2", t2, "wms", "order.created", ORDER_DATA);
  await tick("o2", t2 + 2.5 * H);

  // o4: breaches payment, then is captured: the breach is resolved.
  const t4 = at("2026-10-25T12:00:00Z");
  await step("o4", t4, "wms", "order.created", ORDER_DATA);
  await tick("o4", t4 + 1.5 * H);
  await step("o4", t4 + 2 * H, "wms", "payment.captured", { amount: ORDER_DATA.total, payment_id: "pi_4" });
  await tick("o4", t4 + 2 * H + 1000);

  // o3: November, outside the October window.
  const t3 = at("2026-11-02T09:00:00Z");
  await step("o3", t3, "wms", "order.created", ORDER_DATA);
  await step("o3", t3 + 1000, "wms", "payment.captured", { amount: ORDER_DATA.total, payment_id: "pi_3" });
  await tick("o3", t3 + 2000);

  await settleAlarms();

  // Alongside whatever tasks the objects opened themselves: ours are the ax- ids.
  await insertTasks([
    { tenant: T, taskId: "ax-t1", orderId: "o1", status: "resolved", openedAt: "2026-10-03T12:00:00.000Z", claimedAt: "2026-10-03T12:05:00.000Z", resolvedAt: "2026-10-03T13:00:00.000Z", action: "replay", valueMinor: 4200 },
    { tenant: T, taskId: "ax-t2", orderId: "o2", status: "open", openedAt: "2026-10-20T09:00:00.000Z" },
    { tenant: T, taskId: "ax-t3", orderId: "o2", status: "claimed", openedAt: "2026-10-20T10:00:00.000Z", claimedAt: "2026-10-20T10:00:01.500Z" },
    { tenant: T, taskId: "ax-t4", orderId: null, rejectionId: "rej_1", type: "schema_rejection", status: "cancelled", openedAt: "2026-10-21T00:00:00.000Z", resolvedAt: "2026-10-21T01:00:00.000Z", action: "close" },
    { tenant: T, taskId: "ax-t5", orderId: "o3", status: "open", openedAt: "2026-11-02T10:00:00.000Z" },
  ]);
});

const OCT = { from: "2026-10-01", to: "2026-11-01" };

interface AuditOracle {
  order_id: string;
  seq: number;
  at: string;
  type: string;
  data: string;
}

/** The order and watcher trail: audit_log less the notification chains, which have an export of their own. */
async function auditOracle(from = "", to = "\u{10FFFF}", chains: "orders" | "notifications" = "orders"): Promise<AuditOracle[]> {
  const notify = `order_id >= '${NOTIFY_CHAIN}' AND order_id < '${NOTIFY_CHAIN_END}'`;
  const { results } = await env.DB.prepare(
    `SELECT order_id, seq, at, type, data FROM audit_entries WHERE tenant_id = ? AND at >= ? AND at < ? AND ${chains === "orders" ? `NOT (${notify})` : notify} ORDER BY at, order_id, seq`,
  )
    .bind(T, from, to)
    .all<AuditOracle>();
  return results;
}

describe("events export", () => {
  it("is exactly the tenant's audit_log, in (at, order_id, seq) order, in both formats", async () => {
    const rows = await bothFormats(T, "events", key);
    const oracle = await auditOracle();
    expect(oracle.length).toBeGreaterThan(30);
    expect(rows.map((r) => ({ order_id: r.order_id, seq: r.seq, at: r.at, type: r.type, data: r.data }))).toEqual(oracle);
    expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set([T]));
  });

  it("leaves the notification chains to the notifications export, which holds exactly them", async () => {
    const rows = await bothFormats(T, "notifications", key);
    const oracle = await auditOracle(undefined, undefined, "notifications");
    // The seed's breaches name owners that are no contacts: each notice is recorded as unreachable.
    expect(oracle.some((r) => r.type === "notification.unreachable")).toBe(true);
    expect(rows.map((r) => ({ order_id: r.chain_id, seq: r.seq, at: r.at, type: r.type, data: r.data }))).toEqual(oracle);
  });

  it("?columns= keeps the asked columns, in the schema's order, in both formats", async () => {
    const full = await bothFormats(T, "events", key);
    const csv = await fetchExport(T, "events", "csv", key, { columns: "type, order_id,at,seq" });
    const [header, ...rows] = parseCsv(csv.text);
    expect(header).toEqual(["order_id", "seq", "at", "type"]);
    expect(rows.map(([order_id, seq, at, type]) => ({ order_id, seq: Number(seq), at, type }))).toEqual(
      full.map((r) => ({ order_id: r.order_id, seq: r.seq, at: r.at, type: r.type })),
    );
    const nd = await fetchExport(T, "events", "ndjson", key, { columns: "type,order_id" });
    const lines = nd.text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => Object.keys(l))).toEqual(full.map(() => ["order_id", "type"]));
    expect(lines.map((l) => l.type)).toEqual(full.map((r) => r.type));
  });

  it("?columns= naming no column, or one the export lacks, is 400 validation_failed and lists the columns", async () => {
    for (const columns of ["", " , ", "order_id,body", "DATA"]) {
      const err = await expectError(await call("GET", exportPath(T, "events", "csv", { columns }), { token: key }), 400, "validation_failed");
      expect(err.details).toEqual([expect.objectContaining({ path: "columns", message: expect.stringContaining("events has tenant_id, order_id, seq") })]);
    }
  });

  it("selects the window by `at`: from inclusive, to exclusive", async () => {
    const rows = await bothFormats(T, "events", key, OCT);
    const oracle = await auditOracle("2026-10-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z");
    expect(rows.map((r) => `${String(r.order_id)}#${String(r.seq)}`)).toEqual(oracle.map((r) => `${r.order_id}#${r.seq}`));
    expect(new Set(rows.map((r) => r.order_id))).toEqual(new Set(["o1", "o2", "o4"]));
    // A bound equal to a row's `at` includes it as `from` and excludes it as `to`.
    const first = oracle[0];
    if (!first) throw new Error("no rows");
    const incl = await bothFormats(T, "events", key, { from: first.at, to: "2026-11-01" });
    expect(incl[0]?.at).toBe(first.at);
    const excl = await bothFormats(T, "events", key, { from: "2026-09-01", to: first.at });
    expect(excl).toEqual([]);
    // Offsets are normalised to UTC: 2026-10-03T12:00+02:00 is 10:00Z.
    const o1Start = await bothFormats(T, "events", key, { from: "2026-10-03T12:00:00+02:00", to: "2026-10-03T10:00:01Z" });
    expect(o1Start.length).toBeGreaterThan(0);
    expect(o1Start.every((r) => r.at === "2026-10-03T10:00:00.000Z")).toBe(true);
  });

  it("flattens what each audit entry type carries into columns", async () => {
    const rows = await bothFormats(T, "events", key, OCT);
    const of = (order: string, type: string) => rows.filter((r) => r.order_id === order && r.type === type);

    const receipt = of("o1", "receipt.recorded")[0];
    expect(receipt).toMatchObject({ source: "wms", receipt_id: expect.stringMatching(/^rcpt_/), event_type: null, status: null });

    const created = of("o1", "event.applied").find((r) => r.event_type === "order.created");
    expect(created).toMatchObject({
      event_id: expect.stringMatching(/^wms:msg_order\.created_o1_/),
      source: "wms",
      occurred_at: "2026-10-03T10:00:00.000Z",
      state_from: "received",
      state_to: "awaiting_payment",
      lag_ms: 0,
    });
    expect(of("o1", "event.applied").map((r) => r.state_to)).toEqual(expect.arrayContaining(["paid", "accepted", "shipped", "delivered"]));

    const issued = of("o1", "export.issued").find((r) => r.step === "routing");
    expect(issued).toMatchObject({ export_id: "exp_fulfil_order_v1_o1", owner: "routing@agency.example", owning_party: "agency:fulfillment-team" });
    // Attempts name no step themselves: it is derived from the export id.
    expect(of("o1", "export.attempt").map((r) => [r.export_id, r.step, r.status, r.outcome, r.error_class])).toEqual([
      ["exp_fulfil_order_v1_o1", "routing", 200, "delivered", null],
      ["exp_request_shipment_v1_o1", "shipping", 200, "delivered", null],
    ]);
    // Both delivered exports are acknowledged, each by one export.acked that says how: the routing
    // consumer owes no ack here (requires_ack: false), so its 2xx is the ack (issue 11).
    const acks = of("o1", "export.acked");
    expect(acks.map((r) => r.export_id).sort()).toEqual(["exp_fulfil_order_v1_o1", "exp_request_shipment_v1_o1"]);
    expect(acks.find((r) => r.step === "routing")).toMatchObject({ ack_via: "delivery", status: null });
    for (const r of acks) expect(["ack", "event", "delivery"]).toContain(r.ack_via);

    const breach = of("o2", "sla.breached")[0];
    expect(breach).toMatchObject({ step: "payment", level: 0, owner: expect.any(String), owning_party: expect.any(String), contact: expect.any(String) });
    expect(of("o2", "sla.escalated").map((r) => [r.step, r.level])).toEqual([["payment", 1]]);
    expect(of("o4", "sla.recovered").map((r) => r.step)).toEqual(["payment"]);
  });
});

/** Per-order counts straight from the tables, written independently of the export's query. */
async function countsOracle(orderId: string): Promise<Record<string, number>> {
  const b = await env.DB.prepare("SELECT level, resolved_at FROM sla_breaches WHERE tenant_id = ? AND order_id = ?").bind(T, orderId).all<{ level: number; resolved_at: string | null }>();
  const t = await env.DB.prepare("SELECT status FROM tasks WHERE tenant_id = ? AND order_id = ?").bind(T, orderId).all<{ status: string }>();
  const first = b.results.filter((r) => r.level === 0);
  return {
    breaches: first.length,
    open_breaches: first.filter((r) => r.resolved_at === null).length,
    tasks: t.results.length,
    open_tasks: t.results.filter((r) => r.status === "open" || r.status === "claimed").length,
  };
}

describe("orders export", () => {
  it("one row per order created in the window, with milestones, attribution and counts", async () => {
    const rows = await bothFormats(T, "orders", key, OCT);
    expect(rows.map((r) => r.order_id)).toEqual(["o1", "o2", "o4"]);
    const [o1, o2, o4] = rows;
    expect(o1).toMatchObject({
      tenant_id: T,
      source: "wms",
      state: "delivered",
      value_minor: 4200,
      currency: "EUR",
      utm_source: "newsletter",
      utm_medium: "email",
      utm_campaign: CAMPAIGN,
      channel: CHANNEL,
      created_at: "2026-10-03T10:00:00.000Z",
      captured_at: "2026-10-03T10:00:01.000Z",
      accepted_at: "2026-10-03T11:00:00.000Z",
      shipped_at: "2026-10-03T12:00:00.000Z",
      delivered_at: "2026-10-03T15:00:00.000Z",
      authorized_at: null,
      cancelled_at: null,
      open_breaches: 0,
      open_tasks: 0,
    });
    expect(o1?.routed_at).toEqual(expect.any(String));
    // The payment step breached and escalated once: one breach (escalations are not more breaches), still open.
    expect(o2).toMatchObject({ state: "awaiting_payment", captured_at: null, breaches: 1, open_breaches: 1, utm_source: null });
    expect(o2?.next_due_at).toEqual(expect.any(String));
    // Captured after its payment breach: the breach counts, but is no longer open.
    expect(o4).toMatchObject({ breaches: 1, open_breaches: 0, captured_at: "2026-10-25T14:00:00.000Z" });
    for (const r of rows) {
      expect({ breaches: r.breaches, open_breaches: r.open_breaches, tasks: r.tasks, open_tasks: r.open_tasks }).toEqual(await countsOracle(String(r.order_id)));
    }
    // Our synthetic tasks are among the counted ones.
    expect(Number(o2?.tasks)).toBeGreaterThanOrEqual(2);
    expect(Number(o2?.open_tasks)).toBeGreaterThanOrEqual(2);
  });

  it("matches the D1 index row for row", async () => {
    const rows = await bothFormats(T, "orders", key);
    const { results } = await env.DB.prepare("SELECT order_id, state, created_at, updated_at FROM orders WHERE tenant_id = ? ORDER BY created_at, order_id").bind(T).all();
    expect(rows.map((r) => ({ order_id: r.order_id, state: r.state, created_at: r.created_at, updated_at: r.updated_at }))).toEqual(results);
  });
});

describe("tasks export", () => {
  it("rows by opened_at with response and resolution times", async () => {
    const rows = await bothFormats(T, "tasks", key, OCT);
    // Every task of the window, including the ones the order objects opened themselves.
    const { results } = await env.DB.prepare(
      "SELECT task_id, opened_at, claimed_at, resolved_at FROM tasks WHERE tenant_id = ? AND opened_at >= '2026-10-01' AND opened_at < '2026-11-01' ORDER BY opened_at, task_id",
    )
      .bind(T)
      .all<{ task_id: string; opened_at: string; claimed_at: string | null; resolved_at: string | null }>();
    const ms = (a: string, b: string | null) => (b === null ? null : new Date(b).getTime() - new Date(a).getTime());
    expect(rows.map((r) => [r.task_id, r.first_response_ms, r.resolve_ms])).toEqual(
      results.map((t) => [t.task_id, ms(t.opened_at, t.claimed_at), ms(t.opened_at, t.resolved_at)]),
    );
    const mine = rows.filter((r) => String(r.task_id).startsWith("ax-"));
    expect(mine.map((r) => [r.task_id, r.order_id, r.status, r.first_response_ms, r.resolve_ms])).toEqual([
      ["ax-t1", "o1", "resolved", 300_000, 3_600_000],
      ["ax-t2", "o2", "open", null, null],
      ["ax-t3", "o2", "claimed", 1500, null],
      ["ax-t4", null, "cancelled", null, 3_600_000],
    ]);
    expect(mine[0]).toMatchObject({ action: "replay", value_minor: 4200, currency: "EUR", claimed_by: "ada@merchant.example", owner: "ops@merchant.example", level: 0 });
    expect(mine[3]).toMatchObject({ rejection_id: "rej_1", type: "schema_rejection" });
    const nov = await bothFormats(T, "tasks", key, { from: "2026-11-01" });
    expect(nov.map((r) => r.task_id)).toContain("ax-t5");
    expect(nov.every((r) => String(r.opened_at) >= "2026-11-01")).toBe(true);
  });
});

describe("CSV and HTTP details", () => {
  it("quotes commas, quotes and newlines per RFC 4180 and keeps values exact (no formula escaping)", async () => {
    const { text } = await fetchExport(T, "orders", "csv", key, OCT);
    expect(text).toContain(`"Fall, ""big"" sale\r\nday 2"`);
    expect(text).toContain(`,${CHANNEL},`);
    expect(text.endsWith("\r\n")).toBe(true);
    const [, first] = parseCsv(text);
    expect(first?.[8]).toBe(CAMPAIGN);
    // JSON in the data column round-trips through the quoting.
    const events = parseCsv((await fetchExport(T, "events", "csv", key, OCT)).text);
    const dataCol = events[0]?.indexOf("data") ?? -1;
    for (const rec of events.slice(1)) expect(() => JSON.parse(rec[dataCol] ?? "") as unknown).not.toThrow();
  });

  it("answers with the media type and an attachment filename", async () => {
    const csv = await fetchExport(T, "events", "csv", key, OCT);
    expect(csv.res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.res.headers.get("content-disposition")).toBe(`attachment; filename="events-${T}-2026-10-01-2026-11-01.csv"`);
    const nd = await fetchExport(T, "orders", "ndjson", key, { from: "2026-10-01T00:00:00Z" });
    expect(nd.res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(nd.res.headers.get("content-disposition")).toBe(`attachment; filename="orders-${T}-2026-10-01T000000Z-end.ndjson"`);
    expect(nd.res.headers.get("cache-control")).toBe("no-store");
  });

  it("an empty window is a header alone (CSV) or an empty body (NDJSON)", async () => {
    const q = { from: "2020-01-01", to: "2020-02-01" };
    expect((await fetchExport(T, "tasks", "csv", key, q)).text).toBe(
      "tenant_id,task_id,order_id,rejection_id,type,status,owner,owning_party,level,value_minor,currency,opened_at,sla_due,claimed_at,claimed_by,resolved_at,resolved_by,action,first_response_ms,resolve_ms,onset_at,detect_ms\r\n",
    );
    expect((await fetchExport(T, "events", "ndjson", key, q)).text).toBe("");
  });
});

describe("auth and validation", () => {
  it("no key 401, unknown key 401, another tenant's key 404", async () => {
    await expectError(await call("GET", exportPath(T, "events", "csv")), 401, "unauthorized");
    await expectError(await call("GET", exportPath(T, "events", "csv"), { token: "hk_nope" }), 401, "unauthorized");
    await expectError(await call("GET", exportPath(T, "events", "csv"), { token: otherKey }), 404, "not_found");
    // The other tenant's own (empty) export works with its key.
    expect((await fetchExport("ax-other", "orders", "ndjson", otherKey)).text).toBe("");
  });

  it("unknown exports and formats are 404", async () => {
    for (const file of ["handoffs.csv", "events.json", "events", ".csv", "events.csv.gz"]) {
      await expectError(await call("GET", `/v1/tenants/${T}/exports/${file}`, { token: key }), 404, "not_found");
    }
  });

  it("bad dates, an empty window and page sizes out of range are 400 validation_failed", async () => {
    const bad: Record<string, string>[] = [
      { from: "2026-13-01" },
      { from: "yesterday" },
      { to: "2026-10-01T10:00:00" },
      { from: "2026-02-30" },
      { from: "2026-11-01", to: "2026-11-01" },
      { from: "2026-11-02", to: "2026-11-01" },
      { page_size: "0" },
      { page_size: "5001" },
      { page_size: "ten" },
    ];
    for (const q of bad) {
      const err = await expectError(await call("GET", exportPath(T, "events", "ndjson", q), { token: key }), 400, "validation_failed");
      expect(err.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.any(String), message: expect.any(String) })]));
    }
  });
});
