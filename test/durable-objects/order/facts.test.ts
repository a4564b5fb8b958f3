import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { MachineEvent } from "../../../domain/events/handoff-events";
import { AuditBlocks } from "../../../durable-objects/order/audit-store";
import { FactRows } from "../../../durable-objects/order/fact-rows";
import { ORDER_SCHEMA } from "../../../durable-objects/order/storage";
import type { OrderDO } from "../../../durable-objects/order/OrderDO";
import { ORDER_ID, shopify, stripe } from "../../helpers/deliveries";
import { orderStub } from "../../helpers/order-namespace";
import { call, json, seedTenant, settleAlarms } from "../../helpers/http";

afterEach(settleAlarms);

interface Stored {
  rows: number;
  carried: string[];
}

/** Where the object keeps its facts: rows of the `facts` table, and the ids its blocks carry. */
const stored = (o: DurableObjectStub<OrderDO>): Promise<Stored> =>
  runInDurableObject(o, (_instance, state) => ({
    rows: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM facts").one().n,
    carried: state.storage.sql
      .exec<{ facts: string }>("SELECT facts FROM audit_blocks WHERE facts IS NOT NULL ORDER BY last_seq")
      .toArray()
      .flatMap((r) => (JSON.parse(r.facts) as MachineEvent[]).map((e) => e.id)),
  }));

const orderState = async (tenant: string, key: string): Promise<string> =>
  (await json<{ order: { state: string } }>(await call("GET", `/v1/tenants/${tenant}/orders/${ORDER_ID}`, { token: key }))).order.state;

describe("a fact rides on its commit's audit block", () => {
  it("writes no fact row; a restarted object derives the same state from the blocks", async () => {
    const key = await seedTenant("factblock");
    expect((await shopify("factblock", "orders/create")).status).toBe(202);
    expect((await stripe("factblock", "payment_intent.succeeded")).status).toBe(202);
    const o = orderStub("factblock", ORDER_ID);
    const s = await stored(o);
    expect(s.rows).toBe(0);
    expect(s.carried.length).toBeGreaterThanOrEqual(2);
    expect(new Set(s.carried).size).toBe(s.carried.length);
    expect(await orderState("factblock", key)).toBe("paid");
    await evictDurableObject(o);
    expect(await orderState("factblock", key)).toBe("paid");
  });

  it("the ids held come back from the blocks: a known fact is refused, each counts once", async () => {
    await seedTenant("factdup");
    expect((await shopify("factdup", "orders/create")).status).toBe(202);
    expect((await stripe("factdup", "payment_intent.succeeded")).status).toBe(202);
    const o = orderStub("factdup", ORDER_ID);
    const { carried } = await stored(o);
    await evictDurableObject(o);
    await runInDurableObject(o, (_instance, state) => {
      const sql = state.storage.sql;
      const chain = new AuditBlocks(() => sql);
      const facts = new FactRows(() => sql, chain);
      expect(facts.count()).toBe(carried.length);
      for (const e of facts.all()) expect(facts.add(e)).toBe(false);
      expect(chain.commit(0).facts).toEqual([]);
    });
  });

  it("an object from before keeps its fact rows: its state, dedupe and new facts on blocks", async () => {
    const key = await seedTenant("factold");
    expect((await shopify("factold", "orders/create")).status).toBe(202);
    const o = orderStub("factold", ORDER_ID);
    // The layout before: each fact a row of its own, blocks without the facts column.
    await runInDurableObject(o, (_instance, state) => {
      const sql = state.storage.sql;
      for (const r of sql.exec<{ facts: string }>("SELECT facts FROM audit_blocks WHERE facts IS NOT NULL").toArray()) {
        for (const e of JSON.parse(r.facts) as MachineEvent[]) sql.exec("INSERT INTO facts (id, occurred_ms, json) VALUES (?, ?, ?)", e.id, Date.parse(e.occurred_at), JSON.stringify(e));
      }
      sql.exec("ALTER TABLE audit_blocks DROP COLUMN facts");
    });
    const old = await runInDurableObject(o, (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM facts").one().n);
    expect(old).toBeGreaterThan(0);
    await evictDurableObject(o);
    expect((await shopify("factold", "orders/create", { id: "wh-old-again" })).status).toBe(202);
    expect((await stripe("factold", "payment_intent.succeeded")).status).toBe(202);
    const s = await stored(o);
    expect(s.rows).toBe(old);
    expect(s.carried.length).toBeGreaterThan(0);
    expect(await orderState("factold", key)).toBe("paid");
  });

  it("facts of a commit that wrote no block keep rows of their own, and count once", async () => {
    const o = orderStub("factnoblock", ORDER_ID);
    await runInDurableObject(o, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(ORDER_SCHEMA.join(";\n"));
      const chain = new AuditBlocks(() => sql);
      const facts = new FactRows(() => sql, chain);
      const e = { id: "evt_lone", occurred_at: "2026-12-08T00:00:00.000Z" } as MachineEvent;
      expect(facts.add(e)).toBe(true);
      expect(facts.add(e)).toBe(false);
      const left = chain.commit(0);
      expect(left.facts.map((f) => f.id)).toEqual(["evt_lone"]);
      facts.keep(left.facts);
      facts.forget();
      expect(facts.count()).toBe(1);
      expect(facts.add(e)).toBe(false);
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM audit_blocks").one().n).toBe(0);
    });
  });
});
