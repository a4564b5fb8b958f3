import type { Notice } from "../../domain/notify/notice";
import { ownerLadder } from "../../domain/tasks/owner";
import { taskId } from "../../domain/tasks/task";
import { db } from "../db/client";
import { tasks } from "../db/schema";
import type { Env } from "../env";
import { defaultOwnerOf } from "../tenant-owner";

/**
 * A contact that every channel failed to reach opens a task for a person:
 * the tenant's `default_owner` on every rung of its ladder, not the routing
 * step's owner. The notice was often about the routing step's owner, whose
 * channels are the ones that failed; the default owner is the one name every
 * tenant must have. Written straight to D1 (the task belongs to no order) and
 * idempotent by its id. It is not itself notified: its owner's channels may be
 * the ones that are down, and a loop of failure notices about failure notices
 * would help nobody; it is in the queue and the console.
 */
export async function openNotificationFailedTask(
  env: Env,
  tenant: string,
  notice: Notice,
  contactId: string,
  why: string,
  now: number,
): Promise<{ task_id: string; owner: string }> {
  const { ladder, owningParty } = ownerLadder(undefined, await defaultOwnerOf(env, tenant));
  const ref = `${notice.key}|${contactId}`;
  const at = new Date(now).toISOString();
  const id = taskId(tenant, notice.subject, "notification_failed", ref);
  await db(env.DB)
    .insert(tasks)
    .values({
      tenantId: tenant,
      taskId: id,
      orderId: null,
      rejectionId: null,
      type: "notification_failed",
      status: "open",
      step: notice.step,
      ref,
      owner: ladder[0],
      owningParty,
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
  return { task_id: id, owner: ladder[0] };
}
