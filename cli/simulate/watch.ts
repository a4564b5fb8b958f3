import type { EngineApi, TaskLite } from "./api";
import type { SilenceWindow } from "./faults";

/**
 * The silence fault's other half: while a sender is silenced, the simulator
 * sweeps the engine's watchers (`POST …/watchers/run`, as an operator or the
 * cron would) and notes each `source_silent` task the moment it first sees
 * it. Mean time to detect is then fault start → the task's `opened_at`, the
 * engine's own clock for the decision.
 */

export interface Detection {
  taskId: string;
  source: string;
  owner: string;
  /** The engine's opened_at, ms. */
  openedAt: number;
  /** The last verified receipt the engine names in the task's ref (null: never heard from). */
  lastVerifiedAt: number | null;
}

/** `silent:<source>:<last verified ISO|never>` or `low:<source>:<hour>` (domain/watchers/silence.ts outageRef). */
export function detectionOf(t: Pick<TaskLite, "task_id" | "owner" | "opened_at" | "ref">): Detection | null {
  const [kind, source, ...rest] = t.ref.split(":");
  const openedAt = Date.parse(t.opened_at);
  if ((kind !== "silent" && kind !== "low") || !source || Number.isNaN(openedAt)) return null;
  const last = kind === "silent" ? Date.parse(rest.join(":")) : Number.NaN;
  return { taskId: t.task_id, source, owner: t.owner, openedAt, lastVerifiedAt: Number.isNaN(last) ? null : last };
}

export interface SilenceResult {
  role: string;
  source: string;
  from: string;
  to: string;
  silence_after_ms: number;
  sweep_every_ms: number;
  /** silence_after + one sweep: the goal for detection after the sender stops (see within_goal). */
  goal_ms: number;
  detected: boolean;
  task_id: string | null;
  owner: string | null;
  opened_at: string | null;
  last_verified_receipt_at: string | null;
  /** Fault start → task opened. */
  mttd_ms: number | null;
  /** Last verified receipt → task opened: what the engine can see of the outage. */
  since_last_receipt_ms: number | null;
  /**
   * Last verified receipt → detection within the goal. Judged from the last
   * receipt, not the fault start: a delivery in flight when the sender stops
   * still lands (ack p99 runs to seconds under load), and silence begins after it.
   */
  within_goal: boolean;
}

/** Pairs each silence with the first source_silent task opened for its sender after it began. */
export function silenceResults(
  windows: readonly SilenceWindow[],
  sourceName: (role: string) => string,
  detections: readonly Detection[],
  timing: { silenceAfterMs: number; sweepEveryMs: number },
): SilenceResult[] {
  const goal = timing.silenceAfterMs + timing.sweepEveryMs;
  return windows.map((w) => {
    const source = sourceName(w.role);
    const d = detections.filter((x) => x.source === source && x.openedAt >= w.from).sort((a, b) => a.openedAt - b.openedAt)[0];
    const mttd = d ? d.openedAt - w.from : null;
    const sinceLast = d && d.lastVerifiedAt !== null ? d.openedAt - d.lastVerifiedAt : null;
    return {
      role: w.role,
      source,
      from: new Date(w.from).toISOString(),
      to: new Date(w.to).toISOString(),
      silence_after_ms: timing.silenceAfterMs,
      sweep_every_ms: timing.sweepEveryMs,
      goal_ms: goal,
      detected: d !== undefined,
      task_id: d?.taskId ?? null,
      owner: d?.owner ?? null,
      opened_at: d ? new Date(d.openedAt).toISOString() : null,
      last_verified_receipt_at: d?.lastVerifiedAt == null ? null : new Date(d.lastVerifiedAt).toISOString(),
      mttd_ms: mttd,
      since_last_receipt_ms: sinceLast,
      within_goal: (sinceLast ?? mttd) !== null && (sinceLast ?? mttd ?? Infinity) <= goal,
    };
  });
}

/** ISO-8601 for a whole-millisecond duration, as `watch.silence_after` takes it: 90000 → PT90S. */
export function isoDuration(ms: number): string {
  const s = ms / 1000;
  return `PT${Number.isInteger(s) ? s : s.toFixed(3)}S`;
}

/** Sweeps the watchers every `everyMs` and keeps every source_silent task it sees open. */
export class Sweeper {
  readonly detections = new Map<string, Detection>();
  sweeps = 0;
  errors: string[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly api: EngineApi,
    private readonly everyMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      // One sweep at a time: a slow engine gets fewer sweeps, not a pile of them.
      this.running ??= this.sweep().finally(() => {
        this.running = null;
      });
    }, this.everyMs);
  }

  async sweep(): Promise<void> {
    try {
      await this.api.runWatchers();
      this.sweeps++;
      // Listing open tasks also catches one the cron opened between our sweeps.
      for (const t of await this.api.tasks("open", "source_silent")) {
        const d = detectionOf(t);
        if (d && !this.detections.has(d.taskId)) this.detections.set(d.taskId, d);
      }
    } catch (err) {
      if (this.errors.length < 5) this.errors.push(String(err));
    }
  }

  /** Stops sweeping, after a last sweep so a detection due right now is not missed; a no-op unless started. */
  async stop(): Promise<void> {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.sweep();
  }

  /** Has every window had a detection for its sender? */
  covers(windows: readonly SilenceWindow[], sourceName: (role: string) => string): boolean {
    const all = [...this.detections.values()];
    return windows.every((w) => all.some((d) => d.source === sourceName(w.role) && d.openedAt >= w.from));
  }
}
