import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../worker/env";
import { acknowledge, applyEvents, attemptFinished, jitter, receive, retryPolicy } from "../../domain/handoff/decide";
import { recordReservation, reserveBeforeDecision, reserveIfRoutable, runStockTimer, STOCK_TIMER, takeRestock, type Allocation, type RestockAnswer, type RestockOffer } from "./stock";
import { decideOutcome, signedHeaders } from "../../domain/handoff/delivery";
import type { ExportStatus } from "../../domain/handoff/document";
import { ackCancellation, markSending, recordCancelAttempt, sendable } from "../../domain/handoff/cancel";
import { cancelledExportId } from "../../domain/handoff/cancellation";
import type { RulesInput } from "../../domain/handoff/plan";
import type { OrderCommit } from "../../domain/order/commit";
import { adoptConfig, heldRules, orderCommit } from "./config";
import { initialState, type MachineState } from "../../domain/order/machine";
import type { AckInput, AckResult, IngestInput, IngestResult, OrderObject, OrderSnapshot } from "../../domain/order/object";
import { claim, resolve } from "../../domain/tasks/decide";
import type { QueueError, Resolution, Task } from "../../domain/tasks/task";
import { inSpan, METRICS, NOOP_TELEMETRY, SPANS, telemetryFor, type Span, type Telemetry } from "../../worker/telemetry/tracer";
import { tracedAttempt } from "./deliver";
import { unseal } from "../../worker/lib/sealed";
import { readAck } from "./ack";
import { applyEffects, rearmAlarm, type Observed } from "./apply";
import { Clocks } from "./clocks";
import { Drainer } from "./drainer";
import { orderSnapshot } from "./snapshot";
import { OrderStore } from "./store";
import type { TimerDbRow } from "./storage";
import { timerDecision } from "./timers";

/** Beyond this many facts an order is pathological: refuse rather than grow without bound. */
const DEFAULT_MAX_FACTS = 1000;
const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;

/**
 * One object per tenant+order: the single writer for that order. The class
 * only loads, asks the pure core what to do (domain/: machine, handoff, SLA and
 * task decisions), applies the effects it returns in one transaction
 * (applyEffects), and performs the I/O: deliveries, drains, alarms.
 */
export class OrderDO extends DurableObject<Env> implements OrderObject {
  private readonly store = new OrderStore(() => this.ctx.storage.sql);
  private cached: MachineState | null = null;
  private readonly drainer: Drainer;
  readonly clocks = new Clocks({ store: this.store, view: (orderId) => this.state(orderId).view, rules: () => this.rules() });
  /** Clock seam: tests move time without touching the pure core. */
  clock: () => number = () => Date.now();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.drainer = new Drainer({
      env,
      store: this.store,
      view: (orderId) => this.state(orderId).view,
      rules: () => this.rules(),
      clock: () => this.clock(),
      nextDue: () => this.clocks.next(),
      tx: (fn) => this.tx(fn),
      rearm: (repairOnly) => this.rearm(repairOnly),
      waitUntil: (p) => ctx.waitUntil(p),
    });
    void ctx.blockConcurrencyWhile(async () => {
      // Reads, acks and unauthenticated calls can name an order that does not
      // exist: the schema is created by the first ingest, never by a read, so
      // such an object leaves no storage behind (see ingest).
      if (!this.store.hasSchema()) return;
      this.store.migrate();
      await this.drainer.start();
    });
  }

  private state(orderId: string): MachineState {
    this.cached ??= this.store.loadState(orderId);
    return this.cached;
  }

  private rules(): RulesInput | null {
    return heldRules(this.store);
  }

  /** A new decision about this order, over the store's current rows; null before its first event. */
  private begin(now: number): OrderCommit | null {
    const tenant = this.store.getMeta("tenant");
    const orderId = this.store.getMeta("order_id");
    if (tenant === null || orderId === null) return null;
    return orderCommit(this.store, tenant, orderId, now);
  }

  /**
   * Runs one decision in one transaction: `decide` returns the next state (or
   * null for no change) and fills the commit with effects, which are applied
   * here and only here. The state is cached only once that committed.
   */
  private decide(now: number, decide: (c: OrderCommit) => MachineState | null, obs: Observed = { telemetry: NOOP_TELEMETRY, span: null }): void {
    if (!this.store.hasSchema()) return;
    const next = this.tx(() => {
      const c = this.begin(now);
      if (!c) return null;
      const s = decide(c);
      applyEffects(this.store, c, obs);
      return s;
    });
    if (next) this.cached = next;
  }

  /** A transaction that threw rolled back: nothing read or cached during it may outlive it. */
  private tx<T>(fn: () => T): T {
    try {
      return this.ctx.storage.transactionSync(fn);
    } catch (err) {
      this.cached = null;
      this.store.forget();
      throw err;
    }
  }

  async ingest(input: IngestInput): Promise<IngestResult> {
    const telemetry = telemetryFor(this.env);
    const span = telemetry.span(
      SPANS.commit,
      { tenant: input.tenant, source: input.source, order_id: input.orderId, request_id: input.trace.requestId, idempotency_key: input.idempotencyKey },
      input.trace.traceparent,
    );
    const result = await inSpan(span, () => this.commitIngest(input, { telemetry, span }), (r) =>
      r.ok ? { receipt_id: r.receipt.id, duplicate: r.receipt.duplicate } : { "error.code": r.code },
    );
    if (telemetry.enabled) this.ctx.waitUntil(telemetry.flush());
    return result;
  }

  private async commitIngest(input: IngestInput, obs: Observed): Promise<IngestResult> {
    const now = this.clock();
    // Before the commit: the stock this event makes routable is reserved, so the commit can record the split.
    const at = this.store.hasSchema() ? { state: this.state(input.orderId), held: this.store.allocation() } : { state: initialState(input.orderId), held: null };
    const allocation = await reserveIfRoutable(this.env, input, at, input.rules ?? this.rules(), now);
    let result: IngestResult = { ok: false, code: "order_too_large", message: "" };
    // One transaction: a write SQLite refused (e.g. a row over the size limit) committed nothing and left no cache behind.
    const next = this.tx(() => {
      // An object never written holds no receipt, topic or fact: skip the reads (their tables do not exist yet).
      const known = this.store.hasSchema();
      const existing = known ? this.store.receiptByKey(input.idempotencyKey) : null;
      if (existing) {
        result = { ok: true, receipt: { id: existing.id, order_id: input.orderId, events: existing.events, duplicate: true, received_at: existing.received_at } };
        return null;
      }
      const firstTopic = input.topic === undefined || !known ? null : this.store.bodyTopic(input.rawSha256);
      if (input.topic !== undefined && firstTopic && firstTopic.topic !== input.topic) {
        result = {
          ok: false,
          code: "topic_conflict",
          message: `This exact body was already accepted as '${firstTopic.topic}' (receipt ${firstTopic.receipt_id}); it cannot also be '${input.topic}'`,
        };
        return null;
      }
      const maxFacts = Number(this.env.MAX_FACTS_PER_ORDER ?? DEFAULT_MAX_FACTS);
      if ((known ? this.store.factCount() : 0) + input.events.length > maxFacts) {
        result = { ok: false, code: "order_too_large", message: `order ${input.orderId} already holds ${maxFacts} events` };
        return null;
      }
      // The first write this object ever makes (a refused one above leaves nothing).
      if (!known) this.store.migrate();
      adoptConfig(this.store, input);
      const c = orderCommit(this.store, input.tenant, input.orderId, now);
      if (allocation && c.allocation() === null) recordReservation(c, allocation);
      const received = receive(c, this.state(input.orderId), input, `rcpt_${crypto.randomUUID().replace(/-/g, "")}`);
      result = { ok: true, receipt: received.receipt };
      if (input.topic !== undefined) this.store.recordBodyTopic(input.rawSha256, input.topic, received.receipt.id);
      applyEffects(this.store, c, obs);
      return received.state;
    });
    if (next) this.cached = next;
    await this.confirmHolds(allocation);
    await this.rearm();
    this.drainer.soon();
    return result;
  }

  /** After a commit that recorded new holds: confirm them now (the timer it left repeats this after a crash). */
  private async confirmHolds(allocation: Allocation | null): Promise<void> {
    if (allocation && this.store.timer(STOCK_TIMER, "follow_up")) await this.stock(this.clock()).catch((err: unknown) => console.error("order stock calls", err));
  }

  /** The `stock` timer: confirm, release or consume this order's holds with its SKUs' objects. */
  private async stock(now: number): Promise<void> {
    await runStockTimer(this.env, this.store, (orderId) => this.state(orderId).view, (fn) => this.decide(now, fn));
  }

  async restocked(offer: RestockOffer): Promise<RestockAnswer> {
    return takeRestock({ state: (id) => this.state(id), decide: (fn) => this.decide(this.clock(), fn), settle: () => this.stock(this.clock()), rearm: () => this.rearm().then(() => this.drainer.soon()) }, offer);
  }

  /** A consumer's acknowledgement, signed with its Standard Webhooks secret. */
  async ack(input: AckInput): Promise<AckResult> {
    const now = this.clock();
    // A cancellation is acked on the same route, signed by the same consumer, under its own id.
    const cancels = cancelledExportId(input.exportId);
    // An object never written has no exports (nor tables to look in): nothing to ack.
    if (!this.store.hasSchema()) return { ok: false, code: "not_found", message: `No export '${input.exportId}'` };
    const row = this.store.exportById(cancels ?? input.exportId);
    if (!row?.consumer_secret || (cancels !== null && !this.store.cancellation(cancels))) return { ok: false, code: "not_found", message: `No export '${input.exportId}'` };
    const checked = await readAck(input, row.consumer_secret, this.env.SECRETS_KEY, now);
    if (!checked.ok) return checked;
    const parsed = checked.ack;
    let out: AckResult = { ok: true, duplicate: true, status: row.status as ExportStatus };
    this.decide(now, (c) => {
      if (cancels !== null) {
        const r = ackCancellation(c, cancels, { status: parsed.status, reason: parsed.reason ?? null });
        out = { ok: true, duplicate: r.duplicate, status: r.status };
        return r.duplicate ? null : applyEvents(c, this.state(c.orderId), r.events);
      }
      const current = c.exportById(input.exportId);
      if (!current) return null;
      if (current.status !== "pending" && current.status !== "delivered") {
        out = { ok: true, duplicate: true, status: current.status as ExportStatus };
        return null;
      }
      out = { ok: true, duplicate: false, status: parsed.status === "rejected" ? "rejected" : "acked" };
      return acknowledge(c, this.state(c.orderId), current, { status: parsed.status, reason: parsed.reason ?? null });
    });
    await this.rearm();
    this.drainer.soon();
    return out;
  }

  async getTasks(): Promise<Task[]> {
    return this.store.hasSchema() ? this.store.tasks() : [];
  }

  async claimTask(taskId: string, by: string): Promise<{ ok: true; task: Task } | QueueError> {
    let out: { ok: true; task: Task } | QueueError = { ok: false, code: "not_found", message: `No task '${taskId}'` };
    this.decide(this.clock(), (c) => {
      out = claim(c, taskId, by);
      if (out.ok) c.refreshIndex();
      return null;
    });
    await this.rearm();
    this.drainer.soon();
    return out;
  }

  async resolveTask(taskId: string, r: Resolution): Promise<{ ok: true; task: Task } | QueueError> {
    let out: { ok: true; task: Task } | QueueError = { ok: false, code: "not_found", message: `No task '${taskId}'` };
    // A cleared hold can make the order routable: its stock is reserved first, as for an inbound event (stock.ts).
    const allocation = await reserveBeforeDecision(this.env, this.store, () => {
      const dry = this.begin(this.clock());
      const d = dry && resolve(dry, this.state(dry.orderId), taskId, r, applyEvents);
      return d?.ok ? d.state : null;
    });
    this.decide(this.clock(), (c) => {
      // Recorded only once the resolution is valid (resolve applies events after its checks), before routing is planned.
      const result = resolve(c, this.state(c.orderId), taskId, r, (cc, s, events, why) => {
        if (allocation && cc.allocation() === null) recordReservation(cc, allocation);
        return applyEvents(cc, s, events, why);
      });
      if (!result.ok) {
        out = result;
        return null;
      }
      out = { ok: true, task: result.task };
      return result.state;
    });
    await this.confirmHolds(allocation);
    await this.rearm();
    this.drainer.soon();
    return out;
  }

  async getOrder(): Promise<OrderSnapshot | null> {
    await this.drainer.settled;
    const tenant = this.store.getMeta("tenant");
    const orderId = this.store.getMeta("order_id");
    if (tenant === null || orderId === null) return null;
    return orderSnapshot(this.store, tenant, this.state(orderId).view, this.rules());
  }

  /**
   * The object's own copy of the chain (the anchor the D1 copy is checked
   * against) and which entries it has not drained yet: everything else must
   * already be in D1.
   */
  async getAudit() {
    if (!this.store.hasSchema()) return { entries: [], pending_seqs: [] };
    await this.drainer.settled;
    return { entries: this.store.audit(), pending_seqs: this.store.pendingAuditSeqs() };
  }

  /**
   * The sweep's nudge: run whatever is due now (as the alarm would) and re-arm.
   * Alarms are at-least-once but can be lost or given up on; this makes a
   * stalled order progress anyway. Idempotent like the alarm itself.
   */
  async poke(): Promise<{ due: number }> {
    if (!this.store.hasSchema()) return { due: 0 };
    const now = this.clock();
    const due = this.clocks.due(now).length + (this.store.drainPending() ? 1 : 0);
    if (due > 0) await this.alarm();
    else await this.rearm();
    return { due };
  }

  /** Drain now (reads that want D1 current); one drain at a time, later callers share it. */
  async flush(): Promise<{ drained: number; error: string | null }> {
    // A failed drain leaves its retry timer: the alarm must move to it (no backstop may be armed).
    return this.drainer.flush().finally(() => this.rearm());
  }

  override async alarm(): Promise<void> {
    if (!this.store.hasSchema()) return;
    const now = this.clock();
    const telemetry = telemetryFor(this.env);
    try {
      for (const t of this.clocks.due(now)) {
        try {
          await this.runTimer(t, now, telemetry);
          this.clocks.deferIfLeftDue(t, now, this.clock());
        } catch (err) {
          console.error(`order timer ${t.kind}:${t.key} failed`, err);
          this.store.deferFailedTimer(t, this.clock());
        }
      }
      // The drain has no timer row (it is due while the outbox holds something): it runs here, with
      // what this alarm's own decisions queued, in one cycle. A failed drain's retry is its timer's.
      if (this.store.drainPending()) await this.drainer.flush();
    } finally {
      // Re-arm even when a handler threw: the platform gives up on an alarm after
      // a few retries, and a lost alarm would strand the outbox.
      await this.rearm();
      if (telemetry.enabled) this.ctx.waitUntil(telemetry.flush());
    }
  }

  private async runTimer(t: TimerDbRow, now: number, telemetry: Telemetry): Promise<void> {
    switch (t.kind) {
      case "drain":
        await this.drainer.flush();
        return;
      case "deliver":
      case "cancel":
        await this.deliver(t.key, t.kind, telemetry);
        return;
      case STOCK_TIMER:
        await this.stock(now);
        return;
    }
    const decision = timerDecision(t.kind, t.key);
    if (!decision) {
      this.store.cancel(t.kind, t.key);
      return;
    }
    // Breaches count in telemetry; the other timers' decisions have no metric of their own.
    const obs = t.kind === "sla" ? { telemetry, span: null } : undefined;
    this.decide(now, (c) => decision(c, this.state(c.orderId)), obs);
  }

  /** One attempt to send an export, or the cancellation of one, to its consumer. */
  private async deliver(exportId: string, kind: "deliver" | "cancel", telemetry: Telemetry): Promise<void> {
    const target = sendable(this.store, kind, exportId, this.clock());
    if (!target) {
      this.store.cancel(kind, exportId);
      return;
    }
    const secret = await unseal(target.secret, this.env.SECRETS_KEY);
    const n = this.store.attempts(target.id).length + 1;
    const sentAt = this.clock();
    // From the first byte sent the consumer may hold it: recorded first, so a decision changed mid-flight cancels instead of withdrawing.
    if (target.first_attempt_at === null) {
      this.decide(sentAt, (c) => {
        markSending(c, kind, exportId);
        return null;
      });
    }
    const headers = await signedHeaders(secret, target.id, sentAt, target.body);
    const timeout = Number(this.env.DELIVERY_TIMEOUT_MS ?? DEFAULT_DELIVERY_TIMEOUT_MS);
    const tenant = this.store.getMeta("tenant");
    if (n > 1) telemetry.count(METRICS.retries, { tenant, kind });
    // Each attempt is a child of the commit that issued the export, so a trace shows a webhook through to its handoff.
    const span = telemetry.span(
      SPANS.delivery,
      { tenant, order_id: this.store.getMeta("order_id"), export_id: exportId, kind, attempt: n, "url.full": target.url },
      this.store.getMeta(`trace:${exportId}`),
      "client",
    );
    // Latency is measured on the real clock even when tests steer `this.clock`.
    const result = await tracedAttempt(span, target.url, target.body, headers, timeout, () => Date.now());
    this.decide(this.clock(), (c) => {
      // Re-read: an ack (or a cancellation) may have arrived while the request was in flight.
      const current = sendable(c, kind, exportId, c.now);
      const row = c.exportById(exportId);
      if (!current || !row) {
        c.cancel(kind, exportId);
        return null;
      }
      if (kind === "deliver") return attemptFinished(c, this.state(c.orderId), row, n, result, sentAt);
      const outcome = decideOutcome(result, n, current.first_attempt_at ?? sentAt, c.now, retryPolicy(c.rules), jitter(current.id, n));
      return applyEvents(c, this.state(c.orderId), recordCancelAttempt(c, exportId, n, result, outcome));
    });
  }

  private async rearm(repairOnly = false): Promise<void> {
    await rearmAlarm(this.store, this.clocks, this.ctx.storage, this.clock(), repairOnly);
  }
}
