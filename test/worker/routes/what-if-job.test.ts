import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WhatIfJob as WhatIfJobDO } from "../../../durable-objects/whatif/WhatIfJobDO";
import { Totals, type OrderDiff } from "../../../domain/whatif/diff";
import { CHANGE_COLUMNS, changeRows } from "../../../domain/whatif/rows";
import type { JobState, WhatIfJob, WhatIfJobListItem } from "../../../domain/whatif/job";
import type { WhatIfRun } from "../../../domain/whatif/report";
import { freshScenario } from "../../helpers/consumer";
import { advance, handoffRules, handoffTenant, orderStub, paidOrder, setClock } from "../../helpers/handoff";
import { partKey } from "../../../worker/whatif/jobs";
import { ADMIN_TOKEN, call, expectError, json, keyFor, seedTenant, settleAlarms } from "../../helpers/http";

// The workers project runs jobs over more than 3 orders, 2 orders a page, one page an alarm (vitest.config.ts).
afterAll(settleAlarms);

const MIN = 60_000;
const TENANT = "whatif-job";
const OTHER = "whatif-job-other";
const T0 = Math.ceil((Date.now() + 60_000) / 1000) * 1000;
const ORDERS = ["wj-1", "wj-2", "wj-3", "wj-4", "wj-5"];
const at = (i: number): number => T0 + i * 2 * MIN;
const window = { from: new Date(T0 - 3_600_000).toISOString(), to: new Date(T0 + 3 * 3_600_000).toISOString() };
/** Splits the window between the 3rd and 4th order: each half is answered inline. */
const mid = new Date(at(2) + MIN).toISOString();

let key = "";
let until = "";
const wms = freshScenario("wms-whatif-job");
const carrier = freshScenario("carrier-whatif-job");
const proposal = (): unknown =>
  handoffRules(wms, carrier, (r) => {
    r.steps.routing.sla = "PT2M";
    r.steps.routing.owner = "routing-days@agency.example";
  });

function post(body: Record<string, unknown>, token = key, tenant = TENANT): Promise<Response> {
  return call("POST", `/v1/tenants/${tenant}/what-if`, { token, body });
}

async function untilDone(location: string, token = key): Promise<WhatIfJob> {
  for (let i = 0; i < 200; i++) {
    const res = await call("GET", location, { token });
    expect(res.status).toBe(200);
    const job = await json<WhatIfJob>(res);
    if (job.status === "done" || job.status === "failed") return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job at ${location} did not finish`);
}

/** The same window answered inline, half by half, merged as a client would. */
async function inlineHalves(rules: unknown): Promise<{ summary: WhatIfRun["summary"]; orders: OrderDiff[] }> {
  const totals = new Totals();
  const orders: OrderDiff[] = [];
  for (const [from, to] of [
    [window.from, mid],
    [mid, window.to],
  ] as const) {
    const res = await post({ from, to, until, ...(rules === undefined ? {} : { rules }) });
    expect(res.status).toBe(200);
    const run = await json<WhatIfRun>(res);
    totals.merge(run.summary);
    orders.push(...run.orders);
  }
  return { summary: totals.result(), orders };
}

const ndjson = <T>(text: string): T[] =>
  text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as T);
const byId = (a: OrderDiff, b: OrderDiff): number => (a.order_id < b.order_id ? -1 : 1);
/** A download's text (NDJSON is not a text/* type, so Response.text() would warn about it). */
const text = async (res: Promise<Response>): Promise<string> => new TextDecoder().decode(await (await res).arrayBuffer());

/** Sets the job object's test seams (its alarm pacing, a death mid-alarm). */
async function seam(stub: DurableObjectStub<WhatIfJobDO>, set: (o: WhatIfJobDO) => void): Promise<void> {
  await runInDurableObject(stub, (o) => {
    if (!(o instanceof WhatIfJobDO)) throw new Error("not a WhatIfJob");
    set(o);
  });
}

/** A job object whose alarms are set far out, so the test runs each one itself (and, if given, keeps its result `retentionMs`). */
function testRunsAlarms(stub: DurableObjectStub<WhatIfJobDO>, retentionMs?: number): Promise<void> {
  return seam(stub, (o) => {
    o.nextAlarmMs = 3_600_000;
    o.retryAlarmMs = 3_600_000;
    if (retentionMs !== undefined) o.retentionMs = retentionMs;
  });
}

beforeAll(async () => {
  key = await handoffTenant(TENANT, wms, carrier);
  await seedTenant(OTHER);
  // Five orders the real order object decided, 2 minutes apart, each routed and left unanswered by the warehouse.
  for (const [i, id] of ORDERS.entries()) {
    const o = orderStub(TENANT, id);
    await setClock(o, at(i));
    await paidOrder(TENANT, id, at(i));
    await advance(o, at(i));
    await advance(o, at(i) + 5 * MIN);
  }
  // Every object's alarm runs at the horizon, so each has decided everything due before it (a replay plays timers up to `until`).
  const last = at(4) + 10 * MIN;
  for (const id of ORDERS) await advance(orderStub(TENANT, id), last);
  until = new Date(last + 1).toISOString();
  for (const id of ORDERS) expect((await call("GET", `/v1/tenants/${TENANT}/orders/${id}/audit`, { token: key })).status).toBe(200);
}, 120_000);

describe("what-if over a window larger than the inline bound runs as a job", () => {
  it("answers 202 with the job and its Location, and the job's totals are the inline runs' over the window's halves", async () => {
    const res = await post({ ...window, until, rules: proposal() });
    expect(res.status).toBe(202);
    const started = await json<WhatIfJob>(res);
    expect(started.id).toMatch(/^wij_[0-9a-f]{24}$/);
    expect(res.headers.get("location")).toBe(`/v1/tenants/${TENANT}/what-if/${started.id}`);
    expect(started.progress).toEqual({ orders_done: 0, orders_total: ORDERS.length });
    expect(started.mode).toBe("proposed");

    const done = await untilDone(res.headers.get("location") ?? "");
    expect(done.status).toBe("done");
    expect(done.progress).toEqual({ orders_done: ORDERS.length, orders_total: ORDERS.length });
    const inline = await inlineHalves(proposal());
    expect(done.summary).toEqual(inline.summary);
    expect(inline.summary.orders_changed).toBeGreaterThan(0);
    expect(done.rows_read).toBeGreaterThan(0);

    // Downloads: every changed order, one diff per line, and the same changes flat as CSV and NDJSON.
    const orders = ndjson<OrderDiff>(await text(call("GET", `${done.result?.orders ?? ""}`, { token: key })));
    expect([...orders].sort(byId)).toEqual([...inline.orders].sort(byId));
    const rows = inline.orders.flatMap(changeRows);
    const csvRes = await call("GET", `/v1/tenants/${TENANT}/what-if/${done.id}/result?format=csv`, { token: key });
    expect(csvRes.headers.get("content-type")).toContain("text/csv");
    const csv = (await text(Promise.resolve(csvRes))).split("\r\n").filter((l) => l !== "");
    expect(csv[0]).toBe(CHANGE_COLUMNS.join(","));
    expect(csv).toHaveLength(rows.length + 1);
    const flat = ndjson<Record<string, unknown>>(await text(call("GET", `/v1/tenants/${TENANT}/what-if/${done.id}/result?format=ndjson`, { token: key })));
    expect(flat.map((r) => `${String(r.order_id)}/${String(r.change)}`).sort()).toEqual(rows.map((r) => `${String(r.order_id)}/${String(r.change)}`).sort());
  });

  it("under the rules in force a job changes nothing either", async () => {
    const res = await post({ ...window, until });
    expect(res.status).toBe(202);
    const done = await untilDone(res.headers.get("location") ?? "");
    expect(done.mode).toBe("in_force");
    expect(done.summary?.orders).toBe(ORDERS.length);
    expect(done.summary?.orders_changed).toBe(0);
    expect(await text(call("GET", `${done.result?.orders ?? ""}`, { token: key }))).toBe("");
  });

  it("refuses an unknown id (404), a bad format (400) and a result before it is done (409)", async () => {
    await expectError(await call("GET", `/v1/tenants/${TENANT}/what-if/wij_000000000000000000000000`, { token: key }), 404, "not_found");
    await expectError(await call("GET", `/v1/tenants/${TENANT}/what-if/not-a-job`, { token: key }), 404, "not_found");
    await expectError(await call("GET", `/v1/tenants/${TENANT}/what-if/wij_000000000000000000000000/result`, { token: key }), 404, "not_found");
    const res = await post({ ...window, until });
    const id = (await json<WhatIfJob>(res)).id;
    await expectError(await call("GET", `/v1/tenants/${TENANT}/what-if/${id}/result?format=xlsx`, { token: key }), 400, "validation_failed");
    const early = await call("GET", `/v1/tenants/${TENANT}/what-if/${id}/result?format=csv`, { token: key });
    // The first alarm may already have finished it on a fast machine; otherwise the result is not ready.
    if (early.status !== 200) await expectError(early, 409, "conflict");
    else await early.body?.cancel();
    await untilDone(`/v1/tenants/${TENANT}/what-if/${id}`);
  });
});

describe("what-if jobs belong to their tenant", () => {
  it("a read key starts and reads jobs; another tenant finds nothing, under its own path or this one", async () => {
    const reader = await keyFor(TENANT, "analyst", "read");
    const res = await post({ ...window, until }, reader);
    expect(res.status).toBe(202);
    const location = res.headers.get("location") ?? "";
    const job = await untilDone(location, reader);
    const result = await call("GET", `${location}/result?format=ndjson`, { token: reader });
    expect(result.status).toBe(200);
    await text(Promise.resolve(result));
    expect((await call("GET", location, { token: ADMIN_TOKEN })).status).toBe(200);

    const other = await keyFor(OTHER, "analyst", "read");
    await expectError(await call("GET", `/v1/tenants/${OTHER}/what-if/${job.id}`, { token: other }), 404, "not_found");
    await expectError(await call("GET", `/v1/tenants/${OTHER}/what-if/${job.id}/result`, { token: other }), 404, "not_found");
    await expectError(await call("GET", location, { token: other }), 404, "not_found");
    await expectError(await call("GET", location, {}), 401, "unauthorized");
  });
});

describe("a what-if job survives its object dying mid-alarm", () => {
  it("resumes from the saved cursor, rewrites the part it was writing, and ends with the uninterrupted totals", async () => {
    const ns = env.WHATIF_JOB as unknown as DurableObjectNamespace<WhatIfJobDO>;
    const id = "wij_0123456789abcdef01234567";
    const stub = ns.get(ns.idFromName(`${TENANT}/${id}`));
    await testRunsAlarms(stub);
    const request = { tenant: TENANT, rules: null, from: window.from, to: window.to, until: Date.parse(until), created_by: "test" };
    await stub.start(id, request);
    const state = (): Promise<JobState | null> => stub.job(TENANT);

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await state()).toMatchObject({ status: "running", orders_done: 2, parts: 1, attempts: 0 });

    // The second alarm writes its part, then dies before saving: nothing of it counts.
    await seam(stub, (o) => {
      o.dieAfterPart = true;
    });
    await runDurableObjectAlarm(stub).catch(() => false);
    expect(await state()).toMatchObject({ status: "running", orders_done: 2, parts: 1, attempts: 1 });

    // The retry it left behind resumes from the cursor; then to the end.
    for (let i = 0; i < 10 && (await state())?.status !== "done"; i++) expect(await runDurableObjectAlarm(stub)).toBe(true);
    const done = await state();
    expect(done).toMatchObject({ status: "done", orders_done: ORDERS.length, parts: 3, attempts: 0 });
    const inline = await inlineHalves(undefined);
    expect(done?.totals).toEqual(inline.summary);
    const view = await json<WhatIfJob>(await call("GET", `/v1/tenants/${TENANT}/what-if/${id}`, { token: key }));
    expect(view.summary).toEqual(inline.summary);
    // What is left is the expiry's alarm, a week out: run early, it changes nothing.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await state()).toMatchObject({ status: "done", parts: 3 });
  });

  it("an alarm that dies every time fails the job after five tries instead of retrying for ever", async () => {
    const ns = env.WHATIF_JOB as unknown as DurableObjectNamespace<WhatIfJobDO>;
    const id = "wij_fedcba9876543210fedcba98";
    const stub = ns.get(ns.idFromName(`${TENANT}/${id}`));
    await testRunsAlarms(stub);
    await stub.start(id, { tenant: TENANT, rules: null, from: window.from, to: window.to, until: Date.parse(until), created_by: "test" });
    for (let i = 0; i < 5; i++) {
      await seam(stub, (o) => {
        o.dieAfterPart = true;
      });
      await runDurableObjectAlarm(stub).catch(() => false);
    }
    expect(await stub.job(TENANT)).toMatchObject({ status: "running", attempts: 5, orders_done: 0 });
    await runDurableObjectAlarm(stub);
    const view = await json<WhatIfJob>(await call("GET", `/v1/tenants/${TENANT}/what-if/${id}`, { token: key }));
    expect(view.status).toBe("failed");
    expect(view.error).toContain("5 alarms in a row died");
    expect(view).not.toHaveProperty("summary");
    await expectError(await call("GET", `/v1/tenants/${TENANT}/what-if/${id}/result`, { token: key }), 409, "conflict");
  });
});

interface JobList {
  jobs: WhatIfJobListItem[];
  next_cursor: string | null;
}

/** Every page of a tenant's job list, `limit` at a time. */
async function allJobs(token: string, tenant = TENANT, limit = 1): Promise<WhatIfJobListItem[]> {
  const out: WhatIfJobListItem[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const q: string = cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`;
    const res = await call("GET", `/v1/tenants/${tenant}/what-if?limit=${limit}${q}`, { token });
    expect(res.status).toBe(200);
    const page = await json<JobList>(res);
    expect(page.jobs.length).toBeLessThanOrEqual(limit);
    out.push(...page.jobs);
    cursor = page.next_cursor;
    if (cursor === null) return out;
  }
  throw new Error("job list did not end");
}

describe("a tenant's what-if jobs are listed", () => {
  it("newest first, keyset-paged, with who started each and when its result expires; another tenant sees none of them", async () => {
    const lister = await keyFor(TENANT, "lister", "read");
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await post({ ...window, until }, lister);
      expect(res.status).toBe(202);
      ids.push((await untilDone(res.headers.get("location") ?? "", lister)).id);
    }
    const jobs = await allJobs(lister);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
    const keys = jobs.map((j) => `${j.created_at}|${j.id}`);
    expect(keys).toEqual([...keys].sort().reverse());
    const mine = jobs.filter((j) => ids.includes(j.id));
    expect(mine.map((j) => j.id)).toEqual([...ids].reverse());
    for (const j of mine) {
      expect(j).toMatchObject({ status: "done", created_by: "lister", from: window.from, to: window.to, progress: { orders_done: ORDERS.length, orders_total: ORDERS.length } });
      expect(Date.parse(j.expires_at ?? "") - Date.parse(j.created_at)).toBeGreaterThanOrEqual(7 * 24 * 3_600_000);
    }
    // The job's own view agrees with its row.
    const view = await json<WhatIfJob>(await call("GET", `/v1/tenants/${TENANT}/what-if/${ids[0] ?? ""}`, { token: lister }));
    expect({ created_by: view.created_by, expires_at: view.expires_at }).toEqual({ created_by: mine[1]?.created_by, expires_at: mine[1]?.expires_at });

    expect(await allJobs(await keyFor(OTHER, "analyst", "read"), OTHER, 50)).toEqual([]);
    await expectError(await call("GET", `/v1/tenants/${TENANT}/what-if?cursor=nonsense`, { token: lister }), 400, "validation_failed");
    await expectError(await call("GET", `/v1/tenants/${TENANT}/what-if?limit=0`, { token: lister }), 400, "validation_failed");
    await expectError(await call("GET", `/v1/tenants/${TENANT}/what-if`, {}), 401, "unauthorized");
  });
});

describe("a what-if job's result expires", () => {
  it("at finish + retention its parts are deleted and it is marked expired: the job still answers, its result is 410", async () => {
    const ns = env.WHATIF_JOB as unknown as DurableObjectNamespace<WhatIfJobDO>;
    const id = "wij_00000000000000000000e0e0";
    const stub = ns.get(ns.idFromName(`${TENANT}/${id}`));
    // A one-minute retention instead of a week.
    await testRunsAlarms(stub, 60_000);
    await stub.start(id, { tenant: TENANT, rules: null, from: window.from, to: window.to, until: Date.parse(until), created_by: "expiry-test" });
    for (let i = 0; i < 10 && (await stub.job(TENANT))?.status !== "done"; i++) await runDurableObjectAlarm(stub);
    const done = await stub.job(TENANT);
    expect(done).toMatchObject({ status: "done", parts: 3 });
    const parts = [0, 1, 2].map((n) => partKey({ tenant: TENANT, id }, n));
    for (const k of parts) expect(await env.ARCHIVE.head(k)).not.toBeNull();
    expect(done?.expires_at).toBe((done?.finished_at ?? 0) + 60_000);

    // Before the expiry its alarm only waits.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stub.job(TENANT)).toMatchObject({ status: "done" });
    const before = await call("GET", `/v1/tenants/${TENANT}/what-if/${id}/result?format=csv`, { token: key });
    expect(before.status).toBe(200);
    expect(await text(Promise.resolve(before))).toContain(CHANGE_COLUMNS.join(","));

    await seam(stub, (o) => {
      const skew = Date.now();
      o.clock = () => Date.now() - skew + (done?.expires_at ?? 0);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    for (const k of parts) expect(await env.ARCHIVE.head(k)).toBeNull();
    const view = await json<WhatIfJob>(await call("GET", `/v1/tenants/${TENANT}/what-if/${id}`, { token: key }));
    expect(view).toMatchObject({ status: "expired", created_by: "expiry-test", progress: { orders_done: ORDERS.length } });
    expect(view.summary?.orders).toBe(ORDERS.length);
    expect(view).not.toHaveProperty("result");
    for (const format of ["csv", "orders"]) {
      await expectError(await call("GET", `/v1/tenants/${TENANT}/what-if/${id}/result?format=${format}`, { token: key }), 410, "what_if_expired");
    }
    const listed = (await allJobs(key, TENANT, 50)).find((j) => j.id === id);
    expect(listed).toMatchObject({ status: "expired", created_by: "expiry-test" });
    // Nothing is left to do.
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });
});
