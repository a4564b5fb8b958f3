import type { Env } from "../env";
import { notificationTrail, type NotificationTrail } from "./trail";

/** The tenant's notifier: one object per tenant, so every notification of a tenant shares one outbox. */
export function notifierFor(env: Pick<Env, "NOTIFIER">, tenant: string) {
  return env.NOTIFIER.get(env.NOTIFIER.idFromName(tenant));
}

/**
 * The console's view of who was told about a task: the notifier's deliveries
 * (what is still pending, when the next try is) and the attempts as the audit
 * trail holds them, on their verified chain. Each half is null (shown as such)
 * when it cannot be read, so a page about a task never fails for it.
 */
export async function notifiedAbout(env: Env, tenant: string, task: { task_id: string; order_id: string | null }) {
  const [live, trail] = await Promise.all([
    notifierFor(env, tenant)
      .history({ subject: task.task_id, limit: 100 })
      .catch((err: unknown) => {
        console.error(`console: could not ask the notifier of ${tenant}`, err);
        return null;
      }),
    notificationTrail(env, tenant, task.order_id, task.task_id).catch((err: unknown): NotificationTrail | null => {
      console.error(`console: could not read the notification trail of ${tenant}`, err);
      return null;
    }),
  ]);
  return live === null ? null : { ...live, trail };
}
