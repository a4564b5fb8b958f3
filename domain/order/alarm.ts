import { DRAIN_BACKSTOP_HORIZON_MS, DRAIN_DELAY_MS } from "./commit";

/** What the order object holds that needs its one alarm, and the alarm it has. */
export interface AlarmInputs {
  now: number;
  /** The earliest clock of the order (timer rows, an export's timer columns, derived SLA clocks, a failed drain's retry), or null. */
  nextTimer: number | null;
  /** The outbox holds something D1 lacks (the drain has no timer row). */
  drainPending: boolean;
  /**
   * The order's derived clocks could not be read (a stored fact, export body or
   * rule that no longer parses): `nextTimer` holds only the stored timers.
   */
  clocksUnknown: boolean;
  /** The alarm as storage has it now. */
  current: number | null;
}

export type AlarmAction = { type: "keep" } | { type: "delete" } | { type: "set"; at: number };

/**
 * The object's one alarm: at the earliest timer, or sooner as the backstop of
 * the request's own drain. A clock of the order's due within
 * DRAIN_BACKSTOP_HORIZON_MS is that backstop already (its alarm drains whatever
 * is pending, after the timers it runs), so the alarm is brought within DRAIN_DELAY_MS only when no
 * clock is that near: most commits set no alarm, and their drain moves none
 * back. While the outbox holds something, an alarm already set sooner and still
 * ahead serves as it is, so a burst of commits arms it once.
 * Clocks that could not be read are never a reason for no alarm: one comes back
 * within the horizon to read them again (after a fix, or a repaired row), so
 * the order is never left stalled in silence, and its stored timers still fire.
 */
export function nextAlarm(i: AlarmInputs): AlarmAction {
  const clockNear = i.nextTimer !== null && i.nextTimer <= i.now + DRAIN_BACKSTOP_HORIZON_MS;
  const drain = i.drainPending && !clockNear ? i.now + DRAIN_DELAY_MS : null;
  const retry = i.clocksUnknown ? i.now + DRAIN_BACKSTOP_HORIZON_MS : null;
  const times = [i.nextTimer, drain, retry].filter((t) => t !== null);
  if (times.length === 0) return i.current === null ? { type: "keep" } : { type: "delete" };
  // A timer due "at once" may carry time 0; workerd refuses an alarm at <= 0, and any past time fires now.
  const at = Math.max(Math.min(...times), 1);
  // Kept only while it is still ahead: an alarm whose time has passed may be the one running now.
  const soonerServes = i.drainPending || i.clocksUnknown;
  if (i.current === at || (soonerServes && i.current !== null && i.current > i.now && i.current <= at)) return { type: "keep" };
  return { type: "set", at };
}
