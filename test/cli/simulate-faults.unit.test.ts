import { describe, expect, it } from "vitest";
import { generateCampaign } from "../../cli/simulate/campaign";
import { consumerFaults, deliveryFaults, describeFaults, isSilenced, outageRemaining, parseFaults, planDeliveries, REORDER_HOLD_MS, silenceWindows } from "../../cli/simulate/faults";
import { retryDelayMs } from "../../cli/simulate/schedules";

const SPEC = "drop=0.05,dup=0.2,reorder=0.1,outage=wms:60s,reject=0.02";

describe("parseFaults", () => {
  it("reads the documented spec", () => {
    const f = parseFaults(`${SPEC},slow=0.1:12s,outage=carrier:20s@30s,reject=carrier:0.01`);
    expect(f.drop).toBe(0.05);
    expect(f.dup).toBe(0.2);
    expect(f.reorder).toBe(0.1);
    expect(f.reject).toEqual({ wms: 0.02, carrier: 0.01 });
    expect(f.slow).toEqual({ fraction: 0.1, delayMs: 12_000 });
    expect(f.outages).toEqual([
      { role: "wms", durationMs: 60_000, startMs: null },
      { role: "carrier", durationMs: 20_000, startMs: 30_000 },
    ]);
    expect(describeFaults(f)).toContain("outage=wms:60s");
    expect(describeFaults(parseFaults(undefined))).toBe("none");
  });

  it("refuses what it does not understand, naming the part", () => {
    expect(() => parseFaults("drop=1.5")).toThrow(/drop=1.5/);
    expect(() => parseFaults("lag=0.1")).toThrow(/unknown fault 'lag'/);
    expect(() => parseFaults("outage=oms:60s")).toThrow(/unknown consumer 'oms'/);
    expect(() => parseFaults("outage=wms:sixty")).toThrow(/not a duration/);
    expect(() => parseFaults("silence=erp:60s")).toThrow(/unknown sender 'erp'/);
    expect(() => parseFaults("silence=shop")).toThrow(/silence=<shop\|stripe/);
  });

  it("reads silences, repeatable, with or without a start", () => {
    const f = parseFaults("silence=shop:90s@20s,silence=stripe:2m");
    expect(f.silences).toEqual([
      { role: "shop", durationMs: 90_000, startMs: 20_000 },
      { role: "stripe", durationMs: 120_000, startMs: null },
    ]);
    expect(describeFaults(f)).toBe("silence=shop:90s@20s,silence=stripe:120s");
  });
});

describe("silence windows", () => {
  it("start where told, else a third into the campaign, and silence only their own sender", () => {
    const [shop, stripe] = silenceWindows(parseFaults("silence=shop:90s@20s,silence=stripe:60s"), 1_000_000, 300_000);
    expect(shop).toEqual({ role: "shop", from: 1_020_000, to: 1_110_000 });
    expect(stripe).toEqual({ role: "stripe", from: 1_100_000, to: 1_160_000 });
    const ws = [shop, stripe].filter((w) => w !== undefined);
    expect(isSilenced(ws, "shop", 1_019_999)).toBe(false);
    expect(isSilenced(ws, "shop", 1_020_000)).toBe(true);
    expect(isSilenced(ws, "shop", 1_110_000)).toBe(false);
    expect(isSilenced(ws, "crm", 1_050_000)).toBe(false);
  });
});

describe("inbound fault injection", () => {
  const faults = parseFaults(SPEC);
  const orders = generateCampaign({ orders: 4000, seed: 42, runId: "f" });
  const plans = planDeliveries(orders, faults, 42);

  it("is deterministic with a seed", () => {
    expect(JSON.stringify(planDeliveries(orders, faults, 42))).toBe(JSON.stringify(plans));
    expect(JSON.stringify(planDeliveries(orders, faults, 43))).not.toBe(JSON.stringify(plans));
  });

  it("plans every event exactly once, in send order", () => {
    expect(plans).toHaveLength(orders.reduce((n, o) => n + o.events.length, 0));
    expect(new Set(plans.map((p) => p.event.key)).size).toBe(plans.length);
    for (let i = 1; i < plans.length; i++) expect(plans[i]?.sendAt ?? 0).toBeGreaterThanOrEqual(plans[i - 1]?.sendAt ?? 0);
  });

  it("drops and duplicates the requested fractions, within tolerance", () => {
    const dropped = plans.filter((p) => p.dropFirst).length / plans.length;
    const duplicated = plans.filter((p) => p.duplicateAt !== null).length / plans.length;
    expect(Math.abs(dropped - 0.05)).toBeLessThan(0.01);
    expect(Math.abs(duplicated - 0.2)).toBeLessThan(0.015);
  });

  it("sends duplicates concurrently or after the sender's first retry interval", () => {
    for (const p of plans) {
      if (p.duplicateAt === null) continue;
      expect([0, retryDelayMs(p.sender, 1)]).toContain(p.duplicateAt - p.sendAt);
    }
  });

  it("reorders the requested fraction of orders, and never sends an event before it happened", () => {
    const reordered = new Set<string>();
    for (const p of plans) {
      expect(p.sendAt).toBeGreaterThanOrEqual(p.event.at);
      if (p.sendAt !== p.event.at) reordered.add(p.event.orderId);
    }
    const multi = orders.filter((o) => o.events.length > 1);
    expect(Math.abs(reordered.size / multi.length - 0.1)).toBeLessThan(0.02);
    // In a reordered order, some event now arrives after one that happened later.
    const sample = [...reordered].slice(0, 50);
    for (const id of sample) {
      const sent = plans.filter((p) => p.event.orderId === id).map((p) => p.event.at);
      expect([...sent].sort((a, b) => a - b)).not.toEqual(sent);
      const order = orders.find((o) => o.id === id);
      const last = Math.max(...(order?.events.map((e) => e.at) ?? [0]));
      for (const p of plans.filter((x) => x.event.orderId === id && x.sendAt !== x.event.at)) {
        expect(p.sendAt - last).toBeGreaterThanOrEqual(REORDER_HOLD_MS[0]);
        expect(p.sendAt - last).toBeLessThanOrEqual(REORDER_HOLD_MS[1]);
      }
    }
  });

  it("decides per key, so a decision does not move when other webhooks come and go", () => {
    const alone = deliveryFaults(42, faults, "some-key", "stripe");
    planDeliveries(orders.slice(0, 10), faults, 42);
    expect(deliveryFaults(42, faults, "some-key", "stripe")).toEqual(alone);
  });
});

describe("consumer faults", () => {
  const faults = parseFaults("reject=0.02,slow=0.1:3s,outage=wms:60s,outage=carrier:10s@5s");

  it("rejects and slows the requested fractions of exports, the same for every redelivery", () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `exp_fulfil_order_v1_${i}`);
    const decisions = ids.map((id) => consumerFaults(7, faults, "wms", id));
    const rejected = decisions.filter((d) => d.reject).length / ids.length;
    const slow = decisions.filter((d) => d.slowMs > 0).length / ids.length;
    expect(Math.abs(rejected - 0.02)).toBeLessThan(0.004);
    expect(Math.abs(slow - 0.1)).toBeLessThan(0.01);
    expect(ids.map((id) => consumerFaults(7, faults, "wms", id))).toEqual(decisions);
    // reject=F without a role is the WMS's; the carrier is not touched.
    expect(ids.some((id) => consumerFaults(7, faults, "carrier", id).reject)).toBe(false);
  });

  it("runs an outage from the first delivery, or from its offset after the run starts", () => {
    const start = 1_000_000;
    expect(outageRemaining(faults, "wms", start, null, start + 5000)).toBe(0);
    expect(outageRemaining(faults, "wms", start, start + 2000, start + 2000)).toBe(60_000);
    expect(outageRemaining(faults, "wms", start, start + 2000, start + 62_000)).toBe(0);
    expect(outageRemaining(faults, "carrier", start, null, start + 4999)).toBe(0);
    expect(outageRemaining(faults, "carrier", start, null, start + 6000)).toBe(9000);
    expect(outageRemaining(faults, "carrier", start, null, start + 15_000)).toBe(0);
  });
});
