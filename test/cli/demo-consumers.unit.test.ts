import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startDemoConsumers, type DemoConsumers } from "../../cli/demo-consumers";
import { standardHeaders } from "../../cli/sign";

/**
 * The demo carrier against a stand-in engine on 127.0.0.1 that records what
 * the consumer reports back: a cancellation that lands before the carrier has
 * shipped stops the parcel and is acked `accepted`; one that lands after is
 * refused, so the engine puts the order in front of a person.
 */

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const EXPORT = "exp_request_shipment_v1_o-demo";
const CXL = `cxl_${EXPORT}`;

interface Seen {
  path: string;
  body: string;
}

let engine: Server | null = null;
let consumers: DemoConsumers | null = null;

afterEach(async () => {
  await consumers?.close();
  await new Promise<void>((resolve) => (engine ? engine.close(() => resolve()) : resolve()));
  consumers = null;
  engine = null;
});

async function setup(): Promise<{ seen: Seen[]; send: (body: object, id: string) => Promise<number> }> {
  const seen: Seen[] = [];
  engine = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ path: req.url ?? "", body });
      res.writeHead(202, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => engine?.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`;
  consumers = await startDemoConsumers({
    port: 0,
    base,
    tenant: "demo",
    consumerSecrets: { wms: SECRET, carrier: SECRET },
    sourceSecrets: { wms: SECRET, carrier: SECRET },
    log: () => {},
  });
  const url = `${consumers.url}/carrier`;
  return {
    seen,
    send: async (payload, id) => {
      const body = JSON.stringify(payload);
      const res = await fetch(url, { method: "POST", body, headers: await standardHeaders({ body, secret: SECRET, id }) });
      await res.body?.cancel();
      return res.status;
    },
  };
}

const exportBody = { export_id: EXPORT, order_id: "o-demo", intended_action: "request_shipment" };
const cancellation = { type: "export.cancelled", cancellation_id: CXL, export_id: EXPORT, order_id: "o-demo", tenant: "demo", cancelled: { intended_action: "request_shipment", version: 1 }, superseded_by: null, reason: "test", issued_at: new Date().toISOString() };

const acks = (seen: Seen[]) => seen.filter((s) => s.path === `/v1/tenants/demo/exports/${CXL}/ack`).map((s) => JSON.parse(s.body) as unknown);
const shipments = (seen: Seen[]) => seen.filter((s) => s.path === "/v1/tenants/demo/webhooks/carrier" && s.body.includes('"shipment.shipped"'));

describe("the demo carrier and export.cancelled", () => {
  it("drops an export it has not shipped yet and acks the cancellation; no parcel follows", async () => {
    const { seen, send } = await setup();
    expect(await send(exportBody, EXPORT)).toBe(200);
    expect(await send(cancellation, CXL)).toBe(200);
    await expect.poll(() => acks(seen), { timeout: 5000 }).toEqual([{ status: "accepted" }]);
    // Past the carrier's shipping delay: still no shipment for the cancelled export.
    await new Promise((r) => setTimeout(r, 1500));
    expect(shipments(seen)).toEqual([]);
  });

  it("refuses to cancel an export it already shipped, and its shipment names the export", async () => {
    const { seen, send } = await setup();
    expect(await send(exportBody, EXPORT)).toBe(200);
    await expect.poll(() => shipments(seen).length, { timeout: 5000 }).toBe(1);
    expect(JSON.parse(shipments(seen)[0]?.body ?? "{}")).toMatchObject({ type: "shipment.shipped", data: { export_id: EXPORT } });
    expect(await send(cancellation, CXL)).toBe(200);
    await expect.poll(() => acks(seen), { timeout: 5000 }).toEqual([{ status: "rejected", reason: "shipped already" }]);
  });
});
