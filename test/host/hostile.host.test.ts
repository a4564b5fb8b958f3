import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalEngine, type LocalEngine } from "../../cli/dev-server";
import { hostileTenant, runHostileMix, type HostileReport } from "./hostile-mix";

/**
 * The local host `npm start`, the browser tests and the load bench run (wrangler dev,
 * the version in package.json) with the real engine, under the hostile mix of
 * test/host/hostile-mix.ts while honest signed senders post orders: the engine must
 * never exit, the honest senders must never see a 5xx or a refused connection, and
 * every order acknowledged with 202 must be there afterwards.
 */

const ADMIN = "host-test-admin";
const SECRETS_KEY = "q83vEjWTy6G0lN2xv8mS1fJ0lq7uK0V9X2c1m4s3r5o=";

let engine: LocalEngine;
let report: HostileReport;

beforeAll(async () => {
  engine = await startLocalEngine({ vars: { ADMIN_TOKEN: ADMIN, SECRETS_KEY }, devArgs: ["--log-level", "warn"] });
  const target = await hostileTenant(engine.url, ADMIN, "hostile");
  report = await runHostileMix(target, { rounds: 2, honestSenders: 2 });
});

afterAll(async () => {
  await engine.stop();
});

describe("the local host under a hostile mix", () => {
  it("never exits and still answers", async () => {
    expect(engine.exits(), engine.log()).toBe(0);
    const health = await fetch(`${engine.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it("refuses the oversized bodies with 413 instead of falling over", () => {
    expect(report.hostile["2 MiB body"]).toEqual({ "413": 2 });
    // A 50 MiB upload may be answered 413 or cut once refused; it must never be a 5xx.
    expect(Object.keys(report.hostile["50 MiB body"] ?? {}).filter((k) => k.startsWith("5"))).toEqual([]);
  });

  it("gives honest senders no 5xx, no refused connection, and keeps every acknowledged order", () => {
    expect(report.honest.status5xx).toBe(0);
    expect(report.honest.connectionErrors).toBe(0);
    expect(report.honest.unexpected).toEqual({});
    expect(report.honest.acked).toBe(report.honest.sent);
    expect(report.honest.acked).toBeGreaterThanOrEqual(6);
    expect(report.honest.missing).toEqual([]);
  });
});
