import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createTenant } from "../../helpers/http";
import { PAGE_SQL } from "../../../worker/analytics-exports/stream";
import { EXPORT_ROWS, type ExportName } from "../../../worker/analytics-exports/rows";
import { bothFormats, exportPath, fetchExport, insertAudit, insertOrders, insertTasks, parseNdjson, type AuditSeed, type OrderSeed, type TaskSeed } from "../../helpers/analytics-exports";

/**
 * Keyset pagination across many page boundaries, on synthetic rows written
 * straight into D1 (thousands of webhooks would only slow the test down without
 * testing the paging any better). Timestamps are deliberately shared by many
 * rows, so pages end in the middle of a run of equal `at` / `created_at` and
 * only the tie-breaking keys keep rows from being repeated or skipped.
 */

const T = "ax-page";
let key = "";

const iso = (ms: number) => new Date(ms).toISOString();
const OCT1 = Date.parse("2026-10-01T00:00:00Z");
const NOV1 = Date.parse("2026-11-01T00:00:00Z");

const EVENTS = 2_345;
const ORDERS = 1_234;
const TASKS = 1_111;

function syntheticAudit(tenant: string, n: number, orders: number, distinctTimes: number): AuditSeed[] {
  const seq = new Map<string, number>();
  const rows: AuditSeed[] = [];
  for (let i = 0; i < n; i++) {
    // Scattered over orders and times so that (at, order_id, seq) order differs from insertion order.
    const orderId = `ord-${String((i * 7919) % orders).padStart(4, "0")}`;
    const s = (seq.get(orderId) ?? 0) + 1;
    seq.set(orderId, s);
    const t = OCT1 + ((i * 104_729) % distinctTimes) * 60_000;
    rows.push({ tenant, orderId, seq: s, at: iso(t), type: i % 3 === 0 ? "export.attempt" : "event.applied", data: { export_id: `exp_fulfil_order_v1_${orderId}`, attempt: s, status: 500 + (i % 4), outcome: "retry", latency_ms: i } });
  }
  return rows;
}

interface Key {
  a: string;
  b: string;
}

beforeAll(async () => {
  key = await createTenant(T);
  const audit = syntheticAudit(T, EVENTS, 97, 40);
  // Outside the window on both sides, and another tenant's rows at the same instants.
  audit.push({ tenant: T, orderId: "ord-early", seq: 1, at: iso(OCT1 - 1), type: "event.applied", data: {} });
  audit.push({ tenant: T, orderId: "ord-late", seq: 1, at: iso(NOV1), type: "event.applied", data: {} });
  audit.push(...syntheticAudit("ax-page-other", 50, 5, 40));
  await insertAudit(audit);

  const orders: OrderSeed[] = [];
  for (let i = 0; i < ORDERS; i++) {
    // Ten orders share each creation instant.
    orders.push({ tenant: T, orderId: `ord-${String((i * 31) % ORDERS).padStart(5, "0")}`, createdAt: iso(OCT1 + Math.floor(i / 10) * 1000), attribution: { utm_campaign: `c${i % 3}` } });
  }
  orders.push({ tenant: T, orderId: "ord-late", createdAt: iso(NOV1) });
  await insertOrders(orders);
  const stmt = env.DB.prepare("INSERT INTO sla_breaches (tenant_id, order_id, step, level, contact, owning_party, due_at, breached_at, resolved_at) VALUES (?, ?, ?, ?, 'c', 'p', ?, ?, ?)");
  const breaches: D1PreparedStatement[] = [];
  for (let i = 0; i < ORDERS; i += 7) {
    const id = `ord-${String(i).padStart(5, "0")}`;
    breaches.push(stmt.bind(T, id, "payment", 0, iso(OCT1), iso(OCT1), i % 2 ? iso(OCT1 + 1) : null));
    breaches.push(stmt.bind(T, id, "payment", 1, iso(OCT1), iso(OCT1), i % 2 ? iso(OCT1 + 1) : null));
  }
  await env.DB.batch(breaches);

  const tasks: TaskSeed[] = [];
  for (let i = 0; i < TASKS; i++) {
    tasks.push({
      tenant: T,
      taskId: `tk-${String((i * 13) % TASKS).padStart(5, "0")}`,
      orderId: `ord-${String(i % ORDERS).padStart(5, "0")}`,
      status: (["open", "claimed", "resolved", "cancelled"] as const)[i % 4] ?? "open",
      openedAt: iso(OCT1 + Math.floor(i / 8) * 1000),
      claimedAt: i % 4 === 1 || i % 4 === 2 ? iso(OCT1 + Math.floor(i / 8) * 1000 + 250) : null,
      resolvedAt: i % 4 >= 2 ? iso(OCT1 + Math.floor(i / 8) * 1000 + 90_000) : null,
    });
  }
  await insertTasks(tasks);
});

async function oracle(sql: string): Promise<Key[]> {
  return (await env.DB.prepare(sql).bind(T).all<Key>()).results;
}

function keys(rows: Record<string, unknown>[], a: string, b: string): Key[] {
  return rows.map((r) => ({ a: String(r[a]), b: String(r[b]) }));
}

const WINDOW = { from: "2026-10-01", to: "2026-11-01" };

describe("keyset pagination", () => {
  it("events: every page size yields the same rows, once each, in (at, order_id, seq) order", async () => {
    const expected = await oracle(
      "SELECT at || '|' || order_id AS a, CAST(seq AS TEXT) AS b FROM audit_entries WHERE tenant_id = ? AND at >= '2026-10-01T00:00:00.000Z' AND at < '2026-11-01T00:00:00.000Z' ORDER BY at, order_id, seq",
    );
    expect(expected).toHaveLength(EVENTS);
    for (const pageSize of [7, 100, 469, 500, 5000]) {
      const rows = await bothFormats(T, "events", key, { ...WINDOW, page_size: pageSize });
      expect(rows.map((r) => ({ a: `${String(r.at)}|${String(r.order_id)}`, b: String(r.seq) })), `page_size ${pageSize}`).toEqual(expected);
    }
  });

  it("orders: pages split runs of equal created_at without losing or repeating an order", async () => {
    const expected = await oracle("SELECT created_at AS a, order_id AS b FROM orders WHERE tenant_id = ? AND created_at < '2026-11-01' ORDER BY created_at, order_id");
    expect(expected).toHaveLength(ORDERS);
    for (const pageSize of [3, 10, 128, 5000]) {
      const rows = await bothFormats(T, "orders", key, { ...WINDOW, page_size: pageSize });
      expect(keys(rows, "created_at", "order_id"), `page_size ${pageSize}`).toEqual(expected);
      expect(new Set(rows.map((r) => r.order_id)).size).toBe(ORDERS);
    }
    // Counts come from a per-page query: check them against whole-table aggregates.
    const rows = await bothFormats(T, "orders", key, { ...WINDOW, page_size: 64 });
    const counts = await env.DB.prepare(
      `SELECT o.order_id AS id,
         (SELECT count(*) FROM sla_breaches b WHERE b.tenant_id = o.tenant_id AND b.order_id = o.order_id AND b.level = 0) AS breaches,
         (SELECT count(*) FROM sla_breaches b WHERE b.tenant_id = o.tenant_id AND b.order_id = o.order_id AND b.level = 0 AND b.resolved_at IS NULL) AS open_breaches,
         (SELECT count(*) FROM tasks t WHERE t.tenant_id = o.tenant_id AND t.order_id = o.order_id) AS tasks,
         (SELECT count(*) FROM tasks t WHERE t.tenant_id = o.tenant_id AND t.order_id = o.order_id AND t.status IN ('open', 'claimed')) AS open_tasks
       FROM orders o WHERE o.tenant_id = ?`,
    )
      .bind(T)
      .all<{ id: string; breaches: number; open_breaches: number; tasks: number; open_tasks: number }>();
    const byId = new Map(counts.results.map((c) => [c.id, c]));
    for (const r of rows) {
      const c = byId.get(String(r.order_id));
      expect([r.breaches, r.open_breaches, r.tasks, r.open_tasks]).toEqual([c?.breaches, c?.open_breaches, c?.tasks, c?.open_tasks]);
    }
    expect(rows.reduce((n, r) => n + Number(r.breaches), 0)).toBe(Math.ceil(ORDERS / 7));
    expect(rows.reduce((n, r) => n + Number(r.tasks), 0)).toBe(TASKS);
  });

  it("tasks: same rows for every page size, in (opened_at, task_id) order", async () => {
    const expected = await oracle("SELECT opened_at AS a, task_id AS b FROM tasks WHERE tenant_id = ? ORDER BY opened_at, task_id");
    expect(expected).toHaveLength(TASKS);
    for (const pageSize of [8, 250, 5000]) {
      const rows = await bothFormats(T, "tasks", key, { ...WINDOW, page_size: pageSize });
      expect(keys(rows, "opened_at", "task_id"), `page_size ${pageSize}`).toEqual(expected);
    }
    // One row per page, over the first 48 tasks (8 share each second).
    const head = await bothFormats(T, "tasks", key, { from: "2026-10-01", to: "2026-10-01T00:00:06Z", page_size: 1 });
    expect(keys(head, "opened_at", "task_id")).toEqual(expected.slice(0, 48));
  });

  it("every page query is an index range, never a scan or a full sort of the window", async () => {
    const plans: Record<string, string[]> = {};
    for (const name of Object.keys(EXPORT_ROWS) as ExportName[]) {
      for (const after of [false, true]) {
        const sql = PAGE_SQL[name](after);
        // Numbered parameters (?1 … ?6) bind once however often they appear.
        const numbered = new Set(sql.match(/\?\d+/g) ?? []).size;
        const binds = Array.from({ length: numbered > 0 ? numbered : (sql.match(/\?/g) ?? []).length }, () => "x");
        const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind(...binds).all<{ detail: string }>();
        plans[`${name}${after ? " (after cursor)" : ""}`] = results.map((r) => r.detail);
      }
    }
    for (const [name, plan] of Object.entries(plans)) {
      expect(plan.some((d) => /^SEARCH (audit_log|orders|tasks|admin_audit|inventory_drift) USING (COVERING )?INDEX/.test(d)), `${name}: ${plan.join(" / ")}`).toBe(true);
      // The audit exports read both audit tables, each through its own (tenant_id, at) index.
      if (name.startsWith("events") || name.startsWith("notifications")) expect(plan, name).toContain("SEARCH b USING INDEX audit_blocks_tenant_at (tenant_id=? AND at>? AND at<?)");
      expect(plan.filter((d) => /^SCAN (audit_log|orders|tasks|admin_audit|inventory_drift|sla_breaches|b|t)\b/.test(d) || d === "USE TEMP B-TREE FOR ORDER BY"), name).toEqual([]);
    }
    // Each audit table's (tenant_id, at) index leaves only ties on `at` to sort, and the two arms merge.
    expect(plans.events).toContain("USE TEMP B-TREE FOR LAST 2 TERMS OF ORDER BY");
  });

  it("streams page by page: the body arrives in several chunks, and a reader may stop early", async () => {
    const res = await call("GET", exportPath(T, "events", "ndjson", { ...WINDOW, page_size: 100 }), { token: key });
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    if (!reader) throw new Error("no body");
    let chunks = 0;
    let text = "";
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      text += decoder.decode(value, { stream: true });
    }
    expect(parseNdjson("events", text)).toHaveLength(EVENTS);
    expect(chunks).toBeGreaterThan(1);

    const early = await call("GET", exportPath(T, "events", "csv", { page_size: 50 }), { token: key });
    const r2 = early.body?.getReader();
    expect((await r2?.read())?.done).toBe(false);
    await r2?.cancel();
  });
});

describe("throughput", () => {
  it("exports 20,000 audit rows and reports rows/s (a measurement, not a target)", async () => {
    const tenant = "ax-bulk";
    const bulkKey = await createTenant(tenant);
    const n = 20_000;
    await insertAudit(syntheticAudit(tenant, n, 2_000, 5_000));
    for (const format of ["csv", "ndjson"] as const) {
      const started = performance.now();
      const { text } = await fetchExport(tenant, "events", format, bulkKey);
      const ms = performance.now() - started;
      const lines = text.split("\n").length - 1 - (format === "csv" ? 1 : 0);
      expect(lines).toBe(n);
      console.log(`events.${format}: ${n} rows, ${(text.length / 1e6).toFixed(1)} MB in ${ms.toFixed(0)} ms = ${Math.round(n / (ms / 1000))} rows/s (page_size 500, local D1 in workerd)`);
    }
  });
});
