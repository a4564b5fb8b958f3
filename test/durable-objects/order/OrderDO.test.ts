import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { OrderDO } from "../../../durable-objects/order/OrderDO";
import { drainBackoff, writeDrain } from "../../../durable-objects/order/drain";
import { auditRuns, type ChainEntry } from "../../../domain/order/audit-runs";
import { ORDER_ID, shopify, standard, stripe } from "../../helpers/deliveries";
import { orderStub } from "../../helpers/order-namespace";
import { dropNewestAuditRow, forgeAuditEntry } from "../../helpers/audit-tamper";
import { call, expectError, fireDue, json, seedTenant, settleAlarms } from "../../helpers/http";

interface AuditBody {
  entries: { seq: number; type: string; hash: string }[];
  chain_valid: boolean;
  chain: { broken_at: number | null; reason: string | null; anchored: boolean };
  pending: number;
}
interface OrderBody {
  order: { state: string; outbox: { pending: number; attempts: number; last_error: string | null; next_attempt_at: string | null } };
}

function stub(tenant: string, orderId: string): DurableObjectStub<OrderDO> {
  return orderStub(tenant, orderId);
}

async function d1AuditCount(tenant: string): Promise<number> {
  const r = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_entries WHERE tenant_id = ?").bind(tenant).first<{ n: number }>();
  return r?.n ?? 0;
}

afterEach(settleAlarms);

describe("the outbox survives a failing drain", () => {
  let key = "";
  beforeAll(async () => {
    key = await seedTenant("drainfail");
  });

  it("keeps entries, records the failure, backs off, and drains once D1 is back", async () => {
    // Make D1 refuse the drain: the order entries' table is gone (renamed) for a while.
    // The object's clock runs an hour ahead, so its alarms are due an hour from now: the
    // platform never fires one on its own mid-test, and each fireDue below is exactly one drain.
    const o = stub("drainfail", ORDER_ID);
    await runInDurableObject(o, (instance) => {
      if (!(instance instanceof OrderDO)) throw new Error("not an OrderDO");
      instance.clock = () => Date.now() + 3_600_000;
    });
    await env.DB.exec("ALTER TABLE audit_blocks RENAME TO audit_blocks_away");
    try {
      expect((await shopify("drainfail", "orders/create")).status).toBe(202);
      // The request drains right after its answer (durable-objects/order/drainer.ts): that first attempt fails.
      const outbox = async () => (await json<OrderBody>(await call("GET", `/v1/tenants/drainfail/orders/${ORDER_ID}`, { token: key }))).order.outbox;
      await expect.poll(async () => (await outbox()).attempts, { timeout: 10_000 }).toBe(1);
      const order = await json<OrderBody>(await call("GET", `/v1/tenants/drainfail/orders/${ORDER_ID}`, { token: key }));
      expect(order.order.outbox.pending).toBeGreaterThan(0);
      expect(order.order.outbox.attempts).toBe(1);
      expect(order.order.outbox.last_error).toMatch(/audit_blocks/);
      expect(order.order.outbox.next_attempt_at).not.toBeNull();
      // The backoff timer runs the next attempt (the alarm): a second failure doubles the wait.
      expect(await fireDue(o)).toBe(true);
      const again = await json<OrderBody>(await call("GET", `/v1/tenants/drainfail/orders/${ORDER_ID}`, { token: key }));
      expect(again.order.outbox.attempts).toBe(2);
      // Events keep being acknowledged while D1 is down: D1 is not on the ack path; and a request
      // does not retry a drain that is backing off (its timer decides).
      expect((await stripe("drainfail", "payment_intent.succeeded")).status).toBe(202);
      expect((await outbox()).attempts).toBe(2);
    } finally {
      await env.DB.exec("ALTER TABLE audit_blocks_away RENAME TO audit_blocks");
    }
    expect(await d1AuditCount("drainfail")).toBe(0);
    expect(await fireDue(o)).toBe(true);
    const order = await json<OrderBody>(await call("GET", `/v1/tenants/drainfail/orders/${ORDER_ID}`, { token: key }));
    expect(order.order.outbox).toEqual({ pending: 0, attempts: 0, last_error: null, next_attempt_at: null });
    const audit = await json<AuditBody>(await call("GET", `/v1/tenants/drainfail/orders/${ORDER_ID}/audit`, { token: key }));
    expect(audit.chain_valid).toBe(true);
    expect(audit.pending).toBe(0);
    expect(await d1AuditCount("drainfail")).toBe(audit.entries.length);
    const index = await env.DB.prepare("SELECT state, version FROM orders WHERE tenant_id = 'drainfail'").first<{ state: string; version: number }>();
    expect(index).toEqual({ state: "paid", version: audit.entries.length });
  });

  it("backs off exponentially, capped at five minutes", () => {
    expect([1, 2, 3, 4].map(drainBackoff)).toEqual([1000, 2000, 4000, 8000]);
    expect(drainBackoff(30)).toBe(300_000);
  });

  it("a restarted object whose written-down watermark is behind asks D1, and nothing is stored twice", async () => {
    const o = stub("drainfail", ORDER_ID);
    const before = await d1AuditCount("drainfail");
    const blocks = await runInDurableObject(o, (_instance, state) => {
      // As if the drains' progress had never been written down: every block looks undrained.
      const sql = state.storage.sql;
      sql.exec("UPDATE audit_blocks SET drained = NULL");
      sql.exec("DELETE FROM meta WHERE k = 'drained_seq'");
      return sql
        .exec<{ entries: string }>("SELECT entries FROM audit_blocks ORDER BY last_seq")
        .toArray()
        .map((b) => JSON.parse(b.entries) as ChainEntry[]);
    });
    await evictDurableObject(o);
    expect(await o.getAudit()).toMatchObject({ pending_seqs: [] });
    expect(await o.flush()).toMatchObject({ drained: 0, error: null });
    expect(await d1AuditCount("drainfail")).toBe(before);
    // Sent again all the same (a drain whose answer was lost), D1 stores none of it twice (idempotent by order and seq).
    const again = { tenant: "drainfail", orderId: ORDER_ID, audit: auditRuns(blocks), index: null, handoffs: [], breaches: [], tasks: [], counts: [] };
    expect(await writeDrain(env.DB, again)).toBe(0);
    expect(await d1AuditCount("drainfail")).toBe(before);
  });

  it("an object from before the drained watermark carries its outbox table over to it, once", async () => {
    const o = stub("drainfail", ORDER_ID);
    const head = await runInDurableObject(o, (_instance, state) => {
      // The outbox as it was kept before: a row per audit seq not yet in D1, and one for the index.
      const sql = state.storage.sql;
      sql.exec("CREATE TABLE outbox (kind TEXT NOT NULL, key TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (kind, key))");
      const top = sql.exec<{ seq: number }>("SELECT MAX(last_seq) AS seq FROM audit_blocks").one().seq;
      sql.exec("INSERT INTO outbox (kind, key, created_at) VALUES ('audit', ?, 0), ('audit', ?, 0), ('index', 'order', 0)", String(top - 1), String(top));
      sql.exec("DELETE FROM meta WHERE k IN ('drained_seq', 'index_pending')");
      return top;
    });
    await evictDurableObject(o);
    const carried = await runInDurableObject(o, (_instance, state) => ({
      outbox: state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'outbox'").toArray().length,
      meta: Object.fromEntries(state.storage.sql.exec<{ k: string; v: string }>("SELECT k, v FROM meta WHERE k IN ('drained_seq', 'index_pending')").toArray().map((r) => [r.k, r.v])),
    }));
    expect(carried).toEqual({ outbox: 0, meta: { drained_seq: String(head - 2), index_pending: "1" } });
    // D1 holds those entries already (the object asks it when it starts): only the index row goes.
    const result = await o.flush();
    expect(result).toMatchObject({ error: null });
    expect(await o.getAudit()).toMatchObject({ pending_seqs: [] });
    const left = await runInDurableObject(o, (_instance, state) => state.storage.sql.exec("SELECT 1 FROM meta WHERE k = 'index_pending'").toArray().length);
    expect(left).toBe(0);
  });
});

describe("the audit chain is stored one row per commit", () => {
  it("a commit of several entries writes one block; readers see each entry with its own link", async () => {
    const key = await seedTenant("blocks");
    expect((await shopify("blocks", "orders/create")).status).toBe(202);
    expect((await stripe("blocks", "payment_intent.succeeded")).status).toBe(202);
    const o = stub("blocks", ORDER_ID);
    const stored = await runInDurableObject(o, (_instance, state) =>
      state.storage.sql.exec<{ last_seq: number; entries: string }>("SELECT last_seq, entries FROM audit_blocks ORDER BY last_seq").toArray(),
    );
    // Two webhooks, two commits: each one row, holding every entry that commit appended.
    expect(stored).toHaveLength(2);
    const perBlock = stored.map((b) => (JSON.parse(b.entries) as { seq: number }[]).map((e) => e.seq));
    expect(perBlock.flat()).toEqual(perBlock.flat().map((_s, i) => i + 1));
    expect(perBlock.every((seqs) => seqs.length >= 1)).toBe(true);
    expect(stored.map((b) => b.last_seq)).toEqual(perBlock.map((seqs) => seqs.at(-1)));
    const audit = await json<AuditBody>(await call("GET", `/v1/tenants/blocks/orders/${ORDER_ID}/audit`, { token: key }));
    expect(audit.chain_valid).toBe(true);
    expect(audit.entries.map((e) => e.seq)).toEqual(perBlock.flat());
  });

  it("an object from before the blocks carries its per-entry audit table over, once, chain intact", async () => {
    const key = await seedTenant("oldaudit");
    expect((await shopify("oldaudit", "orders/create")).status).toBe(202);
    const o = stub("oldaudit", ORDER_ID);
    await o.flush();
    // Rebuild the table as an older deploy kept it: one row per entry.
    const entries = await runInDurableObject(o, (_instance, state) => {
      const sql = state.storage.sql;
      const rows = sql
        .exec<{ entries: string }>("SELECT entries FROM audit_blocks ORDER BY last_seq")
        .toArray()
        .flatMap((b) => JSON.parse(b.entries) as { seq: number; at: string; type: string; data: string; prev_hash: string; hash: string }[]);
      sql.exec("CREATE TABLE audit (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)");
      for (const r of rows) sql.exec("INSERT INTO audit (seq, at, type, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)", r.seq, r.at, r.type, r.data, r.prev_hash, r.hash);
      sql.exec("DELETE FROM audit_blocks");
      return rows.length;
    });
    await evictDurableObject(o);
    expect((await stripe("oldaudit", "payment_intent.succeeded")).status).toBe(202);
    const after = await runInDurableObject(o, (_instance, state) => ({
      old: state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'audit'").toArray().length,
      blocks: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM audit_blocks").one().n,
    }));
    // One block per carried entry, plus the new commit's block.
    expect(after).toEqual({ old: 0, blocks: entries + 1 });
    const audit = await json<AuditBody>(await call("GET", `/v1/tenants/oldaudit/orders/${ORDER_ID}/audit`, { token: key }));
    expect(audit.chain_valid).toBe(true);
    expect(audit.pending).toBe(0);
    expect(audit.entries.length).toBeGreaterThan(entries);
  });
});

describe("eviction and restart", () => {
  it("an evicted object keeps its receipts, dedupes and re-arms its alarm from the timers table", async () => {
    const key = await seedTenant("evict");
    const o = stub("evict", ORDER_ID);
    // Timers due an hour from now: the drain cannot fire (and clear them) before the alarm is "lost" below.
    await runInDurableObject(o, (instance) => {
      if (!(instance instanceof OrderDO)) throw new Error("not an OrderDO");
      instance.clock = () => Date.now() + 3_600_000;
    });
    // The request's own drain fails (D1 lacks the table), so the timers table keeps a drain due.
    await env.DB.exec("ALTER TABLE audit_log RENAME TO audit_log_away");
    try {
      expect((await shopify("evict", "orders/create")).status).toBe(202);
      const attempts = async () => (await json<OrderBody>(await call("GET", `/v1/tenants/evict/orders/${ORDER_ID}`, { token: key }))).order.outbox.attempts;
      await expect.poll(attempts, { timeout: 10_000 }).toBe(1);
    } finally {
      await env.DB.exec("ALTER TABLE audit_log_away RENAME TO audit_log");
    }
    await runInDurableObject(o, async (_i, state) => {
      // Simulate a lost alarm: timers say a drain is due, but no alarm is set.
      await state.storage.deleteAlarm();
    });
    await evictDurableObject(o);
    // The constructor repairs the alarm from the timers table.
    const alarm = await runInDurableObject(o, (_i, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect((await shopify("evict", "orders/create")).status).toBe(200);
  });
});

describe("the audit trail is tamper-evident", () => {
  let key = "";
  beforeAll(async () => {
    key = await seedTenant("tamper");
    await shopify("tamper", "orders/create");
    await stripe("tamper", "payment_intent.succeeded");
    await standard("tamper", "wms", "fulfillment.accepted");
  });

  it("D1 refuses UPDATE and DELETE on audit_log and audit_blocks", async () => {
    await settleAlarms();
    // The order's entries are in audit_blocks; a row of audit_log is there to be refused too.
    await env.DB.prepare("INSERT INTO audit_log (tenant_id, order_id, seq, at, type, data, prev_hash, hash) VALUES ('tamper', '~watchers', 1, '2026-01-01T00:00:00.000Z', 't', '{}', 'g', 'h')").run();
    for (const table of ["audit_log", "audit_blocks"]) {
      await expect(env.DB.prepare(`UPDATE ${table} SET at = 'x' WHERE tenant_id = 'tamper'`).run()).rejects.toThrow(/append-only/);
      await expect(env.DB.prepare(`DELETE FROM ${table} WHERE tenant_id = 'tamper'`).run()).rejects.toThrow(/append-only/);
    }
  });

  it("a row rewritten behind the triggers' back breaks the chain at that row", async () => {
    const clean = await json<AuditBody>(await call("GET", `/v1/tenants/tamper/orders/${ORDER_ID}/audit`, { token: key }));
    expect(clean.chain_valid).toBe(true);
    await forgeAuditEntry("tamper", ORDER_ID, 3);
    const audit = await json<AuditBody>(await call("GET", `/v1/tenants/tamper/orders/${ORDER_ID}/audit`, { token: key }));
    expect(audit.chain_valid).toBe(false);
    expect(audit.chain.broken_at).toBe(3);
  });

  it("a chain rebuilt consistently in D1 still fails its anchor in the order object", async () => {
    await seedTenant("rebuilt");
    const k = (await call("POST", "/v1/tenants/rebuilt/api-keys", { token: "test-admin-token", body: { name: "rebuilt", scope: "merchant_admin" } }).then((r) => json<{ api_key: string }>(r))).api_key;
    await shopify("rebuilt", "orders/create");
    await settleAlarms();
    // Drop the tail: what remains is a perfectly valid, shorter chain.
    await dropNewestAuditRow("rebuilt");
    const audit = await json<AuditBody>(await call("GET", `/v1/tenants/rebuilt/orders/${ORDER_ID}/audit`, { token: k }));
    expect(audit.chain_valid).toBe(false);
    expect(audit.chain.anchored).toBe(false);
    expect(audit.chain.broken_at).toBe(audit.entries.length + 1);
  });
});

describe("the object is the single writer", () => {
  it("concurrent deliveries of the same event produce one receipt", async () => {
    await seedTenant("race");
    const results = await Promise.all(Array.from({ length: 8 }, () => shopify("race", "orders/create")));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 202]);
    const ids = new Set(await Promise.all(results.map(async (r) => (await json<{ receipt: { id: string } }>(r)).receipt.id)));
    expect(ids.size).toBe(1);
  });

  it("refuses events beyond the per-order fact limit with 422, recorded with the whole body", async () => {
    const key = await seedTenant("huge");
    const body = (i: number) =>
      JSON.stringify({ type: "attribution.updated", order_id: "huge-1", occurred_at: new Date(Date.UTC(2026, 10, 1, 0, 0, i)).toISOString(), data: { attribution: { utm_content: `v${i}` } } });
    // MAX_FACTS_PER_ORDER is 40 in the test bindings.
    for (let i = 0; i < 40; i++) expect((await standard("huge", "wms", "attribution.updated", { body: body(i), id: `msg_huge_${i}` })).status).toBe(202);
    const res = await standard("huge", "wms", "attribution.updated", { body: body(40), id: "msg_huge_40" });
    const err = await expectError(res, 422, "order_too_large");
    const id = (err.details as { rejection_id: string }).rejection_id;
    const rec = await json<{ rejection: { body_base64: string; body_truncated: boolean } }>(await call("GET", `/v1/tenants/huge/rejections/${id}`, { token: key }));
    expect(rec.rejection.body_truncated).toBe(false);
    expect(atob(rec.rejection.body_base64)).toBe(body(40));
  });
});
