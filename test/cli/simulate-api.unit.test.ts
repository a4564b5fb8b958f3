import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError, EngineApi } from "../../cli/simulate/api";

/** The simulator's engine calls through the typed client, against a stand-in engine on 127.0.0.1. */

interface Seen {
  method: string;
  path: string;
  auth: string;
  body: string;
}

let server: Server;
let base = "";
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      seen.push({ method: req.method ?? "", path: `${url.pathname}${url.search}`, auth: req.headers.authorization ?? "", body });
      const reply = (status: number, value: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
      if (url.pathname === "/v1/tenants/acme/orders/o-1") return reply(200, { order: { state: "paid", receipts: [{ id: "rcpt_1" }] } });
      if (url.pathname.startsWith("/v1/tenants/acme/orders/")) return reply(404, { error: { code: "order_not_found", message: "No order" } });
      if (url.pathname === "/v1/tenants/acme/tasks") {
        const page = url.searchParams.get("cursor") === null ? { tasks: [task("t1")], next_cursor: "c2" } : { tasks: [task("t2")], next_cursor: null };
        return reply(200, page);
      }
      if (url.pathname === "/v1/tenants/acme/sources/wms") return reply(503, { error: { code: "unavailable", message: "Configuration store unavailable" } });
      return reply(404, { error: { code: "not_found", message: "No route" } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function task(id: string) {
  return { task_id: id, order_id: null, type: "rejected_delivery", status: "open", owner: "ops", step: "routing" };
}

describe("EngineApi", () => {
  it("reads an order with the tenant key; a missing order is null, not an error", async () => {
    const api = new EngineApi(base, "acme", "hk_acme_key", null);
    expect(await api.order("o-1")).toMatchObject({ state: "paid", receipts: [{ id: "rcpt_1" }], exports: [], holds: [] });
    expect(await api.order("nope")).toBeNull();
    expect(seen.filter((s) => s.path.startsWith("/v1/tenants/acme/orders/")).map((s) => s.auth)).toEqual(["Bearer hk_acme_key", "Bearer hk_acme_key"]);
  });

  it("follows the task cursor, sending status and limit as the spec names them", async () => {
    const api = new EngineApi(base, "acme", "hk_acme_key", null);
    expect((await api.tasks("open")).map((t) => t.task_id)).toEqual(["t1", "t2"]);
    const calls = seen.filter((s) => s.path.startsWith("/v1/tenants/acme/tasks")).map((s) => s.path);
    expect(calls).toEqual(["/v1/tenants/acme/tasks?status=open&limit=200", "/v1/tenants/acme/tasks?status=open&limit=200&cursor=c2"]);
  });

  it("admin calls need the admin token, and a refusal names the call, status and code", async () => {
    await expect(new EngineApi(base, "acme", "hk_acme_key", null).putSource("wms", "standard", "whsec_x")).rejects.toThrow(/needs an admin token/);
    const admin = new EngineApi(base, "acme", null, "root-token");
    const err = await admin.putSource("wms", "standard", "whsec_x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err instanceof ApiError && { status: err.status, message: err.message }).toEqual({
      status: 503,
      message: "PUT source wms: 503 unavailable Configuration store unavailable",
    });
    const put = seen.find((s) => s.method === "PUT");
    expect(put).toMatchObject({ path: "/v1/tenants/acme/sources/wms", auth: "Bearer root-token" });
    expect(JSON.parse(put?.body ?? "{}")).toEqual({ kind: "standard", secret: "whsec_x" });
  });
});
