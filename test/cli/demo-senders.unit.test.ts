import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEMO_SENDERS, demoSources, signDemo, type DemoSource } from "../../cli/demo-senders";
import { headerGetter } from "../../cli/sign";
import { stampNow } from "../../cli/stamp";
import { adapters } from "../../worker/sources";

/**
 * `demo:send` has a fixture for every sender, and every fixture it offers,
 * signed by the one signer (signAs) with the secret and configuration
 * `npm start` registers, passes that sender's adapter as the engine runs it:
 * verified, then mapped (a stock message as stock; a product without
 * managed stock as ignored).
 */

const FIXTURES = path.resolve(import.meta.dirname, "..", "fixtures");
const SECRETS: Record<DemoSource, string> = {
  shop: "shpss_demo_secret",
  stripe: "whsec_demo_stripe",
  wms: `whsec_${Buffer.alloc(24, 3).toString("base64")}`,
  carrier: `whsec_${Buffer.alloc(24, 4).toString("base64")}`,
  woo: "woo_demo_secret",
  adyen: "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056",
  easypost: "easypost-demo-secret",
  lemon: "lemon-demo-secret",
};
const registered = demoSources(SECRETS);

function fixtures(source: DemoSource): string[] {
  return readdirSync(path.join(FIXTURES, DEMO_SENDERS[source].dir))
    .filter((f) => f.endsWith(".json") && !f.endsWith(".config.json"))
    .map((f) => f.replace(/\.json$/, ""));
}

describe("demo:send", () => {
  it("has a sender of every kind the engine understands, each with fixtures", () => {
    expect(new Set(Object.values(DEMO_SENDERS).map((s) => s.kind))).toEqual(new Set(Object.keys(adapters)));
    for (const source of Object.keys(DEMO_SENDERS) as DemoSource[]) expect(fixtures(source).length, source).toBeGreaterThan(0);
  });

  for (const source of Object.keys(DEMO_SENDERS) as DemoSource[]) {
    it(`${source}: every fixture, signed as ${DEMO_SENDERS[source].kind} signs it, verifies and maps`, async () => {
      const kind = DEMO_SENDERS[source].kind;
      const adapter = adapters[kind];
      const settings = (registered[source]?.config ?? null) as unknown;
      for (const fixture of fixtures(source)) {
        const { body: stamped } = stampNow(readFileSync(path.join(FIXTURES, DEMO_SENDERS[source].dir, `${fixture}.json`), "utf8"), Date.now());
        const signed = await signDemo(source, fixture, stamped, SECRETS[source]);
        const raw = new TextEncoder().encode(signed.body);
        const headers = headerGetter(signed.headers);
        expect(await adapter.verify({ raw, headers, secret: SECRETS[source], now: Date.now(), settings }), `${source} ${fixture}`).toEqual({ ok: true });
        const input = { raw, headers, source, settings };
        const mapped = adapter.parseStock?.(input) ?? adapter.parse(input);
        expect(mapped.ok ? "ok" : `${mapped.code}: ${mapped.message}`, `${source} ${fixture}`).toBe("ok");
      }
    });
  }
});
