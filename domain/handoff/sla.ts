import type { Allocation } from "../inventory/allocate";
import type { OrderCommit } from "../order/commit";
import type { BreachRecord, ExportRecord, TimerRecord } from "../order/effects";
import type { OrderView } from "../order/view";
import { cancelBreachTasks, openBreachTask } from "../tasks/decide";
import { iso } from "../time";
import { epochMs } from "../order/facts";
import { existingExports, slaDeadlines, type Deadline, type RulesInput } from "./plan";

/** The escalation ladder's levels: owner, backup, on-call. */
const LEVELS = [0, 1, 2] as const;

/**
 * The SLA clocks as decisions: which `sla:<step>` timers run, when a clock
 * past due becomes a breach, and how it climbs the escalation ladder. Pure:
 * reads the commit's working copy, emits effects.
 */

/**
 * A run of a step's clock: from its start (the deadline's `since_at`) until it stops. Breaches are
 * recorded per run, so a step that restarts (routing again after a restock, or after its acked
 * decision was superseded) breaches and escalates afresh, while within one run each level is
 * recorded once. A step's unresolved breaches are always one run, its current one: a run ends by
 * resolving them all (endRun). They stop being the deadline's run when they name another start (the
 * step's `since_at` moved while it ran: the deadline they breached was replaced). A row written
 * before runs existed names no start and stays with the open run, as it always did.
 */
export interface Run {
  run: number;
  /** The levels this run has recorded. */
  recorded: readonly BreachRecord[];
  /** Open breaches of an earlier run are still unresolved: end it before this one records anything. */
  stale: boolean;
}

export function currentRun(breaches: readonly BreachRecord[], d: Deadline): Run {
  const since = epochMs(d.since_at);
  const mine = breaches.filter((b) => b.step === d.step);
  const open = mine.filter((b) => b.resolved_at === null);
  const stale = open.some((b) => b.since_at !== null && b.since_at !== since);
  const first = open[0];
  if (first && !stale) return { run: first.run, recorded: open, stale };
  return { run: mine.reduce((n, b) => Math.max(n, b.run + 1), 0), recorded: [], stale };
}

/** The step's run is over: its breaches resolve and its task closes. */
function endRun(c: OrderCommit, step: string, restarted: boolean): void {
  c.emit({ type: "resolve_breaches", step });
  c.audit("sla.recovered", restarted ? { step, restarted: true } : { step });
  cancelBreachTasks(c, step, restarted);
}

/**
 * Keeps one `sla:<step>` timer per running clock. A clock that stopped (its
 * milestone arrived) or started over ends its run; an escalating clock keeps its timer.
 */
export function syncSla(c: OrderCommit, view: OrderView): void {
  if (!c.rules) return;
  const deadlines = slaDeadlines(view, c.rules, existingExports(c.exports()), c.allocation());
  const running = new Map<string, Deadline>(deadlines.map((d) => [d.step, d]));
  for (const t of c.timers("sla")) {
    if (!running.has(t.key)) c.cancel("sla", t.key);
  }
  const open = new Set(c.breaches().filter((b) => b.resolved_at === null).map((b) => b.step));
  for (const step of open) {
    const d = running.get(step);
    if (d && !currentRun(c.breaches(), d).stale) continue;
    endRun(c, step, d !== undefined);
  }
  for (const d of deadlines) if (currentRun(c.breaches(), d).recorded.length === 0) c.schedule("sla", d.step, d.due_at, true);
}

/**
 * The `sla:<step>` timers the decisions below keep, derived from the order
 * instead: a running clock is due at its deadline, then at each escalation
 * level its run has not recorded, and not at all once the top level is. A check records
 * every level up to the one its time reached (checkSla), so the recorded levels
 * are always the first few and the next is the one the check scheduled; a clock
 * that stopped is not running, as syncSla cancels it. The order object arms its
 * alarm from these, so an SLA clock costs no row written (bench/results/cost.md).
 */
export function slaTimers(
  view: OrderView,
  rules: RulesInput | null,
  exports: readonly ExportRecord[],
  allocation: Allocation | null,
  breaches: readonly BreachRecord[],
): TimerRecord[] {
  if (!rules) return [];
  return slaDeadlines(view, rules, existingExports(exports), allocation).flatMap((d) => {
    const { recorded } = currentRun(breaches, d);
    const level = LEVELS.find((l) => !recorded.some((b) => b.level === l));
    return level === undefined ? [] : [{ kind: "sla", key: d.step, due_at: d.due_at + level * d.interval_ms }];
  });
}

/**
 * An SLA timer fired: if the clock still runs, record the breach and every
 * escalation level its run has passed (owner → backup → on-call), each once,
 * so a late alarm or a jump past several deadlines lands at the right level.
 */
export function checkSla(c: OrderCommit, view: OrderView, step: string): void {
  if (!c.rules) {
    c.cancel("sla", step);
    return;
  }
  const d = slaDeadlines(view, c.rules, existingExports(c.exports()), c.allocation()).find((x) => x.step === step);
  if (!d) {
    c.cancel("sla", step);
    return;
  }
  // The step started over since the last decision saw it: the old deadline's breaches end first.
  if (currentRun(c.breaches(), d).stale) endRun(c, step, true);
  if (c.now < d.due_at) {
    c.schedule("sla", step, d.due_at, true);
    return;
  }
  const { run, recorded } = currentRun(c.breaches(), d);
  const level = Math.min(2, Math.floor((c.now - d.due_at) / d.interval_ms));
  for (let l = 0; l <= level; l++) {
    const contact = d.ladder[l] ?? d.ladder[2];
    const due = d.due_at + l * d.interval_ms;
    // Each (step, run, level) is recorded once: an alarm that fires twice or late escalates nothing twice.
    if (!recorded.some((b) => b.level === l)) {
      c.emit({ type: "insert_breach", breach: { step, run, since_at: epochMs(d.since_at), level: l, due_at: due, breached_at: c.now, contact, owning_party: d.owning_party } });
      c.audit(l === 0 ? "sla.breached" : "sla.escalated", {
        step,
        run,
        level: l,
        role: ["owner", "backup", "on_call"][l],
        contact,
        owner: d.ladder[0],
        owning_party: d.owning_party,
        due_at: iso(due),
        since: d.since,
        since_at: d.since_at,
      });
      if (l === 0) openBreachTask(c, view, d.step, run);
    }
  }
  if (level < 2) c.schedule("sla", step, d.due_at + (level + 1) * d.interval_ms, true);
  else c.cancel("sla", step);
  c.refreshIndex();
}
