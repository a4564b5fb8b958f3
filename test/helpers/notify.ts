import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { NotificationDelivery } from "../../domain/notify/object";
import { Notifier } from "../../durable-objects/notifier/NotifierDO";
import { ADMIN_TOKEN, call, json } from "./http";

/** The tenant's notifier as its class (runInDurableObject hands the instance). */
export function notifierStub(tenant: string): DurableObjectStub<Notifier> {
  const ns = env.NOTIFIER as unknown as DurableObjectNamespace<Notifier>;
  return ns.get(ns.idFromName(tenant));
}

/** Runs `fn` on the live notifier instance (its clock and retry policy are seams for tests). */
export async function withNotifier<T>(tenant: string, fn: (o: Notifier, state: DurableObjectState) => T): Promise<T> {
  return runInDurableObject(notifierStub(tenant), (o, state) => {
    if (!(o instanceof Notifier)) throw new Error("not a Notifier");
    return fn(o, state);
  });
}

export async function putContact(tenant: string, id: string, body: unknown): Promise<Response> {
  return call("PUT", `/v1/tenants/${tenant}/contacts/${encodeURIComponent(id)}`, { token: ADMIN_TOKEN, body });
}

export async function contact(tenant: string, id: string, body: unknown): Promise<void> {
  const res = await putContact(tenant, id, body);
  expect(res.status, await res.clone().text()).toBe(200);
}

/**
 * Waits until the notifier has nothing due now: every notice planned and every
 * delivery finished or waiting for a later retry. Its alarm also fires on its
 * own (it is set to "now" by enqueue), so this runs the alarm when one is
 * scheduled and otherwise waits for the one in flight.
 */
export async function drainNotifier(tenant: string, timeoutMs = 10_000): Promise<void> {
  const stub = notifierStub(tenant);
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const busy = await withNotifier(tenant, (o, state) => {
      const sql = state.storage.sql;
      if (sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'notices'").toArray().length === 0) return false;
      const notices = sql.exec("SELECT 1 FROM notices WHERE status = 'pending'").toArray().length;
      const due = sql.exec("SELECT 1 FROM deliveries WHERE status = 'pending' AND next_at <= ?", o.clock()).toArray().length;
      const fallbacks = sql.exec("SELECT 1 FROM fallbacks WHERE opened = 0").toArray().length;
      // Entries for the audit trail not yet written to D1.
      const trail = sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'trail'").toArray().length > 0 ? sql.exec("SELECT 1 FROM trail LIMIT 1").toArray().length : 0;
      return notices + due + fallbacks + trail > 0;
    });
    if (!busy) return;
    if (!(await runDurableObjectAlarm(stub))) await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the notifier of ${tenant} still had work due after ${timeoutMs}ms`);
}

export async function notifications(tenant: string, key: string, query = ""): Promise<NotificationDelivery[]> {
  const res = await call("GET", `/v1/tenants/${tenant}/notifications${query}`, { token: key });
  expect(res.status).toBe(200);
  return (await json<{ deliveries: NotificationDelivery[] }>(res)).deliveries;
}
