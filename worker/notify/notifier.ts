import type { Env } from "../env";

/** The tenant's notifier: one object per tenant, so every notification of a tenant shares one outbox. */
export function notifierFor(env: Pick<Env, "NOTIFIER">, tenant: string) {
  return env.NOTIFIER.get(env.NOTIFIER.idFromName(tenant));
}

/**
 * The console's view of who was told about a task: null (shown as such) when
 * the notifier cannot be asked, so a page about a task never fails for it.
 */
export async function notifiedAbout(env: Pick<Env, "NOTIFIER">, tenant: string, taskId: string) {
  try {
    return await notifierFor(env, tenant).history({ subject: taskId, limit: 100 });
  } catch (err) {
    console.error(`console: could not ask the notifier of ${tenant}`, err);
    return null;
  }
}
