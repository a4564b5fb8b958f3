import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ORDER_ID, shopify } from "../../helpers/deliveries";
import { call, expectError, json, seedTenant, settleAlarms } from "../../helpers/http";

let acme = "";
let globex = "";
beforeAll(async () => {
  acme = await seedTenant("acme");
  globex = await seedTenant("globex");
  expect((await shopify("acme", "orders/create")).status).toBe(202);
});
afterEach(settleAlarms);

describe("tenant isolation", () => {
  const paths = [`/orders/${ORDER_ID}`, `/orders/${ORDER_ID}/audit`, "/rejections"];

  it("another tenant's key gets 404 on every read", async () => {
    for (const p of paths) await expectError(await call("GET", `/v1/tenants/acme${p}`, { token: globex }), 404, "not_found");
  });

  it("no key or an unknown key gets 401", async () => {
    for (const p of paths) {
      await expectError(await call("GET", `/v1/tenants/acme${p}`), 401, "unauthorized");
      await expectError(await call("GET", `/v1/tenants/acme${p}`, { token: "hk_acme_forged" }), 401, "unauthorized");
    }
  });

  it("the admin token is not a tenant key: reading orders is outside its scope", async () => {
    await expectError(await call("GET", `/v1/tenants/acme/orders/${ORDER_ID}`, { token: "test-admin-token" }), 403, "forbidden_scope");
  });

  it("the same order id in two tenants is two separate orders", async () => {
    const mine = await call("GET", `/v1/tenants/acme/orders/${ORDER_ID}`, { token: acme });
    expect(mine.status).toBe(200);
    await expectError(await call("GET", `/v1/tenants/globex/orders/${ORDER_ID}`, { token: globex }), 404, "order_not_found");
    expect((await shopify("globex", "orders/create")).status).toBe(202);
    const theirs = await json<{ order: { tenant: string; receipts: unknown[] } }>(await call("GET", `/v1/tenants/globex/orders/${ORDER_ID}`, { token: globex }));
    expect(theirs.order.tenant).toBe("globex");
    expect(theirs.order.receipts).toHaveLength(1);
  });

  it("a delivery signed with one tenant's secret is refused by another tenant with a different secret", async () => {
    await seedTenant("initech");
    const res = await shopify("initech", "orders/create", { secret: "some-other-tenants-secret" });
    await expectError(res, 401, "signature_invalid");
  });

  it("rejects order ids that could not name an object", async () => {
    await expectError(await call("GET", "/v1/tenants/acme/orders/a%20b", { token: acme }), 400, "validation_failed");
  });
});
