import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Dispatcher, type Job } from "../../cli/simulate/dispatcher";

/** The dispatcher against a stand-in engine on 127.0.0.1: redelivery on the sender's schedule, receipts, duplicates. */

let server: Server;
let base = "";
/** Keys the stand-in has committed: a later delivery of one is a duplicate. */
const recorded = new Set<string>();
/** Per key: statuses to answer in turn before the receipt. */
const script = new Map<string, number[]>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const key = req.url ?? "";
    req.resume();
    req.on("end", () => {
      const next = script.get(key)?.shift();
      if (next !== undefined) {
        res.writeHead(next, { "content-type": "application/json" }).end('{"error":{"code":"unavailable","message":"x"}}');
        return;
      }
      const duplicate = recorded.has(key);
      recorded.add(key);
      res.writeHead(duplicate ? 200 : 202, { "content-type": "application/json" }).end(JSON.stringify({ receipt: { id: `rcpt_${key.slice(1)}`, duplicate } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function job(key: string, sender: Job["sender"] = "shopify"): Job {
  return { key, orderId: `o-${key}`, label: "shop", sender, path: `/${key}`, body: "{}", headers: () => Promise.resolve({ "content-type": "application/json" }), countLatency: true };
}

describe("Dispatcher", () => {
  it("loses a dropped first attempt, then redelivers on the sender's schedule until a 2xx", async () => {
    // 10^7×: Shopify's 56 s first retry becomes ~6 µs.
    const d = new Dispatcher(base, { concurrency: 4, timeFactor: 1e7 });
    script.set("/a", [503]);
    d.submit(job("a"), { firstAt: Date.now(), dropFirst: true, duplicateAt: null });
    await d.idle();
    expect(d.stats).toMatchObject({ webhooks: 1, attempts: 3, lost: 1, requests: 2, retries: 2, accepted: 1, gaveUp: 0 });
    expect(d.stats.statuses).toEqual({ "503": 1, "202": 1 });
    expect([...(d.receipts.get("o-a") ?? [])]).toEqual(["rcpt_a"]);
    expect(d.latencies).toHaveLength(1);
  });

  it("sends a duplicate copy, which the engine absorbs with the same receipt", async () => {
    const d = new Dispatcher(base, { concurrency: 4, timeFactor: 1e7 });
    const now = Date.now();
    d.submit(job("b"), { firstAt: now, dropFirst: false, duplicateAt: now + 20 });
    await d.idle();
    expect(d.stats).toMatchObject({ requests: 2, duplicatesSent: 1, accepted: 1, duplicateReceipts: 1 });
    expect(d.receipts.get("o-b")?.size).toBe(1);
  });

  it("gives up after the sender's last retry and counts it", async () => {
    const d = new Dispatcher(base, { concurrency: 4, timeFactor: 1e9 });
    script.set("/c", Array.from({ length: 20 }, () => 500));
    d.submit(job("c", "standard"), { firstAt: Date.now(), dropFirst: false, duplicateAt: null });
    await d.idle();
    // Svix: the first attempt and 7 retries.
    expect(d.stats).toMatchObject({ requests: 8, retries: 7, gaveUp: 1, accepted: 0 });
    expect(d.pendingFor("o-c")).toBe(0);
  });

  it("keeps at most `concurrency` requests in flight", async () => {
    const d = new Dispatcher(base, { concurrency: 2, timeFactor: 1e7 });
    let peak = 0;
    const now = Date.now();
    for (let i = 0; i < 10; i++) d.submit(job(`p${i}`), { firstAt: now, dropFirst: false, duplicateAt: null });
    const watch = setInterval(() => {
      peak = Math.max(peak, d.inFlight);
    }, 1);
    await d.idle();
    clearInterval(watch);
    expect(peak).toBeLessThanOrEqual(2);
    expect(d.stats.accepted).toBe(10);
  });

  it("a silenced sender sends nothing and retries nothing, and says for which orders", async () => {
    const quietFrom = Date.now() + 10_000;
    const d = new Dispatcher(base, { concurrency: 4, timeFactor: 1e7, now: () => Date.now(), silenced: (label, now) => label === "shop" && now >= quietFrom });
    const now = Date.now();
    d.submit(job("s1"), { firstAt: now, dropFirst: false, duplicateAt: null });
    await d.idle();
    expect(d.stats).toMatchObject({ requests: 1, accepted: 1, silenced: 0 });
    const late = new Dispatcher(base, { concurrency: 4, timeFactor: 1e7, silenced: (label) => label === "shop" });
    script.set("/s2", [503]);
    late.submit(job("s2"), { firstAt: now, dropFirst: false, duplicateAt: now });
    late.submit({ ...job("s3"), label: "stripe" }, { firstAt: now, dropFirst: false, duplicateAt: null });
    await late.idle();
    expect(late.stats).toMatchObject({ requests: 1, silenced: 2, retries: 0, gaveUp: 0 });
    expect([...(late.withheld.get("o-s2") ?? [])]).toEqual(["shop"]);
    expect(late.withheld.has("o-s3")).toBe(false);
    expect(late.pendingFor("o-s2")).toBe(0);
    script.delete("/s2");
  });
});
