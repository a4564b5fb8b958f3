import { describe, expect, it } from "vitest";
import { costPerMillion, PRICES, quantities, type Usage } from "../../../bench/cost/prices";
import { lifecycleTotals, perOrder, type CostRun } from "../../../bench/cost/report";
import { BUCKETS, type Bucket, type Counts } from "../../../bench/cost/meter";

const none: Usage = { workerRequests: 0, workerCpuMs: 0, doRequests: 0, doWallMs: 0, doRowsRead: 0, doRowsWritten: 0, doBytes: 0, d1RowsRead: 0, d1RowsWritten: 0, d1Bytes: 0 };

function counts(over: Partial<Counts>): Counts {
  return { workerRequests: 0, doRequests: 0, doRequestsByMethod: {}, doRowsRead: 0, doRowsWritten: 0, alarmWrites: 0, d1Queries: 0, d1RowsRead: 0, d1RowsWritten: 0, d1Unmetered: 0, doWallMs: 0, writesBySql: {}, ...over };
}

describe("bench:cost prices", () => {
  it("prices one million lifecycles at the published marginal rates", () => {
    // 40 rows written in D1 per order: $1.00 per million rows → $40 per million orders.
    expect(costPerMillion({ ...none, d1RowsWritten: 40 }).total).toBeCloseTo(40, 10);
    // 7 Worker requests at $0.30 per million, 10 DO requests at $0.15 per million.
    expect(costPerMillion({ ...none, workerRequests: 7, doRequests: 10 }).total).toBeCloseTo(7 * 0.3 + 10 * 0.15, 10);
    // 100 KB kept a month in a Durable Object: 1e5 bytes × 1e6 orders = 100 GB × $0.20.
    expect(costPerMillion({ ...none, doBytes: 100_000 }).total).toBeCloseTo(20, 10);
  });

  it("bills Durable Object duration for 128 MB whatever the object uses", () => {
    // 1 s inside requests = 0.125 GB-s; a million of them at $12.50 per million GB-s.
    expect(quantities({ ...none, doWallMs: 1000 }).do_gb_s).toBeCloseTo(0.125, 10);
    expect(costPerMillion({ ...none, doWallMs: 1000 }).total).toBeCloseTo(0.125 * 12.5, 10);
  });

  it("lists every line, largest first, and names a source for each price", () => {
    const { lines } = costPerMillion({ ...none, d1RowsWritten: 1, doRowsWritten: 3 });
    expect(lines).toHaveLength(PRICES.length);
    expect(lines[0]?.unit).toBe("do_rows_written");
    for (const p of PRICES) expect(p.source).toMatch(/^https:\/\/developers\.cloudflare\.com\//);
  });
});

describe("bench:cost per-order counts", () => {
  const buckets = Object.fromEntries(BUCKETS.map((b) => [b, counts({})])) as Record<Bucket, Counts>;
  buckets.webhook = counts({ workerRequests: 8, doRequests: 8, doRowsWritten: 100, alarmWrites: 6, doRequestsByMethod: { ingest: 8 }, writesBySql: { "DO INSERT INTO facts": 40 } });
  buckets.alarm = counts({ doRequests: 4, d1RowsWritten: 60, doRequestsByMethod: { alarm: 4 }, writesBySql: { "DO INSERT INTO facts": 2 } });
  buckets.read = counts({ workerRequests: 50, doRequests: 50, doRowsRead: 9999 });

  it("charges an observer's reads to no lifecycle", () => {
    const t = lifecycleTotals(buckets);
    expect(t.workerRequests).toBe(8);
    expect(t.doRequests).toBe(12);
    expect(t.doRowsRead).toBe(0);
    expect(t.doRequestsByMethod).toEqual({ ingest: 8, alarm: 4 });
    expect(t.writesBySql).toEqual({ "DO INSERT INTO facts": 42 });
  });

  it("counts setAlarm() as a row written and divides by the orders", () => {
    const run: CostRun = {
      at: "2026-12-07T00:00:00.000Z",
      label: null,
      machine: { cpus: 2, node: "v20", load: [0, 0, 0] },
      settings: { orders: 2, seed: 1, faults: "", timeFactor: 60, concurrency: 16 },
      inbound: { requests: 8, webhooks: 7, duplicatesSent: 1, redeliveries: 0, statuses: { "202": 8 } },
      consumers: { deliveries: 3, redeliveries: 0, rejected: 0, slow: 0 },
      meter: { buckets, alarmsPending: 0, alarmsDueSoon: 0, doBytes: 4000, doObjects: 2, d1Bytes: 10_000, d1Tables: { handoffs: 3 } },
      d1BytesBefore: 6000,
      cpuMs: 10,
      wallSeconds: 1,
      timedOut: false,
    };
    const u = perOrder(run);
    expect(u.doRowsWritten).toBe((100 + 6) / 2);
    expect(u.d1RowsWritten).toBe(30);
    expect(u.d1Bytes).toBe(2000);
    expect(u.exports).toBe(1.5);
    expect(u.workerCpuMs).toBe(5);
  });
});
