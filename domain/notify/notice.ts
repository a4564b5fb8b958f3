import { isOpen, slaRef, type Task } from "../tasks/task";

/**
 * What people are told, as data: one Notice per (subject, level) alert and one
 * per subject's resolution. Derived from the order's tasks and breaches as they
 * are, never from a transition, so deriving again after a restart or a retried
 * drain yields the same keys and the notifier's `INSERT OR IGNORE` sends
 * nothing twice.
 *
 * The subject is what PagerDuty's dedup_key and the webhook's id are built
 * from: the task id. A breach names the task its run opened (`ref: sla:<step>`, `sla:<step>#<run>` after the first), so
 * "SLA breached" and "task opened" for the same situation are one subject and
 * one message per level; a breach without a task (none open yet) falls back
 * to `breach:<order>:<step>`.
 */

export const NOTICE_KINDS = [
  "task.opened",
  "task.escalated",
  "task.resolved",
  "sla.breached",
  "sla.escalated",
  "sla.recovered",
  // A watcher's notices (domain/notify/watchers.ts): informational, never a page.
  "export.issued",
  "export.blocked",
  "export.expired",
  "export.superseded",
  "export.withdrawn",
  "export.cancelled",
  "export.not_cancelled",
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
/** `info`: told, not paged: no escalation, no resolution, no fallback task when it cannot be delivered. */
export const NOTICE_PHASES = ["alert", "resolve", "info"] as const;
export type NoticePhase = (typeof NOTICE_PHASES)[number];

/** What a watcher's notice says about the export, so a watcher told of v1 and then v2 knows which one stands. */
export interface ExportNotice {
  export_id: string;
  version: number;
  intended_action: string;
  /** The export's status once the change was committed. */
  status: string;
  supersedes: string | null;
  /** The version that replaces this one, when this change is its replacement. */
  superseded_by: string | null;
  /** The version of this action that stands after the change (null: none does). */
  current: string | null;
  valid_until: string | null;
}
export const ROLES = ["owner", "backup", "on_call"] as const;

export interface Notice {
  /** Deduplication key: `<subject>:L<level>:alert`, `<subject>:resolve`, or `<subject>:to:<recipient>` for a watcher. */
  key: string;
  subject: string;
  phase: NoticePhase;
  level: number;
  kind: NoticeKind;
  /** A contact or rotation name; null for a resolution (it goes to everyone the subject alerted). */
  recipient: string | null;
  /** When it happened: also the moment a rotation is resolved at. */
  at: number;
  tenant: string;
  order_id: string | null;
  task_id: string | null;
  task_type: string | null;
  title: string;
  step: string;
  owner: string;
  due_at: string | null;
  value: { amount_minor: number; currency: string } | null;
  /** Only on a watcher's notice about an export. */
  export?: ExportNotice;
}

/** A breach as the order object stores it (domain/order/effects.ts BreachRecord), by shape: effects carry notices, so no import back. */
interface BreachLike {
  step: string;
  run: number;
  level: number;
  due_at: number;
  breached_at: number;
  contact: string;
  resolved_at: number | null;
}

type TaskLike = Pick<Task, "task_id" | "type" | "status" | "title" | "step" | "owner" | "escalation" | "level" | "sla_due" | "opened_at" | "resolved_at" | "ref" | "value" | "order_id" | "tenant">;

function alertKey(subject: string, level: number): string {
  return `${subject}:L${level}:alert`;
}

export function resolveKey(subject: string): string {
  return `${subject}:resolve`;
}

function fromTask(t: TaskLike): Omit<Notice, "key" | "phase" | "level" | "kind" | "recipient" | "at"> {
  return {
    subject: t.task_id,
    tenant: t.tenant,
    order_id: t.order_id,
    task_id: t.task_id,
    task_type: t.type,
    title: t.title,
    step: t.step,
    owner: t.escalation[0] ?? t.owner,
    due_at: t.sla_due,
    value: t.value,
  };
}

/**
 * Alerts for every level a task has reached (a drain that was delayed past an
 * escalation still tells the owner first), or its resolution once closed.
 */
export function taskNotices(t: TaskLike, now: number): Notice[] {
  const base = fromTask(t);
  if (!isOpen(t)) {
    const at = t.resolved_at ? Date.parse(t.resolved_at) : now;
    return [{ ...base, key: resolveKey(t.task_id), phase: "resolve", level: t.level, kind: "task.resolved", recipient: null, at }];
  }
  const out: Notice[] = [];
  for (let l = 0; l <= t.level; l++) {
    const recipient = t.escalation[l] ?? t.owner;
    const at = l === 0 ? Date.parse(t.opened_at) : now;
    out.push({ ...base, key: alertKey(t.task_id, l), phase: "alert", level: l, kind: l === 0 ? "task.opened" : "task.escalated", recipient, at });
  }
  return out;
}

/**
 * The order's notices: breaches first, so the breach's own words win the
 * shared (subject, level) key over its task's, then every task.
 */
export function orderNotices(input: { tenant: string; orderId: string; tasks: readonly TaskLike[]; breaches: readonly BreachLike[]; now: number }): Notice[] {
  const out: Notice[] = [];
  const bySlaRef = new Map(input.tasks.filter((t) => t.ref.startsWith("sla:")).map((t) => [t.ref, t]));
  for (const b of input.breaches) {
    // Each run of a step is its own subject: a step that breaches again after recovering alerts afresh.
    const ref = slaRef(b.step, b.run);
    const task = bySlaRef.get(ref);
    const subject = task?.task_id ?? `breach:${input.orderId}:${ref.slice(4)}`;
    const base = task
      ? fromTask(task)
      : { subject, tenant: input.tenant, order_id: input.orderId, task_id: null, task_type: null, title: `SLA breached: ${b.step}`, step: b.step, owner: b.contact, due_at: new Date(b.due_at).toISOString(), value: null };
    if (b.resolved_at !== null) {
      // Resolved before it was ever sent: nothing to alert; the resolution reaches whoever was alerted.
      out.push({ ...base, subject, key: resolveKey(subject), phase: "resolve", level: b.level, kind: "sla.recovered", recipient: null, at: b.resolved_at });
      continue;
    }
    out.push({
      ...base,
      subject,
      due_at: new Date(b.due_at).toISOString(),
      key: alertKey(subject, b.level),
      phase: "alert",
      level: b.level,
      kind: b.level === 0 ? "sla.breached" : "sla.escalated",
      recipient: b.contact,
      at: b.breached_at,
    });
  }
  for (const t of input.tasks) out.push(...taskNotices(t, input.now));
  // One notice per key, the first one winning (the notifier would ignore the rest anyway).
  const seen = new Set<string>();
  return out.filter((n) => (seen.has(n.key) ? false : (seen.add(n.key), true)));
}
