import { DurableObject } from "cloudflare:workers";
import { driftsAbove, factFromEvent, levelOf, type StockLevel } from "../../domain/inventory/level";
import type { InventoryIngestInput, InventoryLevel, InventoryObject, InventoryReceipt, ReserveInput, ReserveResult } from "../../domain/inventory/object";
import { commitOrder, consumeOrder, decideReserve, expireHeld, releaseOrder, type Reservation } from "../../domain/inventory/reserve";
import type { InventoryEventType } from "../../domain/inventory/events";
import type { Env } from "../../worker/env";
import { openDriftTask, recordDrift } from "../../worker/watchers/drift";
import { markStockTracked } from "../../worker/stock-skus";
import { InventoryStore } from "./store";
import { OFFERED_VERSION, pushLevels } from "./channels";
import { STOCK_RETRY, type LevelSummary } from "../../domain/inventory/channels";
import type { RetryPolicyMs } from "../../domain/handoff/delivery";
import type { RestockAnswer, RestockFill } from "../../domain/inventory/restock";
import { endedLines, waiting } from "../../domain/inventory/waitlist";
import { invalidateTenantCache } from "../../worker/tenancy";
import { applyAnswer, leave, serve, tellOrders } from "./restock";

/** Meta key: "due" once the SKU holds stock, "written" once D1's `stock_skus` lists it. */
const STOCK_MARK = "stock_mark";

/** A reservation whose order has not confirmed its commit within this long goes back to stock. */
const DEFAULT_HOLD_MS = 5 * 60_000;
/** How many reservations the level view lists. */
const LISTED_RESERVATIONS = 200;
/** Units of drift (either way) that open an `inventory_drift` task. */
const DEFAULT_DRIFT_THRESHOLD = 5;

/**
 * One object per tenant + SKU: the single writer of that SKU's stock facts
 * and reservations. It asks the pure core (domain/inventory/) and writes the
 * rows it returns in one transaction; its one alarm is the sweep that releases
 * reservations nobody confirmed.
 */
export class InventoryDO extends DurableObject<Env> implements InventoryObject {
  private readonly store: InventoryStore;
  /** Derived from the facts table; dropped whenever a fact is added (or a transaction throws). */
  private level: StockLevel | null = null;
  /** When the alarm's D1 work (drift tasks, the channel list) is due again: now, unless it just failed. */
  private retryAt = 0;
  /** Stock channels whose send is awaiting the network in this instance. */
  private readonly sending = new Set<string>();
  /** Seams for tests: the clock, and the stock channels' retry policy. */
  clock: () => number = () => Date.now();
  channelPolicy: RetryPolicyMs = STOCK_RETRY;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new InventoryStore(() => ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      if (!this.store.hasSchema()) return;
      this.store.migrate();
      // An object that got stock before D1 listed tracked SKUs: list it now (its alarm writes the mark).
      if (this.store.getMeta(STOCK_MARK) === null && this.store.facts().length > 0) this.tx(() => this.store.setMeta(STOCK_MARK, "due"));
      // A sweep alarm lost to a crash or given up after retries is re-armed from the table.
      await this.rearm();
    });
  }

  private holdMs(): number {
    const n = Number(this.env.INVENTORY_HOLD_MS ?? "");
    return Number.isFinite(n) && n > 0 ? n : DEFAULT_HOLD_MS;
  }

  private tx<T>(fn: () => T): T {
    try {
      return this.ctx.storage.transactionSync(fn);
    } catch (err) {
      this.level = null;
      throw err;
    }
  }

  private stock(): StockLevel {
    this.level ??= levelOf(this.store.facts());
    return this.level;
  }

  private version(): number {
    return Number(this.store.getMeta("version") ?? "0");
  }

  private bump(): number {
    const v = this.version() + 1;
    this.store.setMeta("version", String(v));
    return v;
  }

  private buffer(): number {
    return Number(this.store.getMeta("oversell_buffer") ?? "0");
  }

  /** First write: the schema, and who this object is. */
  private open(tenant: string, sku: string): void {
    if (!this.store.hasSchema()) this.store.migrate();
    if (this.store.getMeta("sku") === null) {
      this.store.setMeta("tenant", tenant);
      this.store.setMeta("sku", sku);
    }
  }

  async ingest(input: InventoryIngestInput): Promise<{ ok: true; receipt: InventoryReceipt }> {
    const now = this.clock();
    const result = this.tx((): { ok: true; receipt: InventoryReceipt } => {
      this.open(input.tenant, input.sku);
      const known = this.store.receipt(input.idempotencyKey);
      if (known) {
        return { ok: true, receipt: { id: known.id, sku: input.sku, events: known.events as InventoryEventType[], duplicate: true, received_at: known.received_at } };
      }
      let changed = false;
      for (const e of input.events) changed = this.store.addFact(factFromEvent(e)) || changed;
      if (changed) {
        this.level = null;
        this.serve(now);
        this.bump();
        // The first stock this SKU holds: the alarm tells D1, so orders start asking it to reserve.
        if (this.store.getMeta(STOCK_MARK) !== "written") this.store.setMeta(STOCK_MARK, "due");
        const at = new Date(now).toISOString();
        // Every drift is recorded (the inventory export); the alarm opens a task for those above the threshold.
        for (const d of this.stock().drifts) this.store.noteDrift(d, at);
      }
      const receipt = { id: `rcpt_${crypto.randomUUID().replace(/-/g, "")}`, events: input.events.map((e) => e.type), received_at: new Date(now).toISOString() };
      this.store.putReceipt(input.idempotencyKey, { ...receipt, source: input.source, raw_sha256: input.rawSha256 });
      return { ok: true, receipt: { ...receipt, sku: input.sku, duplicate: false } };
    });
    // A drift to report makes the alarm due now: the D1 task is written there, not on the acknowledgement path.
    await this.rearm();
    return result;
  }

  private driftThreshold(): number {
    const raw = this.env.INVENTORY_DRIFT_THRESHOLD;
    const n = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : DEFAULT_DRIFT_THRESHOLD;
  }

  async reserve(input: ReserveInput): Promise<ReserveResult> {
    const now = this.clock();
    // No stock ever reported: the SKU is not tracked, and the order routes it as if inventory did not exist (nothing written).
    if (!this.store.hasSchema() || this.stock().locations.length === 0) {
      const lines = input.lines.map((l) => ({ line: l.line, requested: l.quantity, reserved: l.quantity, backordered: 0 }));
      return { tracked: false, outcome: "all", lines, available: 0, version: this.store.hasSchema() ? this.version() : 0 };
    }
    const result = this.tx(() => {
      this.open(input.tenant, input.sku);
      const d = decideReserve(this.stock().on_hand, this.buffer(), this.store.reservedUnits(), this.store.orderReservations(input.orderId), {
        orderId: input.orderId,
        lines: input.lines,
        now,
        holdMs: this.holdMs(),
      });
      for (const r of d.created) {
        this.store.putReservation(r);
        // Units nobody could promise: the line waits for stock, behind everyone already waiting.
        if (r.reserved < r.requested) this.store.joinWaitlist(r.order_id, r.line, r.held_at);
      }
      const version = d.created.some((r) => r.reserved > 0) ? this.bump() : this.version();
      return { outcome: d.outcome, lines: d.lines, available: d.available, version, armed: d.created.length > 0 };
    });
    if (result.armed) await this.rearm();
    return { tracked: true, outcome: result.outcome, lines: result.lines, available: result.available, version: result.version };
  }

  /** Units freed or arrived go to the waitlist first (domain/inventory/waitlist.ts); true when some did. */
  private serve(now: number): boolean {
    const available = Math.max(0, this.stock().on_hand + this.buffer() - this.store.reservedUnits());
    return serve(this.store, available, now, this.holdMs()).length > 0;
  }

  /** Applies changed reservation rows (and any facts they imply) in one transaction. */
  private change(decide: () => Reservation[], facts: ((changed: Reservation[]) => void) | null): number {
    if (!this.store.hasSchema()) return 0;
    return this.tx(() => {
      const changed = decide();
      for (const r of changed) this.store.putReservation(r);
      // Confirming a hold (no facts callback given as null) moves no unit: the level, and its version, stay.
      if (facts !== null) {
        facts(changed);
        leave(this.store, endedLines(changed), this.clock());
        const served = this.serve(this.clock());
        if (served || changed.some((r) => r.reserved > 0)) this.bump();
      }
      return changed.length;
    });
  }

  /** An order's answer to the fills it was offered (durable-objects/inventory/restock.ts). */
  private answered(orderId: string, offered: readonly RestockFill[], answer: RestockAnswer): void {
    this.change(() => applyAnswer(this.store, orderId, offered, answer, this.clock()), () => {});
  }

  /**
   * A stock channel was added: offer it this SKU's current level now rather
   * than at the next change. The channel list is re-read (this isolate's
   * cached copy predates the channel); the slots coalesce and version as ever.
   */
  async announceChannels(): Promise<{ announced: boolean }> {
    if (!this.store.hasSchema() || this.stock().locations.length === 0) return { announced: false };
    const tenant = this.store.getMeta("tenant");
    if (tenant !== null) invalidateTenantCache(tenant);
    this.store.setMeta(OFFERED_VERSION, "0");
    await this.rearm();
    return { announced: true };
  }

  async commit(orderId: string): Promise<{ committed: number }> {
    return { committed: this.change(() => commitOrder(this.store.orderReservations(orderId), orderId), null) };
  }

  async release(orderId: string, reason: string): Promise<{ released: number }> {
    const released = this.change(() => releaseOrder(this.store.orderReservations(orderId), orderId, this.clock(), reason), () => {});
    await this.rearm();
    return { released };
  }

  /** A shipment: the reserved units leave stock as a delta at the shipment's time (one fact per line, so a repeat adds nothing). */
  async consume(orderId: string, shippedAt: string): Promise<{ consumed: number }> {
    const at = Date.parse(shippedAt);
    const consumed = this.change(
      () => consumeOrder(this.store.orderReservations(orderId), orderId, this.clock()),
      (changed) => {
        for (const r of changed) {
          if (r.reserved === 0) continue;
          this.store.addFact({ id: `consume:${r.order_id}:${r.line}`, kind: "delta", location: "default", at: Number.isFinite(at) ? at : this.clock(), units: -r.reserved, source: "handoff" });
          this.level = null;
        }
      },
    );
    await this.rearm();
    return { consumed };
  }

  async configure(input: { tenant: string; sku: string; oversellBuffer: number }): Promise<InventoryLevel> {
    this.tx(() => {
      this.open(input.tenant, input.sku);
      if (this.buffer() !== input.oversellBuffer) {
        this.store.setMeta("oversell_buffer", String(input.oversellBuffer));
        this.serve(this.clock());
        this.bump();
      }
    });
    await this.rearm();
    return this.getLevel(input.sku);
  }

  /** The numbers a channel receives. */
  private summary(sku: string): LevelSummary {
    const stock = this.stock();
    const reserved = this.store.reservedUnits();
    const buffer = this.buffer();
    return {
      sku: this.store.getMeta("sku") ?? sku,
      on_hand: stock.on_hand,
      reserved,
      available: Math.max(0, stock.on_hand + buffer - reserved),
      oversell_buffer: buffer,
      version: this.version(),
    };
  }

  async getLevel(sku: string): Promise<InventoryLevel> {
    const stock = this.stock();
    return {
      ...this.summary(sku),
      locations: stock.locations,
      drift: stock.drifts.reduce<StockLevel["drifts"][number] | null>((newest, d) => (newest === null || d.at >= newest.at ? d : newest), null),
      orders: this.store.listReservations(LISTED_RESERVATIONS),
      waitlist: this.waitlist(),
    };
  }

  /** The lines still waiting for stock, first come first. */
  private waitlist(): InventoryLevel["waitlist"] {
    const { positions, rows } = this.store.waitlist();
    return waiting(positions, rows).filter((w) => w.waiting > 0).slice(0, LISTED_RESERVATIONS);
  }

  private async rearm(): Promise<void> {
    // D1 work: a drift task to write, or a level the channels were not offered yet (the channel list is in D1).
    const d1Due =
      this.store.unwrittenDrifts().length > 0 || this.version() > Number(this.store.getMeta(OFFERED_VERSION) ?? "0") || this.store.getMeta(STOCK_MARK) === "due";
    const candidates = [this.store.nextHeldExpiry(), this.store.nextSlotDue(), this.store.nextOfferDue(), d1Due ? Math.max(this.retryAt, Date.now()) : null].filter(
      (t): t is number => t !== null,
    );
    if (candidates.length === 0) return;
    const next = Math.min(...candidates);
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(next);
  }

  /**
   * The sweep (held reservations whose order never confirmed go back to stock),
   * the drift tasks (written to D1 once each) and the stock channels (the
   * current level offered to every channel's slot, due slots sent). A failed
   * D1 read or write retries in 5 s. Idempotent; re-arms in `finally`.
   */
  override async alarm(): Promise<void> {
    try {
      this.change(() => expireHeld(this.store.expiredHeld(this.clock()), this.clock()), () => {});
      const tenant = this.store.getMeta("tenant");
      const sku = this.store.getMeta("sku");
      if (tenant !== null && sku !== null) {
        await tellOrders({ env: this.env, store: this.store, tenant, sku, clock: this.clock, answered: (o, f, a) => this.answered(o, f, a) });
        if (this.store.getMeta(STOCK_MARK) === "due") {
          await markStockTracked(this.env, tenant, sku, new Date(this.clock()).toISOString());
          this.tx(() => this.store.setMeta(STOCK_MARK, "written"));
        }
        for (const p of this.store.unwrittenDrifts()) {
          await recordDrift(this.env, tenant, sku, p.drift, p.found_at);
          if (driftsAbove({ drifts: [p.drift] }, this.driftThreshold()).length > 0) await openDriftTask(this.env, tenant, sku, p.drift, p.found_at);
          this.store.driftWritten(p.drift.snapshot_id, new Date(this.clock()).toISOString());
        }
        await pushLevels({
          env: this.env,
          store: this.store,
          tenant,
          sku,
          version: this.version(),
          level: () => this.summary(sku),
          clock: this.clock,
          policy: this.channelPolicy,
          tx: (fn) => this.tx(fn),
          sending: this.sending,
        });
      }
      this.retryAt = 0;
    } catch (err) {
      console.error("inventory alarm", err);
      this.retryAt = Date.now() + 5_000;
    } finally {
      await this.rearm();
    }
  }
}
