/**
 * What Cloudflare charges for each unit the cost benchmark counts, on the
 * Workers Paid plan, as published on the day below. Marginal prices only: the
 * monthly allowances (listed for the reader) are fixed per account, so they
 * lower a small deployment's bill but not what one more order costs.
 */

export const PRICES_CHECKED = "2026-12-07";

export type Unit =
  | "worker_requests"
  | "worker_cpu_ms"
  | "do_requests"
  | "do_gb_s"
  | "do_rows_read"
  | "do_rows_written"
  | "do_gb_month"
  | "d1_rows_read"
  | "d1_rows_written"
  | "d1_gb_month";

export interface Price {
  unit: Unit;
  what: string;
  /** US dollars per `per` units. */
  usd: number;
  per: number;
  included: string;
  source: string;
}

const WORKERS = "https://developers.cloudflare.com/workers/platform/pricing/";
const DO = "https://developers.cloudflare.com/durable-objects/platform/pricing/";
const D1 = "https://developers.cloudflare.com/d1/platform/pricing/";

export const PRICES: readonly Price[] = [
  { unit: "worker_requests", what: "Worker requests", usd: 0.3, per: 1e6, included: "10 M / month", source: WORKERS },
  { unit: "worker_cpu_ms", what: "Worker CPU time (ms)", usd: 0.02, per: 1e6, included: "30 M CPU-ms / month", source: WORKERS },
  { unit: "do_requests", what: "Durable Object requests (RPC calls + alarms)", usd: 0.15, per: 1e6, included: "1 M / month", source: DO },
  { unit: "do_gb_s", what: "Durable Object duration (GB-s, 128 MB per object)", usd: 12.5, per: 1e6, included: "400,000 GB-s / month", source: DO },
  { unit: "do_rows_read", what: "Durable Object SQLite rows read", usd: 0.001, per: 1e6, included: "25 B / month", source: DO },
  { unit: "do_rows_written", what: "Durable Object SQLite rows written (setAlarm() is one)", usd: 1, per: 1e6, included: "50 M / month", source: DO },
  { unit: "do_gb_month", what: "Durable Object stored data (GB-month)", usd: 0.2, per: 1, included: "5 GB-month", source: DO },
  { unit: "d1_rows_read", what: "D1 rows read", usd: 0.001, per: 1e6, included: "25 B / month", source: D1 },
  { unit: "d1_rows_written", what: "D1 rows written", usd: 1, per: 1e6, included: "50 M / month", source: D1 },
  { unit: "d1_gb_month", what: "D1 stored data (GB-month)", usd: 0.75, per: 1, included: "5 GB", source: D1 },
];

/** A Durable Object is billed for 128 MB of memory while active, whatever it uses (128 / 1024 GB, as the pricing page's examples count it). */
export const DO_GB = 0.125;
const BYTES_PER_GB = 1e9;

/** Per order lifecycle, in the units Cloudflare counts. */
export interface Usage {
  workerRequests: number;
  workerCpuMs: number;
  doRequests: number;
  doWallMs: number;
  doRowsRead: number;
  doRowsWritten: number;
  doBytes: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  d1Bytes: number;
}

export interface CostLine {
  unit: Unit;
  what: string;
  quantity: number;
  /** Dollars for 1,000,000 order lifecycles (storage: for keeping them one month). */
  usdPerMillion: number;
}

export function quantities(u: Usage): Record<Unit, number> {
  return {
    worker_requests: u.workerRequests,
    worker_cpu_ms: u.workerCpuMs,
    do_requests: u.doRequests,
    do_gb_s: (u.doWallMs / 1000) * DO_GB,
    do_rows_read: u.doRowsRead,
    do_rows_written: u.doRowsWritten,
    do_gb_month: u.doBytes / BYTES_PER_GB,
    d1_rows_read: u.d1RowsRead,
    d1_rows_written: u.d1RowsWritten,
    d1_gb_month: u.d1Bytes / BYTES_PER_GB,
  };
}

/** Dollars per 1,000,000 lifecycles, line by line, largest first, and their total. */
export function costPerMillion(u: Usage, prices: readonly Price[] = PRICES): { lines: CostLine[]; total: number } {
  const q = quantities(u);
  const lines = prices
    .map((p) => ({ unit: p.unit, what: p.what, quantity: q[p.unit], usdPerMillion: ((q[p.unit] * 1e6) / p.per) * p.usd }))
    .sort((a, b) => b.usdPerMillion - a.usdPerMillion);
  return { lines, total: lines.reduce((s, l) => s + l.usdPerMillion, 0) };
}
