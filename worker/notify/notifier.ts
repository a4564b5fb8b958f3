import type { Env } from "../env";

/** The tenant's notifier: one object per tenant, so every notification of a tenant shares one outbox. */
export function notifierFor(env: Pick<Env, "NOTIFIER">, tenant: string) {
  return env.NOTIFIER.get(env.NOTIFIER.idFromName(tenant));
}
