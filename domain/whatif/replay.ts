import { ackCancellation, checkCancelAck, markSending, recordCancelAttempt, sendable } from "../handoff/cancel";
import { ackMissing, acknowledge, applyEvents, attemptFinished, decisionExpired, jitter, receive, retryPolicy } from "../handoff/decide";
import { decideOutcome } from "../handoff/delivery";
import type { RulesInput } from "../handoff/plan";
import { checkSla } from "../handoff/sla";
import { EVIDENCE_AUDIT_ENTRIES, OrderCommit, type OrderReader } from "../order/commit";
import type { AttemptRecord, AuditRecord, BreachRecord, CancellationRecord, ExportRecord, TimerRecord } from "../order/effects";
import { initialState, type MachineState } from "../order/machine";
import type { StoredReceipt } from "../order/receipt";
import type { OrderView } from "../order/view";
import { claim, escalateTask, resolve } from "../tasks/decide";
import type { Task } from "../tasks/task";
import { iso } from "../time";
import type { AuditLine, RecordedInput, RecordedOrder } from "./recorded";

/**
 * Replays one order: its recorded inputs at their recorded times, through the
 * very functions the order object calls (receive, attemptFinished, acknowledge,
 * checkSla, escalateTask …), over an in-memory copy of the object's tables, with
 * whichever rules `rulesFor` says were (or would be) in force. Pure: the same
 * order and rules give the same trail.
 *
 * Timers the object's alarm would run (SLA clocks, task escalations, missing
 * acks) fire here at their due time, before any input recorded at or after
 * it; delivery timers do not fire, because what a consumer answered is a
 * recorded input: an attempt the replay's export still wants is replayed at
 * its recorded time with its recorded answer, and an export that exists only
 * under the proposed rules stays unsent (its outcome is unknown).
 */

/** The rules a receipt met: by its recorded version (the rules then in force), or the proposal whatever it says. */
export type RulesFor = (recordedVersion: number | null) => RulesInput | null;

export interface ReplayResult {
  order_id: string;
  /** The decisions' audit entries, as the object would have written them (seq, at, type, data). */
  trail: AuditLine[];
  view: OrderView;
  exports: ExportRecord[];
  breaches: BreachRecord[];
  tasks: Task[];
}

/** Timer kinds the replay fires itself; deliveries and drains are the recording's business. */
const FIRED = new Set(["sla", "task", "ack", "cancel_ack", "ttl"]);

class Tables implements OrderReader {
  /** A task's evidence is never compared nor read by a decision: not gathered per task in a replay. */
  readonly gathersEvidence = false;
  exportRows: readonly ExportRecord[] = [];
  attemptRows: readonly AttemptRecord[] = [];
  cancellationRows: readonly CancellationRecord[] = [];
  timerRows: readonly TimerRecord[] = [];
  breachRows: readonly BreachRecord[] = [];
  taskRows: readonly Task[] = [];
  receiptRows: readonly StoredReceipt[] = [];
  auditRows: readonly AuditRecord[] = [];

  exports = (): readonly ExportRecord[] => this.exportRows;
  attempts = (): readonly AttemptRecord[] => this.attemptRows;
  cancellations = (): readonly CancellationRecord[] => this.cancellationRows;
  timers = (): readonly TimerRecord[] => this.timerRows;
  breaches = (): readonly BreachRecord[] => this.breachRows;
  tasks = (): readonly Task[] => this.taskRows;
  receipts = (): readonly StoredReceipt[] => this.receiptRows;
  /**
   * Audit entries not yet folded into `auditRows`: only a task's evidence reads them (never in a
   * replay), so they are folded on demand, and only the last EVIDENCE_AUDIT_ENTRIES are held.
   */
  private unread: { at: number; type: string; data: Record<string, unknown> }[] = [];
  /** Entries written in all: the next one's seq. */
  private written = 0;
  recentAudit = (): readonly AuditRecord[] => {
    if (this.unread.length > 0) {
      const rows = [...this.auditRows];
      let seq = this.written - this.unread.length;
      for (const e of this.unread) {
        // As the object stores and reads it back: JSON text.
        rows.push({ seq: ++seq, at: iso(e.at), type: e.type, data: JSON.parse(JSON.stringify(e.data)) as unknown });
      }
      this.auditRows = rows.slice(-EVIDENCE_AUDIT_ENTRIES);
      this.unread = [];
    }
    return this.auditRows;
  };

  /** The commit's working copy is the object's tables after it applied the effects: adopt it. */
  adopt(c: OrderCommit): void {
    for (const e of c.effects) {
      if (e.type !== "audit") continue;
      this.written++;
      this.unread.push({ at: c.now, type: e.entry.type, data: e.entry.data });
    }
    if (this.unread.length > 2 * EVIDENCE_AUDIT_ENTRIES) this.unread = this.unread.slice(-EVIDENCE_AUDIT_ENTRIES);
    this.exportRows = c.exports();
    this.attemptRows = c.attempts();
    this.cancellationRows = c.cancellations();
    this.timerRows = c.timers();
    this.breachRows = c.breaches();
    this.taskRows = c.tasks();
    this.receiptRows = c.receipts();
  }
}

/**
 * One order's object, in memory: its tables, its state, the rules it holds and
 * the trail it writes. `apply` takes a recorded input, `runTimers` plays the
 * alarm. A replay drives it from a trail; a simulated month drives it live.
 */
export class OrderReplay {
  readonly tables = new Tables();
  readonly trail: AuditLine[] = [];
  state: MachineState;
  rules: RulesInput | null = null;

  constructor(
    readonly order: Pick<RecordedOrder, "tenant" | "order_id">,
    readonly rulesFor: RulesFor,
  ) {
    this.state = initialState(order.order_id);
  }

  /** One decision, as OrderDO.decide runs it: a commit at `now`, its effects adopted, its audit entries kept. */
  decide(now: number, fn: (c: OrderCommit) => MachineState | null): void {
    const c = new OrderCommit(this.tables, this.order.tenant, this.order.order_id, now, this.rules);
    const next = fn(c);
    if (c.effects.length === 0) return;
    this.tables.adopt(c);
    for (const e of c.effects) {
      if (e.type === "audit") this.trail.push({ seq: this.trail.length + 1, at: iso(now), type: e.entry.type, data: e.entry.data });
    }
    if (next) this.state = next;
  }

  nextTimer(before: number): TimerRecord | null {
    let best: TimerRecord | null = null;
    for (const t of this.tables.timerRows) {
      if (!FIRED.has(t.kind) || t.due_at >= before) continue;
      if (!best || t.due_at < best.due_at) best = t;
    }
    return best;
  }

  /** Everything the alarm would have run before `until`, each at its due time. */
  runTimers(until: number): void {
    for (let t = this.nextTimer(until); t !== null; t = this.nextTimer(until)) {
      const timer = t;
      this.fire(timer);
      // A handler that left its own timer due would loop the alarm; the object defers it, here it is done.
      const left = this.tables.timerRows.find((x) => x.kind === timer.kind && x.key === timer.key);
      if (left && left.due_at <= timer.due_at) this.tables.timerRows = this.tables.timerRows.filter((x) => x !== left);
    }
  }

  fire(t: TimerRecord): void {
    switch (t.kind) {
      case "sla":
        this.decide(t.due_at, (c) => {
          checkSla(c, this.state.view, t.key);
          return null;
        });
        return;
      case "task":
        this.decide(t.due_at, (c) => {
          escalateTask(c, t.key);
          c.refreshIndex();
          return null;
        });
        return;
      case "ack":
        this.decide(t.due_at, (c) => {
          c.cancel("ack", t.key);
          const row = c.exportById(t.key);
          if (!row || row.status !== "delivered") return null;
          return ackMissing(c, this.state, row);
        });
        return;
      case "cancel_ack":
        this.decide(t.due_at, (c) => applyEvents(c, this.state, checkCancelAck(c, t.key)));
        return;
      case "ttl":
        this.decide(t.due_at, (c) => decisionExpired(c, this.state, t.key));
        return;
    }
  }

  apply(input: RecordedInput): void {
    switch (input.kind) {
      case "receipt": {
        const offered = this.rulesFor(input.rules_version);
        // As the object: newer rules reach the order with its next event.
        if (offered && (this.rules === null || offered.version >= this.rules.version)) this.rules = offered;
        this.decide(input.at, (c) =>
          receive(
            c,
            this.state,
            {
              tenant: this.order.tenant,
              orderId: this.order.order_id,
              source: input.source,
              idempotencyKey: input.idempotency_key,
              rawSha256: input.raw_sha256,
              events: input.events,
              rules: this.rules,
              trace: { requestId: input.request_id, traceparent: null },
            },
            input.receipt_id,
          ).state,
        );
        return;
      }
      case "attempt":
      case "cancel_attempt":
        this.attempt(input.kind === "attempt" ? "deliver" : "cancel", input);
        return;
      case "ack":
        this.decide(input.at, (c) => {
          const row = c.exportById(input.export_id);
          if (!row || (row.status !== "pending" && row.status !== "delivered")) return null;
          return acknowledge(c, this.state, row, { status: input.status, reason: input.reason });
        });
        return;
      case "cancel_ack":
        this.decide(input.at, (c) => {
          const r = ackCancellation(c, input.export_id, { status: input.status, reason: input.reason });
          return r.duplicate ? null : applyEvents(c, this.state, r.events);
        });
        return;
      case "claim":
        this.decide(input.at, (c) => {
          if (claim(c, input.task_id, input.by).ok) c.refreshIndex();
          return null;
        });
        return;
      case "resolve":
        this.decide(input.at, (c) => {
          const r = resolve(c, this.state, input.task_id, input.resolution, applyEvents);
          return r.ok ? r.state : null;
        });
        return;
    }
  }

  /** One recorded delivery attempt, as OrderDO.deliver handles its result; skipped when the replay has nothing to send. */
  attempt(kind: "deliver" | "cancel", input: Extract<RecordedInput, { kind: "attempt" | "cancel_attempt" }>): void {
    const target = sendable(this.tables, kind, input.export_id, input.at);
    if (!target) return;
    const n = this.tables.attemptRows.filter((a) => a.export_id === target.id).length + 1;
    if (target.first_attempt_at === null) {
      this.decide(input.first_attempt_at, (c) => {
        markSending(c, kind, input.export_id);
        return null;
      });
    }
    const sentAt = target.first_attempt_at ?? input.first_attempt_at;
    this.decide(input.at, (c) => {
      const current = sendable(c, kind, input.export_id, c.now);
      const row = c.exportById(input.export_id);
      if (!current || !row) return null;
      if (kind === "deliver") return attemptFinished(c, this.state, row, n, input.result, sentAt);
      const outcome = decideOutcome(input.result, n, current.first_attempt_at ?? sentAt, c.now, retryPolicy(c.rules), jitter(current.id, n));
      return applyEvents(c, this.state, recordCancelAttempt(c, input.export_id, n, input.result, outcome));
    });
  }
}

function inTimeOrder(inputs: readonly RecordedInput[]): boolean {
  for (let i = 1; i < inputs.length; i++) {
    const a = inputs[i - 1];
    const b = inputs[i];
    if (a && b && (b.at < a.at || (b.at === a.at && b.seq < a.seq))) return false;
  }
  return true;
}

/**
 * Replays one order through `until` (epoch ms): every recorded input, and every
 * timer that falls due before `until`.
 */
export function replayOrder(order: RecordedOrder, rulesFor: RulesFor, until: number): ReplayResult {
  const r = new OrderReplay(order, rulesFor);
  // Inputs come in seq order, which is time order but for a late alarm's entries: sorted only when needed.
  const inputs = inTimeOrder(order.inputs) ? order.inputs : [...order.inputs].sort((a, b) => a.at - b.at || a.seq - b.seq);
  for (const input of inputs) {
    if (input.at > until) break;
    r.runTimers(input.at);
    r.apply(input);
  }
  r.runTimers(until);
  return {
    order_id: order.order_id,
    trail: r.trail,
    view: r.state.view,
    exports: [...r.tables.exportRows],
    breaches: [...r.tables.breachRows],
    tasks: [...r.tables.taskRows],
  };
}

/** Rules versions as recorded, for a replay of what actually happened. */
export function rulesInForce(versions: ReadonlyMap<number, RulesInput>): RulesFor {
  return (v) => (v === null ? null : (versions.get(v) ?? null));
}

/** One proposal for every order, from its first receipt on. */
export function proposedRules(rules: RulesInput): RulesFor {
  return () => rules;
}
