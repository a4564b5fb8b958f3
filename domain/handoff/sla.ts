import type { OrderCommit } from "../order/commit";
import type { OrderView } from "../order/view";
import { cancelBreachTasks, openBreachTask } from "../tasks/decide";
import { iso } from "../time";
import { existingExports, slaDeadlines } from "./plan";

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
