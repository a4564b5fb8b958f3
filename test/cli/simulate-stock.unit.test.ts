import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { utf8 } from "../../domain/crypto";
import type { LevelLite, OrderLite } from "../../cli/simulate/api";
import { generateCampaign } from "../../cli/simulate/campaign";
import { parseSimulateArgs } from "../../cli/simulate/config";
import { planDeliveries, parseFaults } from "../../cli/simulate/faults";
import { campaignJob } from "../../cli/simulate/jobs";
import { loadTemplates } from "../../cli/simulate/payloads";
import { FIXTURE_LINE_SKUS, lineSkus, parseStock, renderStock, stockReport, stockUp, type StockSpec } from "../../cli/simulate/stock";
import { headerGetter } from "../../cli/sign";
import { shopify } from "../../worker/sources/shopify";
import { standard } from "../../worker/sources/standard";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("--stock parsing", () => {
  it("takes <sku>:<units>, repeatable, SKUs that may hold a colon", () => {
    expect(parseStock(["HOT-1:10", "ns:COLD:0"])).toEqual([
      { sku: "HOT-1", units: 10 },
      { sku: "ns:COLD", units: 0 },
    ]);
    expect(parseStock(undefined)).toEqual([]);
  });

  it("refuses what is not a SKU and whole units, and a SKU given twice", () => {
    for (const bad of ["HOT-1", "HOT-1:", ":5", "HOT-1:-2", "HOT-1:2.5", "HOT 1:3", "HOT-1:1e3"]) expect(() => parseStock([bad]), bad).toThrow(/--stock/);
    expect(() => parseStock(["A:1", "A:2"])).toThrow(/twice/);
  });

  it("reaches the run's config through the command line", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "sim-stock-"));
    const file = path.join(dir, "secrets.json");
    writeFileSync(file, JSON.stringify({ secrets: { shop: "s", stripe: "s", wms: "s", carrier: "s" } }));
    const cfg = parseSimulateArgs(["--secrets", file, "--stock", "HOT-1:10", "--stock", "COLD-2:500"], {}, file);
    expect(cfg === "help" ? [] : cfg.stock).toEqual([
      { sku: "HOT-1", units: 10 },
      { sku: "COLD-2", units: 500 },
    ]);
    const plain = parseSimulateArgs(["--secrets", file], {}, file);
    expect(plain === "help" ? null : plain.stock).toEqual([]);
  });
});

describe("orders carry the stocked SKUs", () => {
  const stock: StockSpec[] = [
    { sku: "HOT-1", units: 10 },
    { sku: "COLD-2", units: 500 },
  ];

  it("each line draws a stocked SKU, the same on every rerun, and both SKUs occur", () => {
    const orders = generateCampaign({ orders: 60, seed: 7, runId: "r1" });
    const drawn = orders.map((o) => lineSkus(7, o.id, stock));
    expect(orders.map((o) => lineSkus(7, o.id, stock))).toEqual(drawn);
    expect(new Set(drawn.flat())).toEqual(new Set(["HOT-1", "COLD-2"]));
    expect(lineSkus(7, "x", [])).toEqual([...FIXTURE_LINE_SKUS]);
  });

  it("the engine's own Shopify parser reads those SKUs from the signed orders/create and orders/paid bodies", async () => {
    const orders = generateCampaign({ orders: 30, seed: 3, runId: "r2" });
    const plans = planDeliveries(orders, parseFaults(undefined), 3);
    const sources = { shop: { name: "shop", secret: "shpss_sim" }, stripe: { name: "stripe", secret: "whsec_x" }, crm: { name: "crm", secret: "whsec_y" } };
    const ctx = { tenant: "t", runStart: Date.now(), timeFactor: 60, templates: loadTemplates(), sources, lineSkus: (o: { id: string }) => lineSkus(3, o.id, stock) };
    let checked = 0;
    for (const plan of plans.filter((p) => p.event.kind.startsWith("shopify."))) {
      const order = orders.find((o) => o.id === plan.event.orderId);
      if (!order) throw new Error("plan without order");
      const { job } = await campaignJob(ctx, order, plan);
      const parsed = shopify.parse({ raw: utf8(job.body), headers: headerGetter(await job.headers()), source: "shop" });
      if (!parsed.ok || !("events" in parsed)) throw new Error(`not parsed: ${JSON.stringify(parsed)}`);
      // orders/paid is read as a capture (no lines), so its body is checked as text.
      for (const sku of FIXTURE_LINE_SKUS) expect(job.body).not.toContain(`"${sku}"`);
      const lines = parsed.events.flatMap((e) => ("line_items" in e.data && Array.isArray(e.data.line_items) ? (e.data.line_items as { sku: string; quantity: number }[]) : []));
      if (plan.event.kind !== "shopify.orders/create") continue;
      expect(lines.map((l) => [l.sku, l.quantity])).toEqual(lineSkus(3, order.id, stock).map((sku, i) => [sku, i + 1]));
      checked++;
    }
    expect(checked).toBe(30);
  });
});

describe("stocking up before the campaign", () => {
  it("posts one signed inventory.snapshot per SKU that the engine's Standard Webhooks adapter verifies and reads, then reads the levels back", async () => {
    const onHand = new Map<string, number>();
    const seen: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void (async () => {
          const raw = new Uint8Array(Buffer.concat(chunks));
          const headers = headerGetter(Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])));
          const verified = await standard.verify({ raw, headers, secret: SECRET, now: Date.now() });
          const parsed = standard.parseStock({ raw, headers, source: "wms" });
          if (!verified.ok || parsed === null || !parsed.ok || !("sku" in parsed)) {
            res.writeHead(401).end();
            return;
          }
          seen.push(`${req.url ?? ""} ${parsed.idempotencyKey}`);
          for (const e of parsed.events) if (e.type === "inventory.snapshot") onHand.set(parsed.sku, e.data.on_hand);
          res.writeHead(202, { "content-type": "application/json" }).end("{}");
        })();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      const api = { inventory: async (sku: string): Promise<LevelLite> => ({ sku, on_hand: onHand.get(sku) ?? 0, reserved: sku === "B" ? 2 : 0, available: 0, oversell_buffer: 0 }) };
      const levels = await stockUp(api, `http://127.0.0.1:${port}`, "acme", { name: "wms", secret: SECRET }, [{ sku: "A", units: 10 }, { sku: "B", units: 4 }], "run1");
      expect(seen).toEqual(["/v1/tenants/acme/webhooks/wms wms:sim-stock_run1_A", "/v1/tenants/acme/webhooks/wms wms:sim-stock_run1_B"]);
      expect(levels.get("A")?.on_hand).toBe(10);
      expect(levels.get("B")?.reserved).toBe(2);
      // An engine that does not show the units sent stops the run before any order races it.
      const stale = { inventory: async (sku: string): Promise<LevelLite> => ({ sku, on_hand: 3, reserved: 0, available: 3, oversell_buffer: 0 }) };
      await expect(stockUp(stale, `http://127.0.0.1:${port}`, "acme", { name: "wms", secret: SECRET }, [{ sku: "A", units: 10 }], "run2")).rejects.toThrow(/sent on hand 10, the engine reads 3/);
      await expect(stockUp(api, `http://127.0.0.1:${port}`, "acme", { name: "wms", secret: "whsec_d3Jvbmdfc2VjcmV0X3dyb25nX3NlY3JldA==" }, [{ sku: "A", units: 1 }], "run3")).rejects.toThrow(/401/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

type Lines = { sku: string; quantity: number }[];

function order(routed: Lines | null, backordered: Lines | null): OrderLite {
  const exp = (action: string, lines: Lines, version = 1) => ({ export: { export_id: `${action}_${version}`, intended_action: action, version, order: { line_items: lines } }, status: "acked", attempts: [] });
  const exports = [...(routed ? [exp("fulfil_order", routed)] : []), ...(backordered ? [exp("backorder_order", backordered)] : [])];
  return { state: "paid", receipts: [], exports, sla: [], holds: [], outbox: { pending: 0 } };
}

const level = (sku: string, on_hand: number, reserved: number, buffer = 0): LevelLite => ({ sku, on_hand, reserved, available: Math.max(0, on_hand + buffer - reserved), oversell_buffer: buffer });

describe("the stock report", () => {
  it("10 units under 8 orders of 2: routed, split and backordered, and the oversell prevented", () => {
    const stock = [{ sku: "HOT", units: 10 }];
    const two = [{ sku: "HOT", quantity: 2 }];
    const orders = [
      ...Array.from({ length: 4 }, () => order(two, null)),
      order([{ sku: "HOT", quantity: 1 }, { sku: "OTHER", quantity: 5 }], [{ sku: "HOT", quantity: 1 }]),
      order(null, two),
      order(null, two),
      order([{ sku: "OTHER", quantity: 1 }], null),
      null,
    ];
    // Four of the nine routed units have shipped (consumed): on hand and reserved both fell.
    const r = stockReport(stock, new Map([["HOT", level("HOT", 10, 0)]]), new Map([["HOT", level("HOT", 6, 5)]]), orders);
    expect(r.skus[0]).toMatchObject({
      demand: 14,
      routed_units: 9,
      backordered_units: 5,
      orders: { routed: 4, split: 1, backordered: 2 },
      oversells_prevented: { orders: 3, units: 4 },
      oversold: null,
    });
    expect(r.orders).toEqual({ routed: 4, split: 1, backordered: 2 });
    expect(r.oversold).toBe(false);
    expect(renderStock(r)).toContain("no oversell");
  });

  it("reservations beyond on hand + buffer, read back or routed, are an oversell", () => {
    const stock = [{ sku: "HOT", units: 2 }];
    const over = stockReport(stock, new Map([["HOT", level("HOT", 2, 0)]]), new Map([["HOT", level("HOT", 2, 3)]]), [order([{ sku: "HOT", quantity: 3 }], null)]);
    expect(over.oversold).toBe(true);
    expect(over.skus[0]?.oversold).toMatch(/reserved 3 > on hand 2 \+ buffer 0.*routed 3 units > 2 promisable/);
    expect(renderStock(over)).toContain("OVERSOLD: HOT");
    // Units reserved before the run are not promisable to it.
    const earlier = stockReport(stock, new Map([["HOT", level("HOT", 2, 1)]]), new Map([["HOT", level("HOT", 2, 2)]]), [order([{ sku: "HOT", quantity: 2 }], null)]);
    expect(earlier.skus[0]?.oversold).toMatch(/routed 2 units > 1 promisable/);
  });

  it("a buffer is an allowed oversell: within it nothing is flagged, and it is not counted as prevented", () => {
    const stock = [{ sku: "HOT", units: 2 }];
    const r = stockReport(stock, new Map([["HOT", level("HOT", 2, 0, 1)]]), new Map([["HOT", level("HOT", 2, 3, 1)]]), [
      order([{ sku: "HOT", quantity: 3 }], null),
      order(null, [{ sku: "HOT", quantity: 2 }]),
    ]);
    expect(r.oversold).toBe(false);
    expect(r.skus[0]?.oversells_prevented).toEqual({ orders: 1, units: 2 });
  });

  it("reads the newest live version of each export", () => {
    const o = order([{ sku: "HOT", quantity: 1 }], null);
    o.exports.push({ export: { export_id: "v2", intended_action: "fulfil_order", version: 2, order: { line_items: [{ sku: "HOT", quantity: 2 }] } }, status: "delivered", attempts: [] });
    o.exports.push({ export: { export_id: "v3", intended_action: "fulfil_order", version: 3, order: { line_items: [{ sku: "HOT", quantity: 9 }] } }, status: "superseded", attempts: [] });
    const r = stockReport([{ sku: "HOT", units: 5 }], new Map(), new Map([["HOT", level("HOT", 5, 2)]]), [o]);
    expect(r.skus[0]?.routed_units).toBe(2);
  });
});
