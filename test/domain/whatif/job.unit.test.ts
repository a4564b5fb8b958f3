import { describe, expect, it } from "vitest";
import { Totals, type OrderDiff } from "../../../domain/whatif/diff";
import { advanceJob, changeLines, failJob, jobDue, jobView, newJob, partText, resultHeader, resultLines, WHATIF_RETENTION_MS, type JobState } from "../../../domain/whatif/job";
import { CHANGE_COLUMNS } from "../../../domain/whatif/rows";
import { csvField } from "../../../worker/analytics-exports/format";

const T = Date.parse("2026-11-02T00:00:00.000Z");
const req = { tenant: "acme", rules: null, from: "2026-10-01T00:00:00.000Z", to: "2026-11-01T00:00:00.000Z", until: T, created_by: "analyst" };

const diff = (id: string): OrderDiff => ({
  order_id: id,
  value: { amount_minor: 4200, currency: "EUR" },
  state: { recorded: "accepted", proposed: "accepted" },
  breaches_added: [{ step: "routing", level: 0, contact: "a@x.example", owning_party: "agency", due_at: "2026-10-01T00:10:00.000Z", breached_at: "2026-10-01T00:10:00.000Z" }],
  breaches_removed: [],
  exports_added: [],
  exports_removed: [],
  exports_changed: [{ export_id: "exp_1", field: "owner", recorded: "a, inc", proposed: "b" }],
  gaps: [],
});

describe("a what-if job's state", () => {
  it("advances alarm by alarm: cursor, parts, orders and rows add up; done once the window is", () => {
    let job: JobState = newJob("wij_0123456789abcdef01234567", req, { orders_total: 3, proposal_version: null, rows_read: 3 }, T, new Totals().result());
    expect(job).toMatchObject({ status: "queued", parts: 0, orders_done: 0, cursor: null });
    job = { ...advanceJob({ ...job, attempts: 2 }, { cursor: { created_at: "2026-10-02T00:00:00.000Z", order_id: "b" }, orders: 2, rows_read: 60, totals: job.totals, done: false }, T + 1) };
    expect(job).toMatchObject({ status: "running", parts: 1, orders_done: 2, rows_read: 63, attempts: 0, finished_at: null, cursor: { order_id: "b" } });
    // An order created in the window after the count is replayed too: the total follows.
    job = advanceJob(job, { cursor: job.cursor, orders: 2, rows_read: 40, totals: job.totals, done: true }, T + 2);
    expect(job).toMatchObject({ status: "done", parts: 2, orders_done: 4, orders_total: 4, finished_at: T + 2 });
  });

  it("shows a summary and result links only once done", () => {
    const job = newJob("wij_0123456789abcdef01234567", req, { orders_total: 0, proposal_version: 4, rows_read: 0 }, T, new Totals().result());
    const base = "/v1/tenants/acme/what-if/wij_0123456789abcdef01234567";
    expect(jobView(job, base)).not.toHaveProperty("summary");
    const done = jobView(advanceJob(job, { cursor: null, orders: 0, rows_read: 1, totals: job.totals, done: true }, T), base);
    expect(done.summary?.orders).toBe(0);
    expect(done.result?.csv).toBe(`${base}/result?format=csv`);
    expect(done.until).toBe("2026-11-02T00:00:00.000Z");
  });
});

describe("a job's result expires", () => {
  const started = (): JobState => newJob("wij_0123456789abcdef01234567", req, { orders_total: 0, proposal_version: null, rows_read: 0 }, T, new Totals().result());

  it("a week after it finishes (done or failed); the alarm runs, then waits for the expiry, then expires it once", () => {
    const job = started();
    expect(job.expires_at).toBeNull();
    expect(jobDue(job, T)).toBe("run");
    const done = advanceJob(job, { cursor: null, orders: 0, rows_read: 1, totals: job.totals, done: true }, T + 5);
    expect(done.expires_at).toBe(T + 5 + WHATIF_RETENTION_MS);
    expect(WHATIF_RETENTION_MS).toBe(7 * 24 * 3_600_000);
    expect(jobDue(done, T + 6)).toEqual({ wait_until: T + 5 + WHATIF_RETENTION_MS });
    expect(jobDue(done, T + 5 + WHATIF_RETENTION_MS)).toBe("expire");
    expect(jobDue({ ...done, status: "expired" }, T + 10 * WHATIF_RETENTION_MS)).toBe("nothing");
    const failed = failJob(job, "boom", T + 7);
    expect(failed).toMatchObject({ status: "failed", error: "boom", finished_at: T + 7, expires_at: T + 7 + WHATIF_RETENTION_MS });
  });

  it("the retention the job started with is the one it keeps", () => {
    const job = newJob("wij_0123456789abcdef01234567", req, { orders_total: 0, proposal_version: null, rows_read: 0 }, T, new Totals().result(), 1_000);
    expect(advanceJob(job, { cursor: null, orders: 0, rows_read: 0, totals: job.totals, done: true }, T).expires_at).toBe(T + 1_000);
  });

  it("an expired job still shows its totals and who started it, but no result links", () => {
    const base = "/v1/tenants/acme/what-if/wij_0123456789abcdef01234567";
    const job = started();
    const done = advanceJob(job, { cursor: null, orders: 0, rows_read: 1, totals: job.totals, done: true }, T);
    const view = jobView({ ...done, status: "expired" }, base);
    expect(view).toMatchObject({ status: "expired", created_by: "analyst", expires_at: "2026-11-09T00:00:00.000Z" });
    expect(view.summary?.orders).toBe(0);
    expect(view).not.toHaveProperty("result");
    expect(jobView({ ...failJob(job, "boom", T), status: "expired" }, base)).not.toHaveProperty("summary");
  });
});

describe("a job's result, part by part", () => {
  const part = partText([diff("o-1"), diff("o-2")]);

  it("orders: the stored diffs as they are", () => {
    expect(resultLines(part, "orders", csvField)).toBe(part);
    expect(resultLines(partText([]), "orders", csvField)).toBe("");
  });

  it("csv and ndjson: one row per change, the columns a notebook reads", () => {
    expect(resultHeader("csv")).toBe(`${CHANGE_COLUMNS.join(",")}\r\n`);
    expect(resultHeader("ndjson")).toBe("");
    const csv = resultLines(part, "csv", csvField).split("\r\n").filter((l) => l !== "");
    expect(csv).toEqual([
      "o-1,breach_added,routing,0,a@x.example,agency,2026-10-01T00:10:00.000Z,,,,,4200,EUR",
      'o-1,export_changed,,,,,,exp_1,owner,"a, inc",b,4200,EUR',
      "o-2,breach_added,routing,0,a@x.example,agency,2026-10-01T00:10:00.000Z,,,,,4200,EUR",
      'o-2,export_changed,,,,,,exp_1,owner,"a, inc",b,4200,EUR',
    ]);
    const rows = resultLines(part, "ndjson", csvField).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => [r.order_id, r.change, r.recorded])).toEqual([["o-1", "breach_added", null], ["o-1", "export_changed", "a, inc"], ["o-2", "breach_added", null], ["o-2", "export_changed", "a, inc"]]);
    expect(changeLines([diff("o-1")], "ndjson", csvField)).toBe(resultLines(partText([diff("o-1")]), "ndjson", csvField));
  });
});
