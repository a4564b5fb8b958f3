import type { RulesInput } from "../../domain/handoff/plan";
import type { OrderView } from "../../domain/order/view";
import type { Env } from "../../worker/env";
import { notifierFor } from "../../worker/notify/notifier";
import { DRAIN_DELAY_MS } from "../../domain/order/commit";
import { drainOutbox, learnDrained } from "./drain";
import type { OrderStore } from "./store";

type DrainResult = { drained: number; error: string | null };

/** Resolves in a later task of the event loop: after the answer of the request that is running now has been sent. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** What the drainer needs from its order object (read lazily: tests swap the clock). */
export interface DrainHost {
  env: Env;
  store: OrderStore;
  view(orderId: string): OrderView;
  rules(): RulesInput | null;
  clock(): number;
  /** The earliest timer the alarm serves, stored or derived (clocks.ts). */
  nextDue(): number | null;
  tx(fn: () => void): void;
  /** `repairOnly`: arm what is known due, never remove or postpone the alarm (apply.ts, rearmAlarm). */
  rearm(repairOnly?: boolean): Promise<void>;
  /** Keeps the object at work after its answer has been sent. */
  waitUntil(p: Promise<unknown>): void;
}

/** How many drains one request runs back to back for commits that landed while it was draining. */
const DRAINS_PER_REQUEST = 3;

/**
 * When the order's outbox reaches D1. The request that committed (ingest, ack,
 * task claim and resolution, restock) drains at once, after its answer: the
 * acknowledgement never waits on D1. The alarm is the backstop (nextAlarm,
 * domain/order/alarm.ts): a clock of the order due within 5 minutes, else one
 * armed within DRAIN_DELAY_MS; it drains only when this drain did not finish (a
 * restart cut it, or D1 failed and the drain backs off on its retry timer).
 * One drain at a time; later callers share it.
 */
export class Drainer {
  private running: Promise<DrainResult> | null = null;

  constructor(private readonly host: DrainHost) {}

  /** Resolved once the start's question to D1 is answered: what reports the outbox waits for it. */
  settled: Promise<void> = Promise.resolve();

  /**
   * On every start the alarm is repaired: a crash between commit and setAlarm,
   * or an alarm given up after its retries, leaves due timers with no alarm.
   * Blocks past the watermark the object wrote down may be in D1 or not: it
   * asks D1 (watermark.ts) in the background, so no request waits on D1; until
   * it knows, it only arms what is known due, and never removes or postpones the alarm.
   */
  start(): Promise<void> {
    if (!this.host.store.watermark.unverified()) return this.host.rearm();
    // Re-armed again only when D1 lacks one of the blocks held at the start (or could not be asked): their
    // backstop. Otherwise the repair below was the whole answer; a block committed since is re-armed for
    // by its own request or alarm, and a re-arm from here would land in the middle of that alarm's run
    // (a delivery commits before it sends) and move the alarm once more than its own end does.
    const held = this.host.store.auditHead()?.seq ?? 0;
    this.settled = this.learn()
      .catch((err: unknown) => console.error("order watermark from D1", err))
      .then(() => {
        const { watermark } = this.host.store;
        return watermark.unverified() || watermark.seq() < held ? this.host.rearm() : undefined;
      })
      .catch((err: unknown) => console.error("order alarm repair", err));
    this.host.waitUntil(this.settled);
    return this.host.rearm(true);
  }

  /** How far D1 holds the order's chain (watermark.ts). A read; sends nothing. */
  private async learn(): Promise<void> {
    const { store, env } = this.host;
    const tenant = store.getMeta("tenant");
    const orderId = store.getMeta("order_id");
    if (tenant !== null && orderId !== null) await learnDrained(store, env.DB, tenant, orderId);
  }

  /** Drain now and wait for it (reads that want D1 current, the alarm). */
  flush(): Promise<DrainResult> {
    this.running ??= this.drain().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * After a request's commit: drain in the background, unless a failed drain is
   * backing off (its timer decides) or the alarm runs anyway before the backstop
   * (a delivery due now): that alarm drains what it and this commit queued in one
   * batch, where draining here too would write the order's D1 rows twice.
   *
   * The drain starts in a later task, not here: everything it does before its
   * first await (reading the outbox, the index row, building the D1 statements)
   * would otherwise run before the request's answer could be sent.
   */
  soon(): void {
    if (!this.due()) return;
    this.host.waitUntil(
      nextTask()
        // Checked again: a flush or another request's drain may have emptied the outbox meanwhile.
        .then(() => (this.due() ? this.drainAll().then(() => this.host.rearm()) : undefined))
        .catch((err: unknown) => console.error("order drain after commit", err)),
    );
  }

  private due(): boolean {
    const { store } = this.host;
    if (!store.hasSchema() || !store.drainPending()) return false;
    const other = this.host.nextDue();
    return !(other !== null && other <= this.host.clock() + DRAIN_DELAY_MS);
  }

  /** Commits that landed during a drain are drained right after it, so a burst shares a few drains. */
  private async drainAll(): Promise<void> {
    for (let i = 0; i < DRAINS_PER_REQUEST; i++) {
      const r = await this.flush();
      if (r.error !== null || this.host.store.outboxSize() === 0) return;
    }
  }

  private async drain(): Promise<DrainResult> {
    const { store, env } = this.host;
    const tenant = store.getMeta("tenant");
    const orderId = store.getMeta("order_id");
    if (tenant === null || orderId === null) return { drained: 0, error: null };
    return drainOutbox({
      store,
      d1: env.DB,
      tenant,
      orderId,
      view: () => this.host.view(orderId),
      rules: this.host.rules(),
      clock: () => this.host.clock(),
      tx: (fn) => this.host.tx(fn),
      notify: async (notices) => void (await notifierFor(env, tenant).enqueue(tenant, notices)),
    });
  }
}
