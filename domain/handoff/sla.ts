import type { Allocation } from "../inventory/allocate";
import type { OrderCommit } from "../order/commit";
import type { BreachRecord, ExportRecord, TimerRecord } from "../order/effects";
import type { OrderView } from "../order/view";
import { cancelBreachTasks, openBreachTask } from "../tasks/decide";
import { iso } from "../time";
import { existingExports, slaDeadlines, type RulesInput } from "./plan";

/** The escalation ladder's levels: owner, backup, on-call. */
const LEVELS = [0, 1, 2] as const;

/**
 * The SLA clocks as decisions: which `sla:<step>` timers run, when a clock
 * past due becomes a breach, and how it climbs the escalation ladder. Pure:
 * reads the commit's working copy, emits effects.
 */

/**
 * Keeps one `sla:<step>` timer per running clock. A clock that stopped (its
 * milestone arrived) resolves its breaches; an escalating clock keeps its timer.
 */
export function syncSla(c: OrderCommit, view: OrderView): void {
  if (!c.rules) return;
  const deadlines = slaDeadlines(view, c.rules, existingExports(c.exports()), c.allocation());
  const running = new Set<string>(deadlines.map((d) => d.step));
  for (const t of c.timers("sla")) {
    if (!running.has(t.key)) c.cancel("sla", t.key);
  }
  const open = new Set(c.breaches().filter((b) => b.resolved_at === null).map((b) => b.step));
  for (const step of open) {
    if (running.has(step)) continue;
    const n = c.breaches().filter((b) => b.step === step && b.resolved_at === null).length;
    c.emit({ type: "resolve_breaches", step });
    if (n > 0) c.audit("sla.recovered", { step });
    cancelBreachTasks(c, step);
  }
  for (const d of deadlines) if (!open.has(d.step)) c.schedule("sla", d.step, d.due_at, true);
}

/**
 * The `sla:<step>` timers the decisions below keep, derived from the order
 * instead: a running clock is due at its deadline, then at each escalation
 * level not yet recorded, and not at all once the top level is. A check records
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
    const level = LEVELS.find((l) => !breaches.some((b) => b.step === d.step && b.level === l));
    return level === undefined ? [] : [{ kind: "sla", key: d.step, due_at: d.due_at + level * d.interval_ms }];
  });
}

/**
 * An SLA timer fired: if the clock still runs, record the breach and every
 * escalation level the clock has passed (owner → backup → on-call), each once,
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
  if (c.now < d.due_at) {
    c.schedule("sla", step, d.due_at, true);
    return;
  }
  const level = Math.min(2, Math.floor((c.now - d.due_at) / d.interval_ms));
  for (let l = 0; l <= level; l++) {
    const contact = d.ladder[l] ?? d.ladder[2];
    const due = d.due_at + l * d.interval_ms;
    // Each (step, level) is recorded once: an alarm that fires twice or late escalates nothing twice.
    if (!c.breaches().some((b) => b.step === step && b.level === l)) {
      c.emit({ type: "insert_breach", breach: { step, level: l, due_at: due, breached_at: c.now, contact, owning_party: d.owning_party } });
      c.audit(l === 0 ? "sla.breached" : "sla.escalated", {
        step,
        level: l,
        role: ["owner", "backup", "on_call"][l],
        contact,
        owner: d.ladder[0],
        owning_party: d.owning_party,
        due_at: iso(due),
        since: d.since,
        since_at: d.since_at,
      });
      if (l === 0) openBreachTask(c, view, d.step);
    }
  }
  if (level < 2) c.schedule("sla", step, d.due_at + (level + 1) * d.interval_ms, true);
  else c.cancel("sla", step);
  c.refreshIndex();
}
