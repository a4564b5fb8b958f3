import type { Notice } from "../../domain/notify/notice";
import { taskId } from "../../domain/tasks/task";
import { db } from "../db/client";
import { tasks } from "../db/schema";
import type { Env } from "../env";
import { currentRules } from "../ownership/store";

/**
 * A contact that every channel failed to reach opens a task for a person:
 * the tenant's default owner. Until the rules carry a `default_owner`, that is
 * the routing step's ladder (the owner who runs the queue), like the tasks
 * for refused inbound deliveries. Written straight to D1 (the task belongs to
 * no order) and idempotent by its id. It is not itself notified: its owner's
 * channels may be the ones that are down, and a loop of failure notices about
 * failure notices would help nobody; it is in the queue and the console.
 */
export async function openNotificationFailedTask(env: Env, tenant: string, notice: Notice, contactId: string, why: string, now: number): Promise<void> {
  const snapshot = await currentRules(env, tenant);
  const rule = snapshot?.rules.steps.routing;
  const ladder = rule ? [rule.owner, rule.backup, rule.on_call] : ["unassigned", "unassigned", "unassigned"];
  const ref = `${notice.key}|${contactId}`;
  const at = new Date(now).toISOString();
  await db(env.DB)
    .insert(tasks)
    .values({
      tenantId: tenant,
      taskId: taskId(tenant, notice.subject, "notification_failed", ref),
      orderId: null,
      rejectionId: null,
      type: "notification_failed",
      status: "open",
      step: notice.step,
      ref,
      owner: ladder[0] ?? "unassigned",
      owningParty: rule?.owning_party ?? "unassigned",
      escalation: ladder,
      level: 0,
      slaDue: new Date(now + 3600_000).toISOString(),
      title: `Could not reach ${contactId} about: ${notice.title}`.slice(0, 300),
      evidence: { notification: { notice_key: notice.key, kind: notice.kind, subject: notice.subject, order_id: notice.order_id, task_id: notice.task_id, contact_id: contactId, level: notice.level, why } },
      valueMinor: notice.value?.amount_minor ?? null,
      currency: notice.value?.currency ?? null,
      openedAt: at,
      updatedAt: at,
    })
    .onConflictDoNothing();
}
