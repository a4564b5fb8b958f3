import type { OrderDiff } from "../../domain/whatif/diff";
import { RESULT_CONTENT_TYPES, resultHeader, resultLines, type JobRequest, type JobState, type ResultFormat } from "../../domain/whatif/job";
import { csvField } from "../analytics-exports/format";
import type { Env } from "../env";
import { WHATIF_PAGE } from "./source";

/**
 * The Worker's side of what-if jobs: where a job lives (one object per tenant
 * and id), how much one alarm may do, and the result as one download streamed
 * from the job's parts in ARCHIVE.
 */

/** 10 pages of 60 orders: ~1 s of CPU per alarm at the measured cost per order, far inside an alarm's limit. */
export const JOB_PAGES_PER_ALARM = 10;

function positive(v: string | undefined, fallback: number): number {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Orders per page and pages per alarm (lowered in tests so a handful of orders spans several alarms). */
export function jobPages(env: Pick<Env, "WHATIF_JOB_PAGE" | "WHATIF_JOB_PAGES_PER_ALARM">): { pageOrders: number; pagesPerAlarm: number } {
  return { pageOrders: Math.min(positive(env.WHATIF_JOB_PAGE, WHATIF_PAGE), WHATIF_PAGE), pagesPerAlarm: positive(env.WHATIF_JOB_PAGES_PER_ALARM, JOB_PAGES_PER_ALARM) };
}

/** A job's n-th part in ARCHIVE, under its tenant (retention's own keys are `<tenant>/…`; these are `what-if/<tenant>/…`). */
export function partKey(job: Pick<JobState, "tenant" | "id">, n: number): string {
  return `what-if/${job.tenant}/${job.id}/part-${String(n).padStart(6, "0")}.ndjson`;
}

/** Deletes a job's parts from ARCHIVE (R2 deletes up to 1000 keys a call); a key already gone is no error. */
export async function deleteParts(env: Pick<Env, "ARCHIVE">, job: Pick<JobState, "tenant" | "id" | "parts">): Promise<void> {
  const keys = Array.from({ length: job.parts }, (_, n) => partKey(job, n));
  for (let i = 0; i < keys.length; i += 1000) await env.ARCHIVE.delete(keys.slice(i, i + 1000));
}

function jobStub(env: Env, tenant: string, id: string) {
  // Named by tenant and id: the same id under another tenant is another (empty) object.
  return env.WHATIF_JOB.get(env.WHATIF_JOB.idFromName(`${tenant}/${id}`));
}

export function newJobId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `wij_${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export async function startJob(env: Env, req: JobRequest): Promise<JobState> {
  const id = newJobId();
  return jobStub(env, req.tenant, id).start(id, req);
}

export async function findJob(env: Env, tenant: string, id: string): Promise<JobState | null> {
  return jobStub(env, tenant, id).job(tenant);
}

/** The finished job's changes, part after part, in the asked format: never the whole result in memory. */
export function resultStream(env: Env, job: JobState, format: ResultFormat): Response {
  const enc = new TextEncoder();
  const head = resultHeader(format);
  let n = 0;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head !== "") controller.enqueue(enc.encode(head));
    },
    // Each pull enqueues something or ends the stream: a pull that enqueued nothing would not be called again.
    async pull(controller) {
      for (; n < job.parts; ) {
        const obj = await env.ARCHIVE.get(partKey(job, n));
        n++;
        if (!obj) return controller.error(new Error(`what-if job ${job.id}: part ${n - 1} is missing from the archive`));
        const text = resultLines(await obj.text(), format, csvField);
        if (text !== "") return controller.enqueue(enc.encode(text));
      }
      controller.close();
    },
  });
  const ext = format === "csv" ? "csv" : "ndjson";
  const name = format === "orders" ? `${job.id}-orders.ndjson` : `${job.id}-changes.${ext}`;
  return new Response(body, { headers: { "content-type": RESULT_CONTENT_TYPES[format], "content-disposition": `attachment; filename="${name}"` } });
}

/** The first `n` changed orders of a finished job (the console shows them; the download has them all). */
export async function firstOrders(env: Env, job: JobState, n: number): Promise<OrderDiff[]> {
  const out: OrderDiff[] = [];
  for (let i = 0; i < job.parts && out.length < n; i++) {
    const obj = await env.ARCHIVE.get(partKey(job, i));
    if (!obj) break;
    for (const line of (await obj.text()).split("\n")) if (line !== "" && out.length < n) out.push(JSON.parse(line) as OrderDiff);
  }
  return out;
}
