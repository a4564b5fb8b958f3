import { beforeAll, describe, expect, it } from "vitest";
import { call, createTenant, expectError, keyFor } from "../../helpers/http";
import { putStockChannel } from "../../helpers/inventory";

const TENANT = "stock-channels-err";
let key = "";
beforeAll(async () => {
  key = await createTenant(TENANT);
});

describe("stock channels: bad input gets a clear error", () => {
  it("refuses a URL that is not http(s), a secret that is not whsec_, and unknown fields", async () => {
    const bad = [
      { url: "ftp://x.example/stock", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
      { url: "https://x.example/stock", secret: "hunter2" },
      { url: "https://x.example/stock", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", extra: 1 },
    ];
    for (const body of bad) await expectError(await call("PUT", `/v1/tenants/${TENANT}/stock-channels/shop`, { token: key, body }), 400, "validation_failed");
  });

  it("refuses a channel name with upper case or slashes", async () => {
    await expectError(await putStockChannel(TENANT, "Amazon", "https://x.example/stock", key), 400, "validation_failed");
  });

  it("deleting a channel that does not exist is a 404; deleting one that does is a 204", async () => {
    await expectError(await call("DELETE", `/v1/tenants/${TENANT}/stock-channels/nope`, { token: key }), 404, "not_found");
    expect((await putStockChannel(TENANT, "gone", "https://x.example/stock", key)).status).toBe(200);
    expect((await call("DELETE", `/v1/tenants/${TENANT}/stock-channels/gone`, { token: key })).status).toBe(204);
  });

  it("a read key may list but not configure", async () => {
    const read = await keyFor(TENANT, "viewer", "read");
    expect((await call("GET", `/v1/tenants/${TENANT}/stock-channels`, { token: read })).status).toBe(200);
    await expectError(await putStockChannel(TENANT, "shop", "https://x.example/stock", read), 403, "forbidden_scope");
  });
});
