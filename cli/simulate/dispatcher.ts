import { compress, maxAttempts, RESPONSE_TIMEOUT_MS, retryDelayMs, type SenderKind } from "./schedules";

/**
 * Plays every sender: posts each webhook at its time, signs each attempt
 * afresh (Stripe and Standard Webhooks timestamps must be recent), and when an
 * attempt fails — lost in transit, a non-2xx, a timeout — redelivers the same
 * body on that sender's schedule, compressed by the time factor, until it
 * succeeds or the sender gives up. At most `concurrency` requests are in flight.
 */

export interface Job {
  /** Unique per webhook; copies and retries share it. */
  key: string;
  orderId: string;
  /** A batch (Adyen) carries more orders than the first: theirs, in item order after orderId. */
  alsoFor?: readonly string[];
  /** Stats bucket: "shop", "stripe", "crm", "wms", "carrier", "ack", "woo", "adyen", "easypost", "hmac". */
  label: string;
  sender: SenderKind;
  /** Path on the engine, e.g. /v1/tenants/demo/webhooks/shop. */
  path: string;
  /** The original payload: retries send these exact bytes. */
  body: string;
  /** Signs one attempt (called per attempt: timestamps move on). */
  headers(): Promise<Record<string, string>>;
  /** Ack latency counts webhooks, not API calls like consumer acks. */
  countLatency: boolean;
}

export interface Schedule {
  /** Wall-clock ms of the first attempt. */
  firstAt: number;
  dropFirst: boolean;
  /** Wall-clock ms of a duplicate copy, or null. */
  duplicateAt: number | null;
}

export interface SendStats {
  webhooks: number;
  attempts: number;
  requests: number;
  lost: number;
  retries: number;
  duplicatesSent: number;
  accepted: number;
  duplicateReceipts: number;
  gaveUp: number;
  /** Webhooks never sent because their sender was silenced (the silence fault). */
  silenced: number;
  timeouts: number;
  networkErrors: number;
  statuses: Record<string, number>;
  /** Per sender (the job's label): what it sent and how the engine answered. */
  byLabel: Record<string, LabelStats>;
}

export interface LabelStats {
  webhooks: number;
  requests: number;
  failures: number;
  gaveUp: number;
  duplicateReceipts: number;
  statuses: Record<string, number>;
}

/** Every order a job carries. */
export function ordersOf(job: Pick<Job, "orderId" | "alsoFor">): string[] {
  return [job.orderId, ...(job.alsoFor ?? [])];
}

interface Pending {
  at: number;
  job: Job;
  attempt: number;
  copy: "original" | "duplicate";
}

interface ReceiptBody {
  receipt?: { id?: unknown; duplicate?: unknown };
}

/** Duplicate copies beyond this many are not retried separately: the original carries the sender's schedule. */
const COPY_ATTEMPTS = 1;

export class Dispatcher {
  readonly stats: SendStats = {
    webhooks: 0,
    attempts: 0,
    requests: 0,
    lost: 0,
    retries: 0,
    duplicatesSent: 0,
    accepted: 0,
    duplicateReceipts: 0,
    gaveUp: 0,
    silenced: 0,
    timeouts: 0,
    networkErrors: 0,
    statuses: {},
    byLabel: {},
  };
  /** Webhook POST → 2xx, ms. */
  readonly latencies: number[] = [];
  /** Receipt ids the engine acknowledged, per order: each must appear in the order's receipts. */
  readonly receipts = new Map<string, Set<string>>();
  /** Senders (labels) that withheld a webhook for an order because they were silenced. */
  readonly withheld = new Map<string, Set<string>>();
  private readonly queue: Pending[] = [];
  private readonly pendingByOrder = new Map<string, number>();
  private readonly succeeded = new Set<string>();
  /** Webhooks whose first attempt the drop fault loses. */
  private readonly lostFirst = new Set<string>();
  private inflight = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly base: string,
    private readonly opts: { concurrency: number; timeFactor: number; now?: () => number; silenced?: (label: string, now: number) => boolean },
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  private bucket(label: string) {
    this.stats.byLabel[label] ??= { webhooks: 0, requests: 0, failures: 0, gaveUp: 0, duplicateReceipts: 0, statuses: {} };
    return this.stats.byLabel[label];
  }

  submit(job: Job, schedule: Schedule): void {
    if (this.closed) return;
    this.stats.webhooks++;
    this.bucket(job.label).webhooks++;
    if (schedule.dropFirst) this.lostFirst.add(job.key);
    this.push({ at: schedule.firstAt, job, attempt: 1, copy: "original" });
    if (schedule.duplicateAt !== null) this.push({ at: schedule.duplicateAt, job, attempt: 1, copy: "duplicate" });
    this.pump();
  }

  /** Outstanding work (queued or in flight) for an order. */
  pendingFor(orderId: string): number {
    return this.pendingByOrder.get(orderId) ?? 0;
  }

  get queued(): number {
    return this.queue.length;
  }

  get inFlight(): number {
    return this.inflight;
  }

  /** Resolves once nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const p of this.queue.splice(0)) this.track(p.job, -1);
    this.settleIdle();
  }

  private track(job: Job, delta: number): void {
    for (const orderId of ordersOf(job)) {
      const n = (this.pendingByOrder.get(orderId) ?? 0) + delta;
      if (n <= 0) this.pendingByOrder.delete(orderId);
      else this.pendingByOrder.set(orderId, n);
    }
  }

  private push(p: Pending): void {
    this.track(p.job, 1);
    // Sorted insert: the queue is small enough (thousands) that a heap buys nothing.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.queue[mid];
      if (m !== undefined && m.at <= p.at) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, p);
  }

  private settleIdle(): void {
    if (this.queue.length > 0 || this.inflight > 0) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private pump(): void {
    if (this.closed) return;
    const now = this.now();
    while (this.inflight < this.opts.concurrency) {
      const head = this.queue[0];
      if (!head || head.at > now) break;
      this.queue.shift();
      this.inflight++;
      void this.attempt(head)
        .catch(() => {
          // attempt() records its own failures; anything escaping it is a bug in a job's signer.
          this.stats.networkErrors++;
        })
        .finally(() => {
          this.inflight--;
          this.track(head.job, -1);
          this.pump();
          this.settleIdle();
        });
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = this.queue[0];
    if (next && this.inflight < this.opts.concurrency) {
      this.timer = setTimeout(() => this.pump(), Math.max(0, next.at - now));
    }
  }

  private retry(p: Pending): void {
    if (this.closed) return;
    if (p.copy === "duplicate" && p.attempt >= COPY_ATTEMPTS) return;
    const delay = retryDelayMs(p.job.sender, p.attempt);
    if (delay === null || p.attempt >= maxAttempts(p.job.sender)) {
      if (!this.succeeded.has(p.job.key)) {
        this.stats.gaveUp++;
        this.bucket(p.job.label).gaveUp++;
      }
      return;
    }
    this.stats.retries++;
    this.push({ at: this.now() + compress(delay, this.opts.timeFactor), job: p.job, attempt: p.attempt + 1, copy: p.copy });
  }

  private async attempt(p: Pending): Promise<void> {
    const { job } = p;
    // A webhook already delivered is not retried again (a late duplicate copy still goes: that is the fault).
    if (p.copy === "original" && p.attempt > 1 && this.succeeded.has(job.key)) return;
    // A silenced sender sends nothing and retries nothing: its subscription is gone, not failing.
    if (this.opts.silenced?.(job.label, this.now())) {
      this.stats.silenced++;
      for (const orderId of ordersOf(job)) {
        const set = this.withheld.get(orderId) ?? new Set<string>();
        set.add(job.label);
        this.withheld.set(orderId, set);
      }
      return;
    }
    this.stats.attempts++;
    if (p.copy === "original" && p.attempt === 1 && this.lostFirst.has(job.key)) {
      this.stats.lost++;
      this.retry(p);
      return;
    }
    if (p.copy === "duplicate") this.stats.duplicatesSent++;
    this.stats.requests++;
    this.bucket(job.label).requests++;
    const started = performance.now();
    let status: number | null = null;
    let body = "";
    let receiptIds: string | null = null;
    try {
      const res = await fetch(`${this.base}${job.path}`, {
        method: "POST",
        headers: await job.headers(),
        body: job.body,
        signal: AbortSignal.timeout(RESPONSE_TIMEOUT_MS[job.sender]),
      });
      status = res.status;
      receiptIds = res.headers.get("x-handoff-receipts");
      body = await res.text();
    } catch (err) {
      if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) this.stats.timeouts++;
      else this.stats.networkErrors++;
    }
    const latency = performance.now() - started;
    const key = status === null ? "no answer" : String(status);
    this.stats.statuses[key] = (this.stats.statuses[key] ?? 0) + 1;
    const bucket = this.bucket(job.label);
    bucket.statuses[key] = (bucket.statuses[key] ?? 0) + 1;
    if (status !== null && status >= 200 && status < 300) {
      if (job.countLatency) this.latencies.push(latency);
      this.succeeded.add(job.key);
      this.recordReceipt(job, status, body, receiptIds);
      return;
    }
    this.bucket(job.label).failures++;
    this.retry(p);
  }

  private addReceipt(orderId: string, id: string): void {
    const set = this.receipts.get(orderId) ?? new Set<string>();
    set.add(id);
    this.receipts.set(orderId, set);
  }

  /**
   * A JSON receipt, or (Adyen, answered `[accepted]`) the receipt ids in
   * x-handoff-receipts, one per item in the batch's order. A 200 there is a
   * redelivery whose items were all recorded before.
   */
  private recordReceipt(job: Job, status: number, text: string, receiptIds: string | null): void {
    let parsed: ReceiptBody | null = null;
    try {
      parsed = JSON.parse(text) as ReceiptBody;
    } catch {
      parsed = null;
    }
    const receipt = parsed?.receipt;
    const duplicate = status === 200 && (receipt?.duplicate === true || (receipt === undefined && (text.includes('"duplicate":true') || receiptIds !== null)));
    if (duplicate) {
      this.stats.duplicateReceipts++;
      this.bucket(job.label).duplicateReceipts++;
    } else if (status === 202 || status === 200) this.stats.accepted++;
    if (receipt && typeof receipt.id === "string") this.addReceipt(job.orderId, receipt.id);
    else if (receiptIds !== null) {
      const orders = ordersOf(job);
      receiptIds.split(",").forEach((id, i) => {
        const orderId = orders[i];
        if (id !== "" && orderId !== undefined) this.addReceipt(orderId, id);
      });
    }
  }
}
