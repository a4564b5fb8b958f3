import { env } from "cloudflare:workers";
import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ORDER_ID, shopify } from "../../helpers/deliveries";
import { orderStub } from "../../helpers/order-namespace";
import { call, expectError, json, seedTenant, settleAlarms } from "../../helpers/http";

// An attacker who knows only a tenant id (or a reader with a valid key) names
// orders that do not exist: none of it may leave an order object's storage behind.

let key = "";
beforeAll(async () => {
  key = await seedTenant("strangers");
});
// Each settle visits every object the test made (100+ here): slow on a loaded machine, never wrong.
const SLOW_MS = 120_000;
afterEach(settleAlarms, SLOW_MS);

async function objectIds(): Promise<Set<string>> {
  return new Set((await listDurableObjectIds(env.ORDER)).map((id) => id.toString()));
}

/**
 * What the objects created since `before` hold. Local workerd creates an empty
 * SQLite file (one 4 KiB page) for every object it instantiates, even one that
 * never touches storage, so "no storage" is measured as: no table and no more
 * than that page, against the ~90 KiB a written order's schema takes.
 */
async function storageSince(before: Set<string>): Promise<{ objects: number; tables: number; maxBytes: number }> {
  const fresh = [...(await objectIds())].filter((id) => !before.has(id));
  let tables = 0;
  let maxBytes = 0;
  for (const id of fresh) {
    await runInDurableObject(env.ORDER.get(env.ORDER.idFromString(id)), (_i, state) => {
      tables += state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().length;
      maxBytes = Math.max(maxBytes, state.storage.sql.databaseSize);
    });
  }
  return { objects: fresh.length, tables, maxBytes };
}

function randomId(): string {
  return crypto.randomUUID().replace(/-/g, "");
}

describe("order objects are created by writes only", () => {
  it("50 GETs of missing orders with a valid key answer 404 and leave no order storage", async () => {
    const before = await objectIds();
    for (let i = 0; i < 50; i++) {
      const id = `missing-${randomId()}`;
      await expectError(await call("GET", `/v1/tenants/strangers/orders/${id}`, { token: key }), 404, "order_not_found");
      await expectError(await call("GET", `/v1/tenants/strangers/orders/${id}/audit`, { token: key }), 404, "order_not_found");
    }
    expect(await storageSince(before)).toEqual({ objects: 50, tables: 0, maxBytes: 4096 });
  }, SLOW_MS);

  it("100 unauthenticated acks to made-up export ids answer 404 and leave no order storage", async () => {
    const before = await objectIds();
    const statuses = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const res = await call("POST", `/v1/tenants/strangers/exports/exp_fulfil_order_v1_${randomId()}/ack`, { body: { status: "accepted" } });
      statuses.add(res.status);
      await res.body?.cancel();
    }
    expect([...statuses]).toEqual([404]);
    expect(await storageSince(before)).toEqual({ objects: 100, tables: 0, maxBytes: 4096 });
  }, SLOW_MS);

  it("an object that was only read holds no table, a written one holds its schema", async () => {
    const stub = orderStub("strangers", `never-written-${randomId()}`);
    expect(await stub.getOrder()).toBeNull();
    expect(await stub.getAudit()).toEqual({ entries: [], pending_seqs: [] });
    expect(await stub.getTasks()).toEqual([]);
    expect(await stub.poke()).toEqual({ due: 0 });
    expect(await stub.claimTask("task_made_up", "eve")).toMatchObject({ ok: false, code: "not_found" });
    expect(await stub.ack({ exportId: "exp_fulfil_order_v1_x", body: "{}", headers: {} })).toMatchObject({ ok: false, code: "not_found" });
    expect(await stub.flush()).toEqual({ drained: 0, error: null });
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    const size = await runInDurableObject(stub, (_i, state) => state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().length);
    // For comparison: a real order's first write creates every table.
    expect((await shopify("strangers", "orders/create")).status).toBe(202);
    const written = orderStub("strangers", ORDER_ID);
    const writtenSize = await runInDurableObject(written, (_i, state) => state.storage.sql.databaseSize);
    expect({ tables: size, writtenOverOnePage: writtenSize > 4096 }).toEqual({ tables: 0, writtenOverOnePage: true });
  }, SLOW_MS);

  it("keeps read-your-writes: an order acknowledged a moment ago is readable at once", async () => {
    const rywKey = await seedTenant("ryw");
    const res = await shopify("ryw", "orders/create");
    expect(res.status).toBe(202);
    const got = await call("GET", `/v1/tenants/ryw/orders/${ORDER_ID}`, { token: rywKey });
    expect(got.status).toBe(200);
    expect((await json<{ order: { id: string } }>(got)).order.id).toBe(ORDER_ID);
  }, SLOW_MS);
});
