import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import type { Env } from "../../worker/env";
import { unseal } from "../../worker/lib/sealed";
import { standard } from "../../worker/sources/standard";
import { decideOutcome, signedHeaders } from "../../domain/handoff/delivery";
import { attempt } from "./deliver";
import { writeDrain, type DrainBatch } from "./drain";
import { ExportState, HandoffExport, type ExportStatus } from "../../domain/handoff/document";
import {
  applyEvents,
  checkSla,
  DRAIN_DELAY_MS,
  existingExports,
  fail,
  jitter,
  markAcked,
  recordAttempt,
  retryPolicy,
  type CommitContext,
} from "./handoff";
import type { MachineState } from "../../domain/order/machine";
import { claim, escalateTask, resolve } from "./manual-tasks";
import type { QueueError, Resolution, Task } from "../../domain/tasks/task";
import { slaDeadlines, type RulesInput } from "../../domain/handoff/plan";
import { iso, OrderStore } from "./store";
import type { TimerDbRow } from "./storage";
import type { AckInput, AckResult, IngestInput, IngestResult, OrderObject, OrderSnapshot, Receipt } from "../../domain/order/object";

/** Beyond this many facts an order is pathological: refuse rather than grow without bound. */
const DEFAULT_MAX_FACTS = 1000;
const DRAIN_BACKOFF_MAX_MS = 5 * 60_000;
/** Rows per drain: ~20 statements, well inside a Worker invocation's query budget after a long D1 outage. */
const DRAIN_MAX_ROWS = 240;
const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;

/** Retries of a failing drain: 1 s, 2 s, 4 s … capped at 5 min, so a D1 outage is ridden out, not hammered. */
export function drainBackoff(attempts: number): number {
  return Math.min(DRAIN_BACKOFF_MAX_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

const AckBody = z.object({ status: z.enum(["accepted", "rejected"]), reason: z.string().max(2000).nullish() });

/**
 * One object per tenant+order: the single writer for that order. The class only
 * loads, calls the pure core (machine, plan, delivery), persists and performs effects.
 */
export class OrderDO extends DurableObject<Env> implements OrderObject {
  private readonly store: OrderStore;
  private cached: MachineState | null = null;
  private draining: Promise<{ drained: number; error: string | null }> | null = null;
  /** Clock seam: tests move time without touching the pure core. */
  clock: () => number = () => Date.now();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new OrderStore(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      this.store.migrate();
      // A crash between commit and setAlarm, or an alarm given up after its
      // retries, leaves due timers with no alarm: repair on every start.
      await this.rearm();
    });
  }

  private state(orderId: string): MachineState {
    this.cached ??= this.store.loadState(orderId);
    return this.cached;
  }

  private rules(): RulesInput | null {
    const raw = this.store.getMeta("rules");
    return raw === null ? null : (JSON.parse(raw) as RulesInput);
  }

  private context(now: number): CommitContext | null {
    const tenant = this.store.getMeta("tenant");
    const orderId = this.store.getMeta("order_id");
    if (tenant === null || orderId === null) return null;
    return { store: this.store, tenant, orderId, now, rules: this.rules() };
  }

  /** Runs `fn` in one transaction and caches the state it returns only once that committed. */
  private commit(fn: () => MachineState | null): void {
    const next = this.tx(fn);
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
    const now = this.clock();
    let result: IngestResult = { ok: false, code: "order_too_large", message: "" };
    // commit() runs in tx(): a write SQLite refused (e.g. a row over the size limit) committed nothing and left no cache behind.
    this.commit(() => {
      const existing = this.store.receiptByKey(input.idempotencyKey);
      if (existing) {
        result = { ok: true, receipt: { id: existing.id, order_id: input.orderId, events: existing.events, duplicate: true, received_at: existing.received_at } };
        return null;
      }
      const maxFacts = Number(this.env.MAX_FACTS_PER_ORDER ?? DEFAULT_MAX_FACTS);
      if (this.store.factCount() + input.events.length > maxFacts) {
        result = { ok: false, code: "order_too_large", message: `order ${input.orderId} already holds ${maxFacts} events` };
        return null;
      }
      this.store.setMeta("tenant", input.tenant);
      this.store.setMeta("order_id", input.orderId);
      const held = this.rules();
      // Newer rules reach the order with its next event; a decision records the version it used.
      if (input.rules && (held === null || input.rules.version >= held.version)) this.store.setMeta("rules", JSON.stringify(input.rules));
      const receipt: Receipt = {
        id: `rcpt_${crypto.randomUUID().replace(/-/g, "")}`,
        order_id: input.orderId,
        events: input.events.map((e) => e.type),
        duplicate: false,
        received_at: iso(now),
      };
      this.store.insertReceipt({ ...receipt, source: input.source, idempotency_key: input.idempotencyKey, raw_sha256: input.rawSha256 });
      const c: CommitContext = { store: this.store, tenant: input.tenant, orderId: input.orderId, now, rules: this.rules() };
      this.store.appendAudit(input.tenant, input.orderId, "receipt.recorded", {
        receipt_id: receipt.id,
        source: input.source,
        idempotency_key: input.idempotencyKey,
        raw_sha256: input.rawSha256,
        events: input.events.map((e) => ({ id: e.id, type: e.type, occurred_at: e.occurred_at })),
      }, now);
      result = { ok: true, receipt };
      return applyEvents(c, this.state(input.orderId), input.events);
    });
    await this.rearm();
    return result;
  }

  /** A consumer's acknowledgement, signed with its Standard Webhooks secret. */
  async ack(input: AckInput): Promise<AckResult> {
    const now = this.clock();
    const row = this.store.exportById(input.exportId);
    if (!row?.consumer_secret) return { ok: false, code: "not_found", message: `No export '${input.exportId}'` };
    const secret = await unseal(row.consumer_secret, this.env.SECRETS_KEY);
    const lower = new Map(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const raw = new TextEncoder().encode(input.body);
    const verified = await standard.verify({ raw, headers: (n) => lower.get(n.toLowerCase()) ?? null, secret, now });
    if (!verified.ok) return { ok: false, code: verified.code, message: verified.message };
    let parsed: z.infer<typeof AckBody>;
    try {
      parsed = AckBody.parse(JSON.parse(input.body));
    } catch {
      return { ok: false, code: "validation_failed", message: 'Body must be { "status": "accepted" | "rejected", "reason"?: string }' };
    }
    let out: AckResult = { ok: true, duplicate: true, status: row.status as ExportStatus };
    this.commit(() => {
      const c = this.context(now);
      const current = this.store.exportById(input.exportId);
      if (!c || !current) return null;
      if (current.status === "acked" || current.status === "superseded" || current.status === "rejected" || current.status === "failed") {
        out = { ok: true, duplicate: true, status: current.status as ExportStatus };
        return null;
      }
      markAcked(c, current, { status: parsed.status, reason: parsed.reason ?? null, via: "ack" });
      let s = this.state(c.orderId);
      if (parsed.status === "rejected") {
        s = fail(c, s, { ...current, status: "acked" }, "rejected", "consumer_rejected", `consumer rejected: ${parsed.reason ?? "no reason given"}`);
      } else {
        s = applyEvents(c, s, []);
      }
      out = { ok: true, duplicate: false, status: parsed.status === "rejected" ? "rejected" : "acked" };
      return s;
    });
    await this.rearm();
    return out;
  }

  async getTasks(): Promise<Task[]> {
    return this.store.tasks();
  }

  async claimTask(taskId: string, by: string): Promise<{ ok: true; task: Task } | QueueError> {
    const now = this.clock();
    let out: { ok: true; task: Task } | QueueError = { ok: false, code: "not_found", message: `No task '${taskId}'` };
    this.commit(() => {
      const c = this.context(now);
      if (!c) return null;
      out = claim(c, taskId, by);
      if (out.ok) {
        c.store.enqueue("index", "order", now);
        c.store.schedule("drain", "outbox", now + DRAIN_DELAY_MS);
      }
      return null;
    });
    await this.rearm();
    return out;
  }

  async resolveTask(taskId: string, r: Resolution): Promise<{ ok: true; task: Task } | QueueError> {
    const now = this.clock();
    let out: { ok: true; task: Task } | QueueError = { ok: false, code: "not_found", message: `No task '${taskId}'` };
    this.commit(() => {
      const c = this.context(now);
      if (!c) return null;
      const result = resolve(c, this.state(c.orderId), taskId, r, applyEvents);
      if (!result.ok) {
        out = result;
        return null;
      }
      out = { ok: true, task: result.task };
      return result.state;
    });
    await this.rearm();
    return out;
  }

  async getOrder(): Promise<OrderSnapshot | null> {
    const tenant = this.store.getMeta("tenant");
    const orderId = this.store.getMeta("order_id");
    if (tenant === null || orderId === null) return null;
    const state = this.state(orderId);
    const drain = this.store.timer("drain", "outbox");
    const rules = this.rules();
    const attempts = this.store.attempts();
    const exports: ExportState[] = this.store.exports().map((r) => ({
      export: HandoffExport.parse(JSON.parse(r.body)),
      status: r.status as ExportStatus,
      consumer_url: r.consumer_url,
      requires_ack: r.requires_ack === 1,
      delivered_at: r.delivered_at === null ? null : iso(r.delivered_at),
      acked_at: r.acked_at === null ? null : iso(r.acked_at),
      ack: r.ack === null ? null : (JSON.parse(r.ack) as ExportState["ack"]),
      next_attempt_at: ((t) => (t ? iso(t.due_at) : null))(this.store.timer("deliver", r.export_id)),
      attempts: attempts
        .filter((a) => a.export_id === r.export_id)
        .map((a) => ({ n: a.n, at: iso(a.at), status: a.status, latency_ms: a.latency_ms, error_class: a.error_class, outcome: a.outcome, next_attempt_at: a.next_attempt_at === null ? null : iso(a.next_attempt_at) })),
    }));
    return {
      ...state.view,
      tenant,
      rules_version: rules?.version ?? null,
      receipts: this.store.receipts(),
      exports,
      sla: rules ? slaDeadlines(state.view, rules, existingExports(this.store)).map((d) => ({ step: d.step, since: d.since, since_at: d.since_at, due_at: iso(d.due_at), owner: d.ladder[0], owning_party: d.owning_party })) : [],
      breaches: this.store.breaches().map((b) => ({ ...b, due_at: iso(b.due_at), breached_at: iso(b.breached_at), resolved_at: b.resolved_at === null ? null : iso(b.resolved_at) })),
      audit_head: this.store.auditHead(),
      outbox: {
        pending: this.store.outboxSize(),
        attempts: Number(this.store.getMeta("drain_attempts") ?? 0),
        last_error: this.store.getMeta("drain_error"),
        next_attempt_at: drain ? iso(drain.due_at) : null,
      },
    };
  }

  /**
   * The object's own copy of the chain (the anchor the D1 copy is checked
   * against) and which entries it has not drained yet: everything else must
   * already be in D1.
   */
  async getAudit() {
    return { entries: this.store.audit(), pending_seqs: this.store.pendingAuditSeqs() };
  }

  /**
   * The sweep's nudge: run whatever is due now (as the alarm would) and re-arm.
   * Alarms are at-least-once but can be lost or given up on; this makes a
   * stalled order progress anyway. Idempotent like the alarm itself.
   */
  async poke(): Promise<{ due: number }> {
    const due = this.store.dueTimers(this.clock()).length;
    if (due > 0) await this.alarm();
    else await this.rearm();
    return { due };
  }

  /** Drain now (reads that want D1 current); one drain at a time, later callers share it. */
  async flush(): Promise<{ drained: number; error: string | null }> {
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  override async alarm(): Promise<void> {
    const now = this.clock();
    try {
      for (const t of this.store.dueTimers(now)) {
        try {
          await this.runTimer(t, now);
          // A handler must move or remove its own timer; one left due would re-fire the alarm in a loop.
          const left = this.store.timer(t.kind, t.key);
          if (left && left.due_at <= now) this.store.deferFailedTimer(left, this.clock());
        } catch (err) {
          console.error(`order timer ${t.kind}:${t.key} failed`, err);
          this.store.deferFailedTimer(t, this.clock());
        }
      }
    } finally {
      // Re-arm even when a handler threw: the platform gives up on an alarm after
      // a few retries, and a lost alarm would strand the outbox.
      await this.rearm();
    }
  }

  private async runTimer(t: TimerDbRow, now: number): Promise<void> {
    switch (t.kind) {
      case "drain":
        await this.flush();
        return;
      case "deliver":
        await this.deliver(t.key);
        return;
      case "ack":
        this.checkAck(t.key, now);
        return;
      case "task":
        this.commit(() => {
          const c = this.context(now);
          if (!c) return null;
          escalateTask(c, t.key);
          c.store.enqueue("index", "order", now);
          c.store.schedule("drain", "outbox", now + DRAIN_DELAY_MS);
          return null;
        });
        return;
      case "sla":
        this.commit(() => {
          const c = this.context(now);
          if (!c) return null;
          checkSla(c, this.state(c.orderId).view, t.key);
          return null;
        });
        return;
      default:
        this.store.cancel(t.kind, t.key);
    }
  }

  private async deliver(exportId: string): Promise<void> {
    const row = this.store.exportById(exportId);
    if (!row || (row.status !== "pending" && row.status !== "delivered") || !row.consumer_url || !row.consumer_secret) {
      this.store.cancel("deliver", exportId);
      return;
    }
    const secret = await unseal(row.consumer_secret, this.env.SECRETS_KEY);
    const n = this.store.attempts(exportId).length + 1;
    const sentAt = this.clock();
    const headers = await signedHeaders(secret, exportId, sentAt, row.body);
    const timeout = Number(this.env.DELIVERY_TIMEOUT_MS ?? DEFAULT_DELIVERY_TIMEOUT_MS);
    // Latency is measured on the real clock even when tests steer `this.clock`.
    const result = await attempt(row.consumer_url, row.body, headers, timeout, () => Date.now());
    const now = this.clock();
    this.commit(() => {
      const c = this.context(now);
      // Re-read: an ack may have arrived while the request was in flight.
      const current = this.store.exportById(exportId);
      if (!c || !current) return null;
      if (current.status !== "pending" && current.status !== "delivered") {
        this.store.cancel("deliver", exportId);
        return null;
      }
      const outcome = decideOutcome(result, n, current.first_attempt_at ?? sentAt, now, retryPolicy(c.rules), jitter(exportId, n));
      return recordAttempt(c, this.state(c.orderId), current, n, result, outcome);
    });
  }

  /** No ack within the step's SLA: redeliver once, then escalate. */
  private checkAck(exportId: string, now: number): void {
    this.commit(() => {
      const c = this.context(now);
      const row = this.store.exportById(exportId);
      this.store.cancel("ack", exportId);
      if (!c || !row || row.status !== "delivered") return null;
      if (row.ack_redeliveries === 0) {
        this.store.updateExport(exportId, { ack_redeliveries: 1 });
        c.store.appendAudit(c.tenant, c.orderId, "export.ack_missing", { export_id: exportId, action: "redeliver" }, now);
        this.store.schedule("deliver", exportId, now, true);
        return null;
      }
      return fail(c, this.state(c.orderId), row, "failed", "ack_missing", "no acknowledgement after a redelivery");
    });
  }

  private async drain(): Promise<{ drained: number; error: string | null }> {
    const tenant = this.store.getMeta("tenant");
    const orderId = this.store.getMeta("order_id");
    if (tenant === null || orderId === null) return { drained: 0, error: null };
    const pendingAudit = this.store.pendingAudit(DRAIN_MAX_ROWS);
    const indexPending = this.store.indexPending();
    if (pendingAudit.length === 0 && !indexPending) {
      this.store.cancel("drain");
      this.store.deleteMeta("drain_attempts", "drain_error");
      return { drained: 0, error: null };
    }
    const now = this.clock();
    const head = this.store.auditHead();
    const batch: DrainBatch = {
      audit: pendingAudit.map((r) => ({ tenantId: tenant, orderId, seq: r.seq, at: r.at, type: r.type, data: r.data, prevHash: r.prev_hash, hash: r.hash })),
      index: indexPending ? this.indexRow(tenant, orderId, head?.seq ?? 0, now) : null,
      handoffs: indexPending ? this.handoffRows(tenant, orderId, now) : [],
      tasks: indexPending ? this.store.tasks().map((t) => taskRow(t, now)) : [],
      breaches: indexPending
        ? this.store.breaches().map((b) => ({
            tenantId: tenant,
            orderId,
            step: b.step,
            level: b.level,
            contact: b.contact,
            owningParty: b.owning_party,
            dueAt: iso(b.due_at),
            breachedAt: iso(b.breached_at),
            resolvedAt: b.resolved_at === null ? null : iso(b.resolved_at),
          }))
        : [],
    };
    try {
      await writeDrain(this.env.DB, batch);
    } catch (err) {
      const attempts = Number(this.store.getMeta("drain_attempts") ?? 0) + 1;
      const message = err instanceof Error ? err.message : String(err);
      this.tx(() => {
        this.store.setMeta("drain_attempts", String(attempts));
        this.store.setMeta("drain_error", message.slice(0, 500));
        this.store.schedule("drain", "outbox", now + drainBackoff(attempts), true);
      });
      return { drained: 0, error: message };
    }
    this.tx(() => {
      this.store.dequeueAudit(pendingAudit.map((r) => r.seq));
      // Only clear the index entry if no newer state was committed while D1 was answering.
      if (indexPending && (this.store.auditHead()?.seq ?? 0) === (head?.seq ?? 0)) this.store.dequeueIndex();
      this.store.deleteMeta("drain_attempts", "drain_error");
      if (this.store.outboxSize() === 0) this.store.cancel("drain");
      else this.store.schedule("drain", "outbox", now + DRAIN_DELAY_MS, true);
    });
    return { drained: pendingAudit.length, error: null };
  }

  private handoffRows(tenant: string, orderId: string, now: number): DrainBatch["handoffs"] {
    const attempts = this.store.attempts();
    return this.store.exports().map((r) => {
      const ex = HandoffExport.parse(JSON.parse(r.body));
      const mine = attempts.filter((a) => a.export_id === r.export_id);
      const last = mine.at(-1);
      return {
        tenantId: tenant,
        exportId: r.export_id,
        orderId,
        action: r.action,
        step: ex.step,
        version: r.version,
        status: r.status,
        owningParty: ex.owning_party,
        owner: ex.owner,
        consumerUrl: r.consumer_url,
        attempts: mine.length,
        lastStatus: last?.status ?? null,
        lastErrorClass: last?.error_class ?? null,
        issuedAt: ex.issued_at,
        deliveredAt: r.delivered_at === null ? null : iso(r.delivered_at),
        ackedAt: r.acked_at === null ? null : iso(r.acked_at),
        updatedAt: iso(now),
      };
    });
  }

  private indexRow(tenant: string, orderId: string, version: number, now: number): DrainBatch["index"] {
    const v = this.state(orderId).view;
    const rules = this.rules();
    const dues = rules ? slaDeadlines(v, rules, existingExports(this.store)).map((d) => d.due_at) : [];
    const first = this.store.firstReceipt();
    const milestones: Record<string, string> = {};
    for (const [k, val] of Object.entries(v.milestones)) if (typeof val === "string") milestones[k] = val;
    return {
      tenantId: tenant,
      orderId,
      state: v.state,
      locked: v.locked,
      valueMinor: v.value?.amount_minor ?? null,
      currency: v.value?.currency ?? null,
      source: first?.source ?? null,
      milestones,
      attribution: v.attribution,
      holds: v.holds.length,
      conflicts: v.conflicts.length,
      breaches: this.store.breaches().filter((b) => b.resolved_at === null).length,
      openExports: this.store.exports().filter((e) => e.status === "pending" || e.status === "delivered").length,
      nextDueAt: dues.length > 0 ? iso(Math.min(...dues)) : null,
      version,
      createdAt: v.milestones.created_at ?? first?.received_at ?? iso(now),
      updatedAt: iso(now),
    };
  }

  private async rearm(): Promise<void> {
    const next = this.store.nextDue();
    if (next === null) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const current = await this.ctx.storage.getAlarm();
    if (current !== next) await this.ctx.storage.setAlarm(next);
  }
}

function taskRow(t: Task, now: number): DrainBatch["tasks"][number] {
  return {
    tenantId: t.tenant,
    taskId: t.task_id,
    orderId: t.order_id,
    rejectionId: t.rejection_id,
    type: t.type,
    status: t.status,
    step: t.step,
    ref: t.ref,
    owner: t.owner,
    owningParty: t.owning_party,
    escalation: t.escalation,
    level: t.level,
    slaDue: t.sla_due,
    title: t.title,
    evidence: t.evidence,
    valueMinor: t.value?.amount_minor ?? null,
    currency: t.value?.currency ?? null,
    openedAt: t.opened_at,
    claimedAt: t.claimed_at,
    claimedBy: t.claimed_by,
    resolvedAt: t.resolved_at,
    resolvedBy: t.resolved_by,
    resolution: t.resolution,
    justification: t.justification,
    action: t.action,
    updatedAt: iso(now),
  };
}
