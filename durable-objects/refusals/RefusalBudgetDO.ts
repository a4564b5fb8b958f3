import { DurableObject } from "cloudflare:workers";
import { budgetLimits, decideRefusal, type BudgetDecision, type BudgetLimits, type BudgetWindow, type RefusalBudgetObject } from "../../domain/refusals/budget";
import type { Env } from "../../worker/env";

interface Held {
  tenant: string;
  bucket: string;
  current: BudgetWindow | null;
  /** Windows that closed with refusals only counted, not yet written to D1. */
  closed: BudgetWindow[];
}

/**
 * One object per refusal budget (tenant + source, or the tenant's unknown
 * sources, or its acks): the exact, global count Cloudflare's Rate Limiting
 * binding cannot give (it counts per location, approximately, and answers
 * only yes or no). Asked only on the refusal path. The counted-only refusals
 * reach D1 as one row per window, written by the alarm, never per request.
 */
export class RefusalBudget extends DurableObject<Env> implements RefusalBudgetObject {
  private held: Held | null = null;
  /** Seams for tests: a clock and limits that do not depend on the shared test environment. */
  clock: () => number = () => Date.now();
  limits: BudgetLimits | null = null;

  private async load(): Promise<Held | null> {
    this.held ??= (await this.ctx.storage.get<Held>("held")) ?? null;
    return this.held;
  }

  async spend(tenant: string, bucket: string): Promise<BudgetDecision> {
    const now = this.clock();
    const held = (await this.load()) ?? { tenant, bucket, current: null, closed: [] };
    const d = decideRefusal(held.current, now, this.limits ?? budgetLimits(this.env));
    const previous = held.current;
    if (previous && previous.start !== d.window.start && previous.counted + previous.limited > 0) held.closed.push(previous);
    held.current = d.window;
    this.held = held;
    await this.ctx.storage.put("held", held);
    if (d.action !== "record" && (await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(d.window.start + (this.limits ?? budgetLimits(this.env)).windowMs);
    }
    return d;
  }

  /** The counters of every window that counted anything, as D1 will hold them. */
  async counters(): Promise<BudgetWindow[]> {
    const held = await this.load();
    if (!held) return [];
    return [...held.closed, ...(held.current ? [held.current] : [])].filter((w) => w.counted + w.limited > 0);
  }

  override async alarm(): Promise<void> {
    const held = await this.load();
    if (!held) return;
    const windows = await this.counters();
    if (windows.length > 0) {
      // Absolute values keyed by window: a repeated alarm rewrites the same row.
      await this.env.DB.batch(
        windows.map((w) =>
          this.env.DB.prepare(
            `INSERT INTO rejection_overflow (tenant_id, bucket, window_start, counted, limited) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (tenant_id, bucket, window_start) DO UPDATE SET counted = excluded.counted, limited = excluded.limited`,
          ).bind(held.tenant, held.bucket, new Date(w.start).toISOString(), w.counted, w.limited),
        ),
      );
    }
    held.closed = [];
    const windowMs = (this.limits ?? budgetLimits(this.env)).windowMs;
    const end = held.current ? held.current.start + windowMs : 0;
    // A window still open may count more: write it again when it closes.
    if (end > this.clock()) await this.ctx.storage.setAlarm(end);
    else held.current = null;
    await this.ctx.storage.put("held", held);
  }
}
