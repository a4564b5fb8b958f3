import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { DRAIN_DELAY_MS } from "../../../domain/order/commit";
import type { OrderDO } from "../../../durable-objects/order/OrderDO";
import { ORDER_ID, shopify, stripe } from "../../helpers/deliveries";
import { orderStub } from "../../helpers/order-namespace";
import { call, json, orderClocks, seedTenant, settleAlarms } from "../../helpers/http";

interface OrderBody {
  order: { outbox: { pending: number; attempts: number; next_attempt_at: string | null } };
}

/** What the object did to its storage, seen from inside it (as bench/cost/meter.ts counts it). */
interface Seen {
  statements: { query: string; bindings: unknown[]; cursor: SqlStorageCursor<Record<string, SqlStorageValue>> }[];
  alarms: number[];
}

/** Records every statement and setAlarm() of the object from now on (until it is evicted). */
async function watch(o: DurableObjectStub<OrderDO>): Promise<Seen> {
  const seen: Seen = { statements: [], alarms: [] };
  await runInDurableObject(o, (_instance, state) => {
    const sql = state.storage.sql;
    const exec = sql.exec.bind(sql);
    const setAlarm = state.storage.setAlarm.bind(state.storage);
    Object.defineProperty(sql, "exec", {
      configurable: true,
      writable: true,
      value: (query: string, ...bindings: SqlStorageValue[]) => {
        const cursor = exec(query, ...bindings);
        seen.statements.push({ query, bindings, cursor });
        return cursor;
      },
    });
    Object.defineProperty(state.storage, "setAlarm", {
      configurable: true,
      writable: true,
      value: (at: number | Date, options?: DurableObjectSetAlarmOptions) => {
        seen.alarms.push(typeof at === "number" ? at : at.getTime());
        return setAlarm(at, options);
      },
    });
  });
  return seen;
}

const pending = async (tenant: string, key: string): Promise<number> =>
  (await json<OrderBody>(await call("GET", `/v1/tenants/${tenant}/orders/${ORDER_ID}`, { token: key }))).order.outbox.pending;

const drainTimers = (o: DurableObjectStub<OrderDO>): Promise<number> =>
  runInDurableObject(o, (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM timers WHERE kind = 'drain'").one().n);

afterEach(settleAlarms);

describe("the drain has no timer row", () => {
  it("a commit arms the alarm within the backstop delay and writes no drain timer; its request drains", async () => {
    const key = await seedTenant("drainrow");
    const o = orderStub("drainrow", ORDER_ID);
    const seen = await watch(o);
    const before = Date.now();
    expect((await shopify("drainrow", "orders/create")).status).toBe(202);
    expect((await stripe("drainrow", "payment_intent.succeeded")).status).toBe(202);
    await expect.poll(() => pending("drainrow", key), { timeout: 10_000 }).toBe(0);
    // Timers the order really has (SLA clocks, deliveries) are written; none is the drain.
    const timerWrites = seen.statements.filter((s) => /\btimers\b/.test(s.query) && s.cursor.rowsWritten > 0);
    expect(timerWrites.filter((s) => s.bindings[0] === "drain")).toEqual([]);
    expect(await drainTimers(o)).toBe(0);
    // The first commit armed the alarm as the drain's backstop, no later than DRAIN_DELAY_MS after it.
    expect(seen.alarms.length).toBeGreaterThan(0);
    expect(seen.alarms[0]).toBeGreaterThanOrEqual(before);
    expect(seen.alarms[0]).toBeLessThanOrEqual(Date.now() + DRAIN_DELAY_MS);
    // Once drained, the alarm is back at the earliest real timer (or gone).
    const { alarm, next } = await runInDurableObject(o, async (instance, state) => ({
      alarm: await state.storage.getAlarm(),
      next: orderClocks(instance).next(),
    }));
    expect(alarm).toBe(next === null ? null : Math.max(next, 1));
  });

  it("an object restarted with an undrained commit arms its alarm for it, and the alarm drains it", async () => {
    const key = await seedTenant("drainrestart");
    expect((await shopify("drainrestart", "orders/create")).status).toBe(202);
    await expect.poll(() => pending("drainrestart", key), { timeout: 10_000 }).toBe(0);
    const o = orderStub("drainrestart", ORDER_ID);
    const d1Rows = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_entries WHERE tenant_id = 'drainrestart'").first<{ n: number }>())?.n ?? 0;
    // The second commit's drain fails (D1 lacks the table) …
    await env.DB.exec("ALTER TABLE audit_blocks RENAME TO audit_blocks_away");
    try {
      expect((await stripe("drainrestart", "payment_intent.succeeded")).status).toBe(202);
      const attempts = async () => (await json<{ order: { outbox: { attempts: number } } }>(await call("GET", `/v1/tenants/drainrestart/orders/${ORDER_ID}`, { token: key }))).order.outbox.attempts;
      await expect.poll(attempts, { timeout: 10_000 }).toBe(1);
    } finally {
      await env.DB.exec("ALTER TABLE audit_blocks_away RENAME TO audit_blocks");
    }
    const inD1 = await d1Rows();
    // … and, as if the object had been evicted mid-drain instead, it left no trace of trying and no alarm.
    await runInDurableObject(o, async (_instance, state) => {
      state.storage.sql.exec("DELETE FROM meta WHERE k IN ('drain_attempts', 'drain_error')");
      state.storage.sql.exec("DELETE FROM timers WHERE kind = 'drain'");
      await state.storage.deleteAlarm();
    });
    await evictDurableObject(o);
    // The restarted object asks D1, finds the commit missing and arms the alarm for it.
    await expect.poll(() => runInDurableObject(o, (_instance, state) => state.storage.getAlarm()), { timeout: 10_000 }).not.toBeNull();
    expect(await runDurableObjectAlarm(o)).toBe(true);
    expect(await pending("drainrestart", key)).toBe(0);
    expect(await d1Rows()).toBeGreaterThan(inD1);
  });

  it("a drain writes no row in the object; restarted, it asks D1 and arms nothing for what D1 holds", async () => {
    const key = await seedTenant("drainmem");
    const o = orderStub("drainmem", ORDER_ID);
    const seen = await watch(o);
    expect((await shopify("drainmem", "orders/create")).status).toBe(202);
    expect((await stripe("drainmem", "payment_intent.succeeded")).status).toBe(202);
    await expect.poll(() => pending("drainmem", key), { timeout: 10_000 }).toBe(0);
    const metaWrites = seen.statements.filter((s) => /\bmeta\b/.test(s.query) && s.cursor.rowsWritten > 0).map((s) => s.bindings[0]);
    expect(metaWrites).not.toContain("drained_seq");
    // Each block carries the watermark its commit knew: the second commit's, the first block drained.
    const carried = await runInDurableObject(o, (_instance, state) => state.storage.sql.exec<{ last_seq: number; drained: number }>("SELECT last_seq, drained FROM audit_blocks ORDER BY last_seq").toArray());
    expect(carried.map((b) => b.drained)).toEqual([0, carried[0]?.last_seq]);
    const alarmBefore = await runInDurableObject(o, (_instance, state) => state.storage.getAlarm());
    await evictDurableObject(o);
    expect(await pending("drainmem", key)).toBe(0);
    const { alarm, next } = await runInDurableObject(o, async (instance, state) => ({ alarm: await state.storage.getAlarm(), next: orderClocks(instance).next() }));
    expect(alarm).toBe(alarmBefore);
    expect(alarm).toBe(next === null ? null : Math.max(next, 1));
  });

  it("an object from before keeps a drain timer row: its alarm drains and the row goes", async () => {
    const key = await seedTenant("drainold");
    expect((await shopify("drainold", "orders/create")).status).toBe(202);
    await expect.poll(() => pending("drainold", key), { timeout: 10_000 }).toBe(0);
    const o = orderStub("drainold", ORDER_ID);
    // An older deploy scheduled the drain as a timer on every commit.
    await runInDurableObject(o, (_instance, state) => {
      state.storage.sql.exec("INSERT INTO timers (kind, key, due_at) VALUES ('drain', 'outbox', ?)", Date.now());
    });
    await evictDurableObject(o);
    expect(await runDurableObjectAlarm(o)).toBe(true);
    expect(await drainTimers(o)).toBe(0);
    const order = await json<OrderBody>(await call("GET", `/v1/tenants/drainold/orders/${ORDER_ID}`, { token: key }));
    expect(order.order.outbox).toMatchObject({ pending: 0, attempts: 0, next_attempt_at: null });
  });
});

describe("who the order is and its config: one meta row", () => {
  const metaRows = (o: DurableObjectStub<OrderDO>) =>
    runInDurableObject(o, (_instance, state) => Object.fromEntries(state.storage.sql.exec<{ k: string; v: string }>("SELECT k, v FROM meta").toArray().map((r) => [r.k, r.v])));

  it("the first event writes who the order is and the config it brought as one row", async () => {
    await seedTenant("metafold");
    expect((await shopify("metafold", "orders/create")).status).toBe(202);
    const meta = await metaRows(orderStub("metafold", ORDER_ID));
    for (const k of ["tenant", "order_id", "rules", "default_owner", "directory"]) expect(meta).not.toHaveProperty(k);
    expect(JSON.parse(meta.order ?? "{}")).toMatchObject({ tenant: "metafold", order_id: ORDER_ID });
  });

  it("an object from before, with a row per key, keeps working and is not rewritten", async () => {
    const key = await seedTenant("metaold");
    expect((await shopify("metaold", "orders/create")).status).toBe(202);
    const o = orderStub("metaold", ORDER_ID);
    await runInDurableObject(o, (_instance, state) => {
      const sql = state.storage.sql;
      const folded = JSON.parse(sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = 'order'").one().v) as Record<string, string>;
      for (const [k, v] of Object.entries(folded)) sql.exec("INSERT INTO meta (k, v) VALUES (?, ?)", k, v);
      sql.exec("DELETE FROM meta WHERE k = 'order'");
    });
    await evictDurableObject(o);
    expect((await stripe("metaold", "payment_intent.succeeded")).status).toBe(202);
    const order = await json<{ order: { state: string; tenant: string; rules_version: number | null } }>(await call("GET", `/v1/tenants/metaold/orders/${ORDER_ID}`, { token: key }));
    expect(order.order).toMatchObject({ state: "paid", tenant: "metaold" });
    const meta = await metaRows(o);
    expect(meta).toMatchObject({ tenant: "metaold", order_id: ORDER_ID });
    expect(meta).not.toHaveProperty("order");
  });
});

describe("a receipt rides on its commit's audit block", () => {
  interface Answer {
    receipt: { id: string; duplicate: boolean };
  }
  interface Receipts {
    order: { receipts: { id: string; idempotency_key: string; source: string }[] };
  }

  it("no receipts table; a duplicate still gets the original receipt, found by its idempotency key", async () => {
    const key = await seedTenant("rcptblock");
    const first = (await json<Answer>(await shopify("rcptblock", "orders/create"))).receipt;
    const again = await shopify("rcptblock", "orders/create");
    expect(again.status).toBe(200);
    expect((await json<Answer>(again)).receipt).toMatchObject({ id: first.id, duplicate: true });
    const o = orderStub("rcptblock", ORDER_ID);
    const stored = await runInDurableObject(o, (_instance, state) => ({
      table: state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'receipts'").toArray().length,
      carried: state.storage.sql.exec<{ receipt: string }>("SELECT receipt FROM audit_blocks WHERE receipt IS NOT NULL").toArray().map((r) => (JSON.parse(r.receipt) as { id: string }).id),
    }));
    expect(stored).toEqual({ table: 0, carried: [first.id] });
    const order = await json<Receipts>(await call("GET", `/v1/tenants/rcptblock/orders/${ORDER_ID}`, { token: key }));
    expect(order.order.receipts.map((r) => r.id)).toEqual([first.id]);
  });

  it("an object from before keeps its receipts table: its duplicates are still found, new receipts ride on blocks", async () => {
    const key = await seedTenant("rcptold");
    const first = (await json<Answer>(await shopify("rcptold", "orders/create"))).receipt;
    const o = orderStub("rcptold", ORDER_ID);
    // The layout before: the receipt in its own row, blocks without the receipt columns.
    await runInDurableObject(o, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(
        "CREATE TABLE receipts (idempotency_key TEXT PRIMARY KEY, id TEXT NOT NULL, source TEXT NOT NULL, events TEXT NOT NULL, raw_sha256 TEXT NOT NULL, received_at TEXT NOT NULL) WITHOUT ROWID",
      );
      const r = JSON.parse(sql.exec<{ receipt: string }>("SELECT receipt FROM audit_blocks WHERE receipt IS NOT NULL").one().receipt) as Record<string, unknown>;
      sql.exec(
        "INSERT INTO receipts (idempotency_key, id, source, events, raw_sha256, received_at) VALUES (?, ?, ?, ?, ?, ?)",
        String(r.idempotency_key),
        String(r.id),
        String(r.source),
        JSON.stringify(r.events),
        String(r.raw_sha256),
        String(r.received_at),
      );
      sql.exec("ALTER TABLE audit_blocks DROP COLUMN receipt");
      sql.exec("ALTER TABLE audit_blocks DROP COLUMN receipt_key");
    });
    await evictDurableObject(o);
    const dup = await shopify("rcptold", "orders/create");
    expect(dup.status).toBe(200);
    expect((await json<Answer>(dup)).receipt.id).toBe(first.id);
    const paid = (await json<Answer>(await stripe("rcptold", "payment_intent.succeeded"))).receipt;
    const order = await json<Receipts>(await call("GET", `/v1/tenants/rcptold/orders/${ORDER_ID}`, { token: key }));
    expect(order.order.receipts.map((r) => r.id)).toEqual([first.id, paid.id]);
    const rows = await runInDurableObject(o, (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM receipts").one().n);
    expect(rows).toBe(1);
  });
});
