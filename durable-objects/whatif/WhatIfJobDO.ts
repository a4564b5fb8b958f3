import { DurableObject } from "cloudflare:workers";
import { Totals, type OrderDiff } from "../../domain/whatif/diff";
import { advanceJob, failJob, jobDue, MAX_ATTEMPTS, newJob, partText, WHATIF_RETENTION_MS, type JobRequest, type JobState, type WhatIfJobObject } from "../../domain/whatif/job";
import type { Env } from "../../worker/env";
import { saveJobRow } from "../../worker/whatif/job-list";
import { deleteParts, jobPages, partKey } from "../../worker/whatif/jobs";
import { replayPage, windowRules } from "../../worker/whatif/run";
import { countWindow, readPage } from "../../worker/whatif/source";

/**
 * One object per what-if job. Its alarm replays a bounded number of keyset
 * pages of the window (so no alarm nears the CPU limit), writes that alarm's
 * changed orders to ARCHIVE as one NDJSON part, and saves the cursor and the
 * running totals. Nothing lives in memory between alarms: an object evicted
 * mid-alarm resumes from the last saved cursor, and the part it was writing
 * is written again with the same key and the same content. Once finished, its
 * alarm waits for `expires_at`, then deletes the parts and marks it expired.
 * Every saved state is also written to D1's `what_if_jobs` (the tenant's list).
 */
export class WhatIfJob extends DurableObject<Env> implements WhatIfJobObject {
  clock: () => number = () => Date.now();
  /** Delay before the next alarm, and before a retry of one that died (tests set both far out and run alarms themselves). */
  nextAlarmMs = 0;
  retryAlarmMs = 30_000;
  /** Test seam: the next alarm dies after writing its part and before saving the cursor, as an eviction there would. */
  dieAfterPart = false;
  /** Test seam: how long a finished result is kept (read at start and saved with the job). */
  retentionMs = WHATIF_RETENTION_MS;

  private async load(): Promise<JobState | null> {
    return (await this.ctx.storage.get<JobState>("job")) ?? null;
  }

  /** Saves the job, then its listing row: a row write that fails is redone by the next save (it is an upsert of the whole row). */
  private async save(job: JobState): Promise<void> {
    await this.ctx.storage.put("job", job);
    await saveJobRow(this.env.DB, job);
  }

  async start(id: string, req: JobRequest): Promise<JobState> {
    const existing = await this.load();
    if (existing) return existing;
    const counted = await countWindow(this.env.DB, req.tenant, req.from, req.to);
    const { proposal_version } = await windowRules(this.env.DB, req.tenant, req.rules);
    const job = newJob(id, req, { orders_total: counted.orders, proposal_version, rows_read: counted.rows_read }, this.clock(), new Totals().result(), this.retentionMs);
    await this.save(job);
    await this.ctx.storage.setAlarm(this.clock() + this.nextAlarmMs);
    return job;
  }

  async job(tenant: string): Promise<JobState | null> {
    const job = await this.load();
    return job && job.tenant === tenant ? job : null;
  }

  override async alarm(): Promise<void> {
    const job = await this.load();
    if (!job) return;
    const due = jobDue(job, this.clock());
    if (due === "nothing") return;
    if (due === "expire") return this.expire(job);
    if (due !== "run") return this.ctx.storage.setAlarm(due.wait_until);
    if (job.attempts >= MAX_ATTEMPTS) return this.finish(failJob(job, `${MAX_ATTEMPTS} alarms in a row died before saving their page`, this.clock()));
    // Saved before any work: if this alarm dies, the retry (set next) knows, and resumes from the saved cursor.
    await this.ctx.storage.put("job", { ...job, status: "running", attempts: job.attempts + 1 });
    await this.ctx.storage.setAlarm(this.clock() + this.retryAlarmMs);

    const { pageOrders, pagesPerAlarm } = jobPages(this.env);
    const rules = await windowRules(this.env.DB, job.tenant, job.rules);
    const totals = new Totals(job.totals);
    const changed: OrderDiff[] = [];
    let cursor = job.cursor;
    let orders = 0;
    let rowsRead = 0;
    let done = false;
    for (let pages = 0; pages < pagesPerAlarm && !done; pages++) {
      const page = await readPage(this.env.DB, job.tenant, job.from, job.to, cursor, pageOrders);
      rowsRead += page.rows_read;
      orders += page.orders.length;
      changed.push(...replayPage(page, rules, job.until, totals));
      if (page.next === null) done = true;
      else cursor = page.next;
    }
    // The same cursor reads the same orders: a retried alarm writes this part again, byte for byte.
    await this.env.ARCHIVE.put(partKey(job, job.parts), partText(changed), { httpMetadata: { contentType: "application/x-ndjson" } });
    if (this.dieAfterPart) {
      this.dieAfterPart = false;
      throw new Error("what-if job: alarm died after writing its part (test seam)");
    }
    const next = advanceJob(job, { cursor, orders, rows_read: rowsRead, totals: totals.result(), done }, this.clock());
    if (done) return this.finish(next);
    await this.save(next);
    await this.ctx.storage.setAlarm(this.clock() + this.nextAlarmMs);
  }

  /** Done or failed: saved, and the alarm now waits for the result's expiry. */
  private async finish(job: JobState): Promise<void> {
    await this.save(job);
    if (job.expires_at !== null) await this.ctx.storage.setAlarm(job.expires_at);
  }

  /** Parts first, then the status: a death between the two leaves a job still expiring, whose retry deletes nothing more and marks it. */
  private async expire(job: JobState): Promise<void> {
    await deleteParts(this.env, job);
    await this.save({ ...job, status: "expired" });
  }
}
