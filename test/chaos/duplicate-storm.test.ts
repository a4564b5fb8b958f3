import { afterEach, describe, expect, it } from "vitest";
import { settleAlarms } from "../helpers/http";
import { mapPool } from "../helpers/invariants";
import { Campaign, LIFECYCLE, rng, shuffle } from "./campaign";
import type { Sent } from "./transport";

afterEach(settleAlarms);

const COPIES = 6;

describe("chaos: a duplicate storm", () => {
  it("every delivery ×6 at once (plus forged and stale copies): one receipt each, every copy answered with it, every forgery recorded", async () => {
    const c = await Campaign.open("chaos-storm");
    const random = rng(0xd0b1e);
    const ids = c.newOrders(5);
    await mapPool(ids, 6, (o) => c.pinNow(o));
    const deliveries = ids.flatMap((o) => LIFECYCLE.map((s) => c.delivery(o, s)));
    const storm = shuffle(
      deliveries.flatMap((d) => [
        ...Array.from({ length: COPIES }, () => () => c.send(d)),
        () => c.send(d, { forged: true }),
        ...(d.step === "captured" ? [() => c.send(d, { stale: true })] : []),
      ]),
      random,
    );
    // All at once: no order, no pacing, the same ids racing each other into the same objects.
    const sent: Sent[] = await Promise.all(storm.map((go) => go()));

    for (const d of deliveries) {
      const mine = sent.filter((s) => s.key === d.key && s.status < 400);
      expect(mine.map((s) => s.status).sort(), d.key).toEqual([200, 200, 200, 200, 200, 202]);
      expect(new Set(mine.map((s) => s.receiptId)).size).toBe(1);
    }
    expect(sent.filter((s) => s.code === "signature_invalid")).toHaveLength(deliveries.length);
    expect(sent.filter((s) => s.code === "timestamp_stale")).toHaveLength(ids.length);

    await c.runDue(ids, c.t0 + 1000);
    expect(await c.states(ids)).toEqual(ids.map(() => "delivered"));
    const report = await c.invariants();
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ orders: 5, terminal: 5, receipts: deliveries.length, rejections: deliveries.length + ids.length });
  }, 60_000);
});
