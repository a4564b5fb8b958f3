import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { postWebhook } from "../../cli/send";
import { stampNow } from "../../cli/stamp";

const fixture = (p: string): string => readFileSync(path.join(import.meta.dirname, "..", "fixtures", p), "utf8");
const NOW = Date.parse("2026-12-07T06:30:00.500Z");

describe("demo:send stamps the time it sends at (issue 11)", () => {
  it("moves a Shopify order's times to now, keeping their distances and the exact ids", () => {
    const original = fixture("shopify/orders-create.json");
    const { body, shiftSeconds } = stampNow(original, NOW);
    expect(shiftSeconds).toBeGreaterThan(0);
    expect(body).toContain('"created_at": "2026-12-07T06:30:00Z"');
    expect(body).toContain('"processed_at": "2026-12-07T06:30:00Z"');
    // The customer was created long before the order, and still is.
    const customer = /"created_at": "2025-[^"]+"/.exec(original)?.[0] ?? "";
    const moved = /"created_at": "(2025-[^"]+)"/.exec(body)?.[1] ?? "";
    expect(Date.parse(moved) - Date.parse(customer.slice(15, -1))).toBe(shiftSeconds * 1000);
    // Only timestamps change: ids above 2^53 keep every digit.
    expect(body.replace(/"\d{4}-\d{2}-\d{2}T[^"]+"/g, "T")).toBe(original.replace(/"\d{4}-\d{2}-\d{2}T[^"]+"/g, "T"));
    expect(body).toContain("820982911946154508");
  });

  it("moves Stripe's Unix seconds, and a deadline (capture_before) keeps its distance without becoming the anchor", () => {
    const original = fixture("stripe/charge.captured.json");
    const { body, shiftSeconds } = stampNow(original, NOW);
    const secs = (text: string, key: string): number[] => [...text.matchAll(new RegExp(`"${key}": (\\d+)`, "g"))].map((m) => Number(m[1]));
    expect(Math.max(...secs(body, "created"))).toBe(Math.floor(NOW / 1000));
    expect(secs(body, "capture_before")).toEqual(secs(original, "capture_before").map((s) => s + shiftSeconds));
    expect(secs(body, "capture_before")[0]).toBeGreaterThan(Math.floor(NOW / 1000));
  });

  it("moves a Standard Webhooks event's occurred_at; the fixture on disk keeps its original", () => {
    const original = fixture("standard/fulfillment.accepted.json");
    expect(stampNow(original, NOW).body).toContain('"occurred_at": "2026-12-07T06:30:00Z"');
    expect(fixture("standard/fulfillment.accepted.json")).toBe(original);
  });

  it("moves WooCommerce's zone-less *_gmt times as UTC, in WooCommerce's own spelling", () => {
    const now = Date.parse("2027-01-05T12:00:00Z");
    const { body } = stampNow(fixture("woocommerce/order.updated-processing.json"), now);
    const order = JSON.parse(body) as Record<string, unknown>;
    // The latest instant (date_modified_gmt and date_paid_gmt, 19:28:08) becomes now; date_created_gmt keeps its 6 s.
    expect(order.date_modified_gmt).toBe("2027-01-05T12:00:00");
    expect(order.date_paid_gmt).toBe("2027-01-05T12:00:00");
    expect(order.date_created_gmt).toBe("2027-01-05T11:59:54");
  });

  it("leaves a body without timestamps alone", () => {
    expect(stampNow('{"id": 12345678901234567890}', NOW)).toEqual({ body: '{"id": 12345678901234567890}', shiftSeconds: 0 });
  });
});

describe("demo:send with the engine down", () => {
  it("says the engine is not reachable at its URL and how to start it, not just 'fetch failed'", async () => {
    // A port that was free a moment ago: nothing listens on it.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const addr = s.address();
        s.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
      });
    });
    const base = `http://127.0.0.1:${port}`;
    await expect(postWebhook(base, "demo", "shop", {}, "{}")).rejects.toThrow(
      new RegExp(`the engine is not reachable at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)\\. Start it with \`npm start\``),
    );
  });
});
