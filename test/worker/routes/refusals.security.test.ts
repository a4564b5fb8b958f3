import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { RefusalBudget } from "../../../durable-objects/refusals/RefusalBudgetDO";
import { budgetBucket, DEFAULT_BUDGET } from "../../../domain/refusals/budget";
import { SHOPIFY, shopify } from "../../helpers/deliveries";
import { call, seedTenant } from "../../helpers/http";

// An attacker who knows only a tenant id posts unsigned junk as fast as it can;
// an honest signed sender keeps delivering on the same source meanwhile.

const budgets = env.REFUSALS as unknown as DurableObjectNamespace<RefusalBudget>;
// Far from the real clock, so the platform never fires the window-end alarm on its own during the test.
const T0 = Date.parse("2031-01-01T00:00:00Z");

/** The production limits (the test environment raises them for the fuzz suites) and a clock that stands still. */
async function pinBudget(bucket: string, limits = DEFAULT_BUDGET): Promise<DurableObjectStub<RefusalBudget>> {
  const stub = budgets.get(budgets.idFromName(bucket));
  await runInDurableObject(stub, (instance) => {
    if (!(instance instanceof RefusalBudget)) throw new Error("REFUSALS is not bound to RefusalBudget");
    instance.limits = limits;
    instance.clock = () => T0;
  });
  return stub;
}

interface Tally {
  recorded: number;
  counted: number;
  limited: number;
  retryAfter: Set<string>;
  other: number[];
}

async function tally(res: Response, t: Tally): Promise<void> {
  const body = await res.json<{ error: { code: string; details?: { rejection_id?: string | null } } }>();
  if (res.status === 429 && body.error.code === "rate_limited") {
    t.limited++;
    t.retryAfter.add(res.headers.get("retry-after") ?? "");
  } else if (res.status === 401 && typeof body.error.details?.rejection_id === "string") t.recorded++;
  else if (res.status === 401 && body.error.details?.rejection_id === null) t.counted++;
  else t.other.push(res.status);
}

async function rows(sql: string, ...params: string[]): Promise<number> {
  return (await env.DB.prepare(sql).bind(...params).first<{ n: number }>())?.n ?? 0;
}

beforeAll(async () => {
  await seedTenant("siege");
});

describe("refusal storage is budgeted per tenant source", () => {
  it("300 unsigned POSTs: 20 recorded, 100 counted, 180 answered 429; the honest sender is untouched", async () => {
    const bucket = budgetBucket("siege", { source: "shop" });
    const budget = await pinBudget(bucket);
    const t: Tally = { recorded: 0, counted: 0, limited: 0, retryAfter: new Set(), other: [] };
    const honest: number[] = [];
    for (let i = 0; i < 300; i++) {
      await tally(await call("POST", "/v1/tenants/siege/webhooks/shop", { raw: SHOPIFY["orders/create"], headers: { "content-type": "application/json", "x-shopify-topic": "orders/create" } }), t);
      if (i % 30 === 0) honest.push((await shopify("siege", "orders/create", { id: `honest-${i}` })).status);
    }
    expect({ recorded: t.recorded, counted: t.counted, limited: t.limited, other: t.other }).toEqual({ recorded: 20, counted: 100, limited: 180, other: [] });
    expect([...t.retryAfter]).toEqual(["60"]);
    expect(honest).toEqual([202, ...Array<number>(9).fill(202)]);
    expect(await rows("SELECT COUNT(*) AS n FROM rejections WHERE tenant_id = ?", "siege")).toBe(20);
    // The counted ones reach D1 as one row per window, written by the budget's alarm, not per request.
    expect(await rows("SELECT COUNT(*) AS n FROM rejection_overflow WHERE tenant_id = ?", "siege")).toBe(0);
    expect(await runDurableObjectAlarm(budget)).toBe(true);
    const overflow = await env.DB.prepare("SELECT bucket, window_start, counted, limited FROM rejection_overflow WHERE tenant_id = ?").bind("siege").all();
    expect(overflow.results).toEqual([{ bucket, window_start: new Date(T0).toISOString(), counted: 100, limited: 180 }]);
  });

  it("unauthenticated acks to made-up exports share one budget however the ids vary", async () => {
    await pinBudget(budgetBucket("siege", "ack"), { record: 5, limit: 10, windowMs: 60_000 });
    const before = await rows("SELECT COUNT(*) AS n FROM rejections WHERE tenant_id = ? AND source LIKE 'ack:%'", "siege");
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await call("POST", `/v1/tenants/siege/exports/exp_fulfil_order_v1_${crypto.randomUUID()}/ack`, { body: { status: "accepted" } });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses).toEqual([...Array<number>(10).fill(404), ...Array<number>(20).fill(429)]);
    expect((await rows("SELECT COUNT(*) AS n FROM rejections WHERE tenant_id = ? AND source LIKE 'ack:%'", "siege")) - before).toBe(5);
  });

  it("invented source names share one budget", async () => {
    await pinBudget(budgetBucket("siege", "unknown_source"), { record: 3, limit: 6, windowMs: 60_000 });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await call("POST", `/v1/tenants/siege/webhooks/made-up-${i}`, { raw: "{}", headers: { "content-type": "application/json" } });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses).toEqual([...Array<number>(6).fill(404), ...Array<number>(4).fill(429)]);
    expect(await rows("SELECT COUNT(*) AS n FROM rejections WHERE tenant_id = ? AND source LIKE 'made-up-%'", "siege")).toBe(3);
  });
});
