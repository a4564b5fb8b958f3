import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../worker/env";
import { chainHash, GENESIS_HASH } from "./audit-chain";
import { writeDrain, type DrainBatch } from "./drain";
import { initialState, transition, type Effect, type MachineState } from "./machine";
import {
  ORDER_SCHEMA,
  type AuditDbRow,
  type MetaKey,
  type ReceiptDbRow,
  type TimerDbRow,
} from "./storage";
import type { AuditEntry, IngestInput, IngestResult, OrderObject, OrderSnapshot, Receipt, StoredReceipt } from "./types";

/** Beyond this many facts an order is pathological; refuse rather than grow past the 2 MB row limit. */
const MAX_FACTS = 1000;
/** A short coalescing window so a burst of events on one order drains in one D1 batch. */
const DRAIN_DELAY_MS = 50;
const DRAIN_BACKOFF_MAX_MS = 5 * 60_000;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Retries of a failing drain: 1 s, 2 s, 4 s … capped at 5 min, so a D1 outage is ridden out, not hammered. */
export function drainBackoff(attempts: number): number {
  return Math.min(DRAIN_BACKOFF_MAX_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

/**
 * One object per tenant+order: the single writer for that order. The class only
 * loads, calls the pure `transition`, persists and performs effects.
 */
export class OrderDO extends DurableObject<Env> implements OrderObject {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      for (const stmt of ORDER_SCHEMA) this.sql.exec(stmt);
      // A crash between commit and setAlarm, or an alarm given up after its
      // retries, leaves due timers with no alarm: repair on every start.
      await this.rearm();
    });
  }

  /** Clock seam: tests move time without touching the pure core. */
  protected now(): number {
    return Date.now();
  }

  async ingest(input: IngestInput): Promise<IngestResult> {
    const now = this.now();
    const result = this.ctx.storage.transactionSync((): IngestResult => {
      const existing = this.sql
        .exec<ReceiptDbRow>("SELECT * FROM receipts WHERE idempotency_key = ?", input.idempotencyKey)
        .toArray()[0];
      if (existing) {
        const stored = toStoredReceipt(existing, input.orderId);
        const receipt: Receipt = { id: stored.id, order_id: stored.order_id, events: stored.events, duplicate: true, received_at: stored.received_at };
        return { ok: true, receipt };
      }

      this.setMeta("tenant", input.tenant);
      this.setMeta("order_id", input.orderId);
      let state = this.loadState(input.orderId);
      if (state.facts.length + input.events.length > MAX_FACTS) {
        return { ok: false, code: "order_too_large", message: `order ${input.orderId} already holds ${state.facts.length} events` };
      }

      const receipt: Receipt = {
        id: `rcpt_${crypto.randomUUID().replace(/-/g, "")}`,
        order_id: input.orderId,
        events: input.events.map((e) => e.type),
        duplicate: false,
        received_at: iso(now),
      };
      this.sql.exec(
        "INSERT INTO receipts (idempotency_key, id, source, events, raw_sha256, received_at) VALUES (?, ?, ?, ?, ?, ?)",
        input.idempotencyKey,
        receipt.id,
        input.source,
        JSON.stringify(receipt.events),
        input.rawSha256,
        receipt.received_at,
      );
      const effects: Effect[] = [
        {
          type: "audit",
          entry: {
            type: "receipt.recorded",
            data: {
              receipt_id: receipt.id,
              source: input.source,
              idempotency_key: input.idempotencyKey,
              raw_sha256: input.rawSha256,
              events: input.events.map((e) => ({ id: e.id, type: e.type, occurred_at: e.occurred_at })),
            },
          },
        },
      ];
      for (const event of input.events) {
        const step = transition(state, event, now);
        state = step.state;
        effects.push(...step.effects);
      }
      this.setMeta("state", JSON.stringify(state));
      this.perform(effects, input.tenant, input.orderId, now);
      this.enqueue("index", "order", now);
      this.schedule("drain", "outbox", now + DRAIN_DELAY_MS);
      return { ok: true, receipt };
    });
    await this.rearm();
    return result;
  }

  async getOrder(): Promise<OrderSnapshot | null> {
    const tenant = this.getMeta("tenant");
    const orderId = this.getMeta("order_id");
    if (tenant === null || orderId === null) return null;
    const state = this.loadState(orderId);
    const receipts = this.sql
      .exec<ReceiptDbRow>("SELECT * FROM receipts ORDER BY received_at, id")
      .toArray()
      .map((r) => toStoredReceipt(r, orderId));
    const drain = this.sql.exec<TimerDbRow>("SELECT * FROM timers WHERE kind = 'drain'").toArray()[0];
    return {
      ...state.view,
      tenant,
      receipts,
      audit_head: this.auditHead(),
      outbox: {
        pending: this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
        attempts: Number(this.getMeta("drain_attempts") ?? 0),
        last_error: this.getMeta("drain_error"),
        next_attempt_at: drain ? iso(drain.due_at) : null,
      },
    };
  }

  /**
   * The object's own copy of the chain (the anchor the D1 copy is checked
   * against) and which entries it has not drained yet: everything else must
   * already be in D1.
   */
  async getAudit(): Promise<{ entries: AuditEntry[]; pending_seqs: number[] }> {
    const entries = this.sql
      .exec<AuditDbRow>("SELECT * FROM audit ORDER BY seq")
      .toArray()
      .map((r) => ({ ...r, data: JSON.parse(r.data) as unknown }));
    const pending_seqs = this.sql
      .exec<{ seq: number }>("SELECT CAST(key AS INTEGER) AS seq FROM outbox WHERE kind = 'audit' ORDER BY seq")
      .toArray()
      .map((r) => r.seq);
    return { entries, pending_seqs };
  }

  /** Drain now (used by reads that want D1 current); failures are recorded and retried by the alarm. */
  async flush(): Promise<{ drained: number; error: string | null }> {
    return this.drain();
  }

  override async alarm(): Promise<void> {
    try {
      const now = this.now();
      const due = this.sql.exec<TimerDbRow>("SELECT * FROM timers WHERE due_at <= ? ORDER BY due_at", now).toArray();
      for (const timer of due) {
        if (timer.kind === "drain") await this.drain();
      }
    } finally {
      // Re-arm even when a handler threw: the platform gives up on an alarm after
      // a few retries, and a lost alarm would strand the outbox.
      await this.rearm();
    }
  }

  private async drain(): Promise<{ drained: number; error: string | null }> {
    const tenant = this.getMeta("tenant");
    const orderId = this.getMeta("order_id");
    if (tenant === null || orderId === null) return { drained: 0, error: null };
    const pendingAudit = this.sql
      .exec<AuditDbRow>(
        "SELECT a.* FROM audit a JOIN outbox o ON o.kind = 'audit' AND CAST(o.key AS INTEGER) = a.seq ORDER BY a.seq",
      )
      .toArray();
    const indexPending = this.sql.exec("SELECT 1 FROM outbox WHERE kind = 'index'").toArray().length > 0;
    if (pendingAudit.length === 0 && !indexPending) {
      this.sql.exec("DELETE FROM timers WHERE kind = 'drain'");
      return { drained: 0, error: null };
    }
    const now = this.now();
    const state = this.loadState(orderId);
    const head = this.auditHead();
    const batch: DrainBatch = {
      audit: pendingAudit.map((r) => ({
        tenantId: tenant,
        orderId,
        seq: r.seq,
        at: r.at,
        type: r.type,
        data: r.data,
        prevHash: r.prev_hash,
        hash: r.hash,
      })),
      index: indexPending ? this.indexRow(tenant, state, head?.seq ?? 0, now) : null,
    };
    try {
      await writeDrain(this.env.DB, batch);
    } catch (err) {
      const attempts = Number(this.getMeta("drain_attempts") ?? 0) + 1;
      const message = err instanceof Error ? err.message : String(err);
      this.ctx.storage.transactionSync(() => {
        this.setMeta("drain_attempts", String(attempts));
        this.setMeta("drain_error", message.slice(0, 500));
        this.schedule("drain", "outbox", now + drainBackoff(attempts), true);
      });
      return { drained: 0, error: message };
    }
    this.ctx.storage.transactionSync(() => {
      for (const r of pendingAudit) this.sql.exec("DELETE FROM outbox WHERE kind = 'audit' AND key = ?", String(r.seq));
      // Only clear the index entry if no newer state was enqueued while D1 was answering.
      if (indexPending && (this.auditHead()?.seq ?? 0) === (head?.seq ?? 0)) {
        this.sql.exec("DELETE FROM outbox WHERE kind = 'index'");
      }
      this.sql.exec("DELETE FROM meta WHERE k IN ('drain_attempts', 'drain_error')");
      const left = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
      if (left === 0) this.sql.exec("DELETE FROM timers WHERE kind = 'drain'");
      else this.schedule("drain", "outbox", now + DRAIN_DELAY_MS, true);
    });
    return { drained: pendingAudit.length, error: null };
  }

  private indexRow(tenant: string, state: MachineState, version: number, now: number): DrainBatch["index"] {
    const v = state.view;
    const firstReceipt = this.sql
      .exec<ReceiptDbRow>("SELECT * FROM receipts ORDER BY received_at, id LIMIT 1")
      .toArray()[0];
    const milestones: Record<string, string> = {};
    for (const [k, val] of Object.entries(v.milestones)) if (typeof val === "string") milestones[k] = val;
    return {
      tenantId: tenant,
      orderId: state.order_id,
      state: v.state,
      locked: v.locked,
      valueMinor: v.value?.amount_minor ?? null,
      currency: v.value?.currency ?? null,
      source: firstReceipt?.source ?? null,
      milestones,
      attribution: v.attribution,
      holds: v.holds.length,
      conflicts: v.conflicts.length,
      version,
      createdAt: v.milestones.created_at ?? firstReceipt?.received_at ?? iso(now),
      updatedAt: iso(now),
    };
  }

  private perform(effects: Effect[], tenant: string, orderId: string, now: number): void {
    let head = this.auditHead();
    for (const effect of effects) {
      switch (effect.type) {
        case "audit": {
          const link = {
            tenant,
            order_id: orderId,
            seq: (head?.seq ?? 0) + 1,
            at: iso(now),
            type: effect.entry.type,
            data: JSON.stringify(effect.entry.data),
            prev_hash: head?.hash ?? GENESIS_HASH,
          };
          const hash = chainHash(link);
          this.sql.exec(
            "INSERT INTO audit (seq, at, type, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
            link.seq,
            link.at,
            link.type,
            link.data,
            link.prev_hash,
            hash,
          );
          this.enqueue("audit", String(link.seq), now);
          head = { seq: link.seq, hash };
          break;
        }
      }
    }
  }

  private auditHead(): { seq: number; hash: string } | null {
    return this.sql.exec<{ seq: number; hash: string }>("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").toArray()[0] ?? null;
  }

  private loadState(orderId: string): MachineState {
    const raw = this.getMeta("state");
    return raw === null ? initialState(orderId) : (JSON.parse(raw) as MachineState);
  }

  private enqueue(kind: "audit" | "index", key: string, now: number): void {
    this.sql.exec("INSERT OR IGNORE INTO outbox (kind, key, created_at) VALUES (?, ?, ?)", kind, key, now);
  }

  /** `replace` moves an existing timer; otherwise the earlier due time wins. */
  private schedule(kind: string, key: string, dueAt: number, replace = false): void {
    this.sql.exec(
      replace
        ? "INSERT INTO timers (kind, key, due_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at"
        : "INSERT INTO timers (kind, key, due_at) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET due_at = MIN(due_at, excluded.due_at)",
      kind,
      key,
      dueAt,
    );
  }

  private async rearm(): Promise<void> {
    const next = this.sql.exec<{ due: number | null }>("SELECT MIN(due_at) AS due FROM timers").one().due;
    if (next === null) {
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const current = await this.ctx.storage.getAlarm();
    if (current !== next) await this.ctx.storage.setAlarm(next);
  }

  private getMeta(k: MetaKey): string | null {
    return this.sql.exec<{ v: string }>("SELECT v FROM meta WHERE k = ?", k).toArray()[0]?.v ?? null;
  }

  private setMeta(k: MetaKey, v: string): void {
    this.sql.exec("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", k, v);
  }
}

function toStoredReceipt(r: ReceiptDbRow, orderId: string): StoredReceipt {
  return {
    id: r.id,
    order_id: orderId,
    events: JSON.parse(r.events) as StoredReceipt["events"],
    received_at: r.received_at,
    source: r.source,
    idempotency_key: r.idempotency_key,
    raw_sha256: r.raw_sha256,
  };
}
