import { z } from "zod";
import type { OwnershipRules } from "../ownership/schema";
import { iso } from "../time";
import { CHANGE_COLUMNS, changeRows } from "./rows";
import { WhatIfSummary, type OrderDiff } from "./diff";

/**
 * A what-if over a window too large to answer in one request runs as a job:
 * one object per job pages through the window (keyset pages of orders, a
 * bounded number per alarm), folds the totals as it goes and writes each
 * alarm's changed orders as one NDJSON part. Everything it needs to resume
 * after an eviction is in `JobState`, saved after every alarm. A finished
 * job's parts are kept for `WHATIF_RETENTION_MS`, then deleted: the job still
 * answers (status `expired`, its totals), its result no longer does.
 */

/** How long a finished job's result is kept: a week covers a monthly review's back-and-forth without keeping every run for ever. */
export const WHATIF_RETENTION_MS = 7 * 24 * 3_600_000;

export const JOB_STATUSES = ["queued", "running", "done", "failed", "expired"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Result downloads: flat change rows (CSV or NDJSON, one row per change, for a notebook) or one diff per changed order. */
export const RESULT_FORMATS = ["csv", "ndjson", "orders"] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

export const RESULT_CONTENT_TYPES: Record<ResultFormat, string> = {
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson; charset=utf-8",
  orders: "application/x-ndjson; charset=utf-8",
};

/** `wij_` + 24 hex: unguessable, and anything else is refused before an object is asked. */
export const JOB_ID = /^wij_[0-9a-f]{24}$/;

/** Where a page ends: orders are paged by (created_at, order_id). */
export interface Cursor {
  created_at: string;
  order_id: string;
}

export interface JobRequest {
  tenant: string;
  rules: OwnershipRules | null;
  /** ISO instants, normalised (toISOString). */
  from: string;
  to: string;
  /** Epoch ms: timers are played up to here. */
  until: number;
  /** The acting key's name that started it. */
  created_by: string;
}

export interface JobState extends JobRequest {
  id: string;
  status: JobStatus;
  proposal_version: number | null;
  orders_total: number;
  orders_done: number;
  rows_read: number;
  created_at: number;
  finished_at: number | null;
  /** How long the result is kept after it finishes (fixed at start, so an evicted object keeps the same). */
  retention_ms: number;
  /** finished_at + retention_ms; null while it runs. */
  expires_at: number | null;
  error: string | null;
  /** The next page starts after this order; null before the first page. */
  cursor: Cursor | null;
  /** NDJSON parts written so far (one per alarm). */
  parts: number;
  totals: WhatIfSummary;
  /** Alarms in a row that died before saving: past a bound the job fails instead of retrying for ever. */
  attempts: number;
}

export const MAX_ATTEMPTS = 5;

export function newJob(
  id: string,
  req: JobRequest,
  counted: { orders_total: number; proposal_version: number | null; rows_read: number },
  now: number,
  empty: WhatIfSummary,
  retentionMs = WHATIF_RETENTION_MS,
): JobState {
  return {
    ...req,
    id,
    status: "queued",
    proposal_version: counted.proposal_version,
    orders_total: counted.orders_total,
    orders_done: 0,
    rows_read: counted.rows_read,
    created_at: now,
    finished_at: null,
    retention_ms: retentionMs,
    expires_at: null,
    error: null,
    cursor: null,
    parts: 0,
    totals: empty,
    attempts: 0,
  };
}

/** One alarm's pages, folded into the job: where it stands now and what it read. */
export function advanceJob(
  job: JobState,
  step: { cursor: Cursor | null; orders: number; rows_read: number; totals: WhatIfSummary; done: boolean },
  now: number,
): JobState {
  const ordersDone = job.orders_done + step.orders;
  return {
    ...job,
    status: step.done ? "done" : "running",
    cursor: step.cursor,
    parts: job.parts + 1,
    orders_done: ordersDone,
    // Orders created in the window after the job counted it are replayed too.
    orders_total: Math.max(job.orders_total, ordersDone),
    rows_read: job.rows_read + step.rows_read,
    totals: step.totals,
    attempts: 0,
    finished_at: step.done ? now : null,
    expires_at: step.done ? now + job.retention_ms : null,
  };
}

/** A job that cannot go on: it keeps what it did, and its parts expire like a finished job's. */
export function failJob(job: JobState, error: string, now: number): JobState {
  return { ...job, status: "failed", error, finished_at: now, expires_at: now + job.retention_ms };
}

/** What the job's alarm does next: run a step, expire its result, wait for the expiry, or nothing. */
export function jobDue(job: JobState, now: number): "run" | "expire" | { wait_until: number } | "nothing" {
  if (job.status === "queued" || job.status === "running") return "run";
  if (job.status === "expired" || job.expires_at === null) return "nothing";
  return now >= job.expires_at ? "expire" : { wait_until: job.expires_at };
}

export const WhatIfJob = z
  .object({
    id: z.string(),
    tenant: z.string(),
    status: z.enum(JOB_STATUSES),
    progress: z.object({ orders_done: z.number().int(), orders_total: z.number().int() }),
    from: z.string(),
    to: z.string(),
    until: z.string(),
    mode: z.enum(["proposed", "in_force"]),
    proposal_version: z.number().int().nullable(),
    rows_read: z.number().int().describe("D1 rows read so far (order index + audit trail)"),
    created_at: z.string(),
    created_by: z.string().describe("The acting key's name that started it"),
    finished_at: z.string().nullable(),
    expires_at: z.string().nullable().describe("When its result is deleted (finish + 7 days); after it the job answers with status `expired` and its result with 410"),
    error: z.string().nullable(),
    summary: WhatIfSummary.optional().describe("Once done (and after it expires): the same totals an inline run gives"),
    result: z
      .object({ csv: z.string(), ndjson: z.string(), orders: z.string() })
      .optional()
      .describe("Once done: where to download the changes (one row per change as CSV or NDJSON; one diff per changed order as NDJSON)"),
  })
  .meta({ id: "WhatIfJob" });
export type WhatIfJob = z.infer<typeof WhatIfJob>;

/** A job as the tenant's list shows it (one D1 row each, not a call per job object). */
export const WhatIfJobListItem = WhatIfJob.pick({ id: true, status: true, progress: true, from: true, to: true, created_at: true, created_by: true, expires_at: true }).meta({
  id: "WhatIfJobListItem",
});
export type WhatIfJobListItem = z.infer<typeof WhatIfJobListItem>;

const at = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function jobView(job: JobState, base: string): WhatIfJob {
  const done = job.status === "done";
  const finished = done || (job.status === "expired" && job.error === null);
  return {
    id: job.id,
    tenant: job.tenant,
    status: job.status,
    progress: { orders_done: job.orders_done, orders_total: job.orders_total },
    from: job.from,
    to: job.to,
    until: iso(job.until),
    mode: job.rules ? "proposed" : "in_force",
    proposal_version: job.proposal_version,
    rows_read: job.rows_read,
    created_at: iso(job.created_at),
    created_by: job.created_by,
    finished_at: at(job.finished_at),
    expires_at: at(job.expires_at),
    error: job.error,
    ...(finished ? { summary: job.totals } : {}),
    ...(done ? { result: { csv: `${base}/result?format=csv`, ndjson: `${base}/result?format=ndjson`, orders: `${base}/result?format=orders` } } : {}),
  };
}

/** One part as stored: one changed order's diff per line. */
export function partText(diffs: readonly OrderDiff[]): string {
  return diffs.map((d) => `${JSON.stringify(d)}\n`).join("");
}

/** The header line a format starts with (CSV only). */
export function resultHeader(format: ResultFormat): string {
  return format === "csv" ? `${CHANGE_COLUMNS.join(",")}\r\n` : "";
}

type CsvField = (v: string | number | null) => string;

/** Changed orders as flat change rows, one line per change: what a notebook reads (DuckDB read_csv / read_json). */
export function changeLines(diffs: readonly OrderDiff[], format: "csv" | "ndjson", csvField: CsvField): string {
  let out = "";
  for (const d of diffs) {
    for (const r of changeRows(d)) out += format === "csv" ? `${CHANGE_COLUMNS.map((c) => csvField(r[c])).join(",")}\r\n` : `${JSON.stringify(r)}\n`;
  }
  return out;
}

/** A stored part in the asked format: diffs as they are, or flattened into change rows. */
export function resultLines(part: string, format: ResultFormat, csvField: CsvField): string {
  if (format === "orders") return part;
  const diffs = part
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as OrderDiff);
  return changeLines(diffs, format, csvField);
}

/** The job object as the Worker sees it (durable-objects/whatif/WhatIfJobDO.ts implements it). */
export interface WhatIfJobObject {
  /** Starts the job once: a second call with the same id returns it as it stands. */
  start(id: string, req: JobRequest): Promise<JobState>;
  /** The job, if it exists and belongs to `tenant`; null otherwise (so another tenant learns nothing). */
  job(tenant: string): Promise<JobState | null>;
}
