import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { settleAlarms } from "../helpers/http";
import { mapPool } from "../helpers/invariants";
import { Campaign, type Step } from "./campaign";

afterEach(settleAlarms);

/** Takes a D1 table away (drains that write it fail) until `restore` is called, as OrderDO.test.ts does. */
async function breakTable(table: string): Promise<() => Promise<void>> {
  await env.DB.exec(`ALTER TABLE ${table} RENAME TO ${table}_away`);
  let restored = false;
  return async () => {
    if (restored) return;
    restored = true;
    await env.DB.exec(`ALTER TABLE ${table}_away RENAME TO ${table}`);
  };
}

describe("chaos: D1 fails while the outbox drains", () => {
  it("events keep being acknowledged; drains fail, back off and catch up; chains verify and the index agrees", async () => {
    const c = await Campaign.open("chaos-d1");
    const ids = c.newOrders(6);
    const traffic = (steps: Step[]) =>
      mapPool(ids, 3, async (o) => {
        for (const s of steps) expect((await c.send(c.delivery(o, s))).status).toBe(202);
        // A forged copy too: refusals are recorded in their own table, which stays up.
        expect((await c.send(c.delivery(o, steps[0] ?? "created"), { forged: true })).status).toBe(401);
      });
    const restores: (() => Promise<void>)[] = [];
    try {
      // 1. The order entries' table is gone: every drain fails on its first statement.
      restores.push(await breakTable("audit_blocks"));
      await Promise.all([traffic(["created", "captured"]), c.runDue(ids, c.t0 + 1000)]);
      await c.runDue(ids, c.t0 + 2000);
      for (const o of ids) {
        const { outbox } = await c.order(o);
        expect(outbox.pending).toBeGreaterThan(0);
        expect(outbox.last_error).toMatch(/audit_blocks/);
      }
      // 2. Audit is back but the handoffs table is not: drains now fail further in, still all or nothing.
      const d1Audit = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_entries WHERE tenant_id = ?").bind(c.tenant).first<{ n: number }>())?.n ?? 0;
      restores.push(await breakTable("handoffs"));
      const first = restores.shift();
      if (first) await first();
      await Promise.all([traffic(["accepted"]), c.runDue(ids, c.t0 + 60_000)]);
      await c.runDue(ids, c.t0 + 120_000);
      expect(await d1Audit()).toBe(0);
      const errors = await mapPool(ids, 6, async (o) => (await c.order(o)).outbox.last_error ?? "");
      expect(errors.every((e) => /handoffs/.test(e))).toBe(true);
    } finally {
      for (const r of restores) await r();
    }
    // 3. D1 is whole again; traffic continues and the backlog drains once the backoff allows.
    await c.runDue(ids, c.t0 + 600_000);
    await mapPool(ids, 3, async (o) => {
      for (const s of ["shipped", "delivered"] as const) expect((await c.send(c.delivery(o, s))).status).toBe(202);
    });
    await c.runDue(ids, c.t0 + 1_200_000);
    for (const o of ids) expect((await c.order(o)).outbox).toEqual({ pending: 0, attempts: 0, last_error: null, next_attempt_at: null });

    const report = await c.invariants();
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ orders: 6, terminal: 6, receipts: 30, rejections: 12 });
  }, 60_000);
});
