import { OrderCommit } from "../../domain/order/commit";
import type { IngestInput } from "../../domain/order/object";
import type { RulesInput } from "../../domain/handoff/plan";
import type { OrderStore } from "./store";

/**
 * What the tenant's config the order object holds: the latest rules, default
 * owner and directory an event brought (the Worker reads them from its 30 s
 * config cache, so D1 stays off the acknowledgement path), kept in meta so a
 * decision an alarm takes later uses them too.
 */

export function heldRules(store: OrderStore): RulesInput | null {
  const raw = store.getMeta("rules");
  return raw === null ? null : (JSON.parse(raw) as RulesInput);
}

/** The tenant's contact and rotation ids; null when none came yet or the tenant has none (names are then free text). */
function heldDirectory(store: OrderStore): ReadonlySet<string> | null {
  const raw = store.getMeta("directory");
  const names = raw === null ? [] : (JSON.parse(raw) as string[]);
  return names.length === 0 ? null : new Set(names);
}

/**
 * Inside the ingest transaction: the order's identity and the config the event
 * brought, set together (one row written when any changed, see meta.ts). Newer
 * rules reach the order with its next event; a decision records the version it used.
 */
export function adoptConfig(store: OrderStore, input: IngestInput): void {
  const held = heldRules(store);
  store.setMetas({
    tenant: input.tenant,
    order_id: input.orderId,
    rules: input.rules && (held === null || input.rules.version >= held.version) ? JSON.stringify(input.rules) : undefined,
    default_owner: input.defaultOwner || undefined,
    directory: input.directory === undefined ? undefined : JSON.stringify(input.directory),
  });
}

/** A new decision over the store's current rows, under the config it holds. */
export function orderCommit(store: OrderStore, tenant: string, orderId: string, now: number): OrderCommit {
  return new OrderCommit(store, tenant, orderId, now, heldRules(store), store.getMeta("default_owner"), heldDirectory(store));
}
