import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { currentRules, putRules } from "../../worker/ownership/store";
import { orderInput } from "../../worker/orders";
import { markStockTracked } from "../../worker/stock-skus";
import { invalidateTenantCache } from "../../worker/tenancy";
import type { Delivery } from "../../worker/sources/types";
import { ev } from "../helpers/events";
import { createTenant } from "../helpers/http";
import { contact } from "../helpers/notify";
import { exampleRules } from "../helpers/ownership";

// What the order object is handed with a delivery: the tenant's rules, default owner,
// directory and tracked SKUs come from four cached lookups that run together; the
// object must get exactly what it got when they ran one after another.

const TRACE = { requestId: "req_orders_input", traceparent: null };
const SHA = "a".repeat(64);

function delivery(orderId: string, topic?: string): Delivery {
  return {
    idempotencyKey: `shop:${orderId}-1`,
    orderId,
    events: [ev.created(orderId, "2026-12-07T10:00:00Z", {}, { source: "shop", id: `shop:${orderId}-1#0` })],
    ...(topic === undefined ? {} : { topic }),
  };
}

describe("orderInput: what the order object is handed", () => {
  it("a tenant with rules checked against its directory, a default owner and a tracked SKU: all four, with the delivery as parsed", async () => {
    await createTenant("oi-full");
    await contact("oi-full", "zed@oi-full.example", { name: "Zed", channels: [] });
    await contact("oi-full", "amy@oi-full.example", { name: "Amy", channels: [] });
    // Stored while the tenant has contacts: names_checked.
    await putRules(env, "oi-full", exampleRules());
    await markStockTracked(env, "oi-full", "MUG-01", "2026-12-07T09:00:00Z");
    invalidateTenantCache("oi-full");
    const rules = await currentRules(env, "oi-full");
    expect(rules?.names_checked).toBe(true);

    const d = delivery("o-1", "orders/create");
    expect(await orderInput(env, "oi-full", "shop", d, SHA, TRACE)).toEqual({
      trace: TRACE,
      tenant: "oi-full",
      orderId: "o-1",
      source: "shop",
      idempotencyKey: "shop:o-1-1",
      rawSha256: SHA,
      topic: "orders/create",
      events: d.events,
      rules,
      defaultOwner: "ops@oi-full.example",
      directory: ["amy@oi-full.example", "zed@oi-full.example"],
      stockSkus: ["MUG-01"],
    });
  });

  it("free-text rules (stored before the tenant had contacts) get an empty directory, though contacts exist now; no topic, no key", async () => {
    await createTenant("oi-free");
    await putRules(env, "oi-free", exampleRules());
    await contact("oi-free", "amy@oi-free.example", { name: "Amy", channels: [] });
    invalidateTenantCache("oi-free");

    expect((await currentRules(env, "oi-free"))?.names_checked).toBe(false);
    const input = await orderInput(env, "oi-free", "wms", delivery("o-2"), SHA, TRACE);
    expect(input.rules?.version).toBe(1);
    expect(input.directory).toEqual([]);
    expect(input.stockSkus).toEqual([]);
    expect("topic" in input).toBe(false);
  });

  it("a tenant with no rules and no default owner: null, null, no directory, no tracked SKUs; 'no default owner' is cached like an owner", async () => {
    await createTenant("oi-bare");
    await env.DB.prepare("UPDATE tenants SET default_owner = NULL WHERE id = 'oi-bare'").run();
    invalidateTenantCache("oi-bare");

    const input = await orderInput(env, "oi-bare", "wms", delivery("o-3"), SHA, TRACE);
    expect({ rules: input.rules, defaultOwner: input.defaultOwner, directory: input.directory, stockSkus: input.stockSkus }).toEqual({
      rules: null,
      defaultOwner: null,
      directory: [],
      stockSkus: [],
    });

    // Written behind the cache's back: the next webhook still reads "none" from the cache, not D1…
    await env.DB.prepare("UPDATE tenants SET default_owner = 'late@oi-bare.example' WHERE id = 'oi-bare'").run();
    expect((await orderInput(env, "oi-bare", "wms", delivery("o-4"), SHA, TRACE)).defaultOwner).toBeNull();
    // …until the cache is dropped, as the default-owner route does when it writes.
    invalidateTenantCache("oi-bare");
    expect((await orderInput(env, "oi-bare", "wms", delivery("o-5"), SHA, TRACE)).defaultOwner).toBe("late@oi-bare.example");
  });
});
