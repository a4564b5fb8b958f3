import { describe, expect, it } from "vitest";
import { seal } from "../../../worker/lib/sealed";
import { secretFingerprint, sha256Hex } from "../../../domain/crypto";
import { redactForDisplay, UNREADABLE_SECRET, unsealRules } from "../../../worker/ownership/store";
import { EXAMPLE_CONSUMER_SECRETS, exampleRules } from "../../helpers/ownership";

const KEY = "q83vEjWTy6G0lN2xv8mS1fJ0lq7uK0V9X2c1m4s3r5o=";
const OTHER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

async function sealedExample() {
  const rules = exampleRules();
  for (const c of [rules.steps.routing.consumer, rules.steps.shipping.consumer]) if (c) c.secret = await seal(c.secret, KEY);
  return rules;
}

describe("unsealRules / redactForDisplay", () => {
  it("round-trips sealed secrets", async () => {
    const sealed = await sealedExample();
    expect(sealed.steps.routing.consumer?.secret).not.toContain("whsec_");
    const plain = await unsealRules(sealed, KEY);
    expect(plain.steps.routing.consumer?.secret).toBe(EXAMPLE_CONSUMER_SECRETS.routing);
    expect(plain.steps.shipping.consumer?.secret).toBe(EXAMPLE_CONSUMER_SECRETS.shipping);
  });

  it("shows a keyed fingerprint of each secret, none of its characters, leaving the input untouched", async () => {
    const sealed = await sealedExample();
    const before = structuredClone(sealed);
    const shown = await redactForDisplay(sealed, KEY);
    const routing = shown.steps.routing.consumer?.secret ?? "";
    const shipping = shown.steps.shipping.consumer?.secret ?? "";
    expect(routing).toMatch(/^sha256:[0-9a-f]{8}$/);
    expect(routing).toBe(await secretFingerprint(EXAMPLE_CONSUMER_SECRETS.routing, KEY));
    // Two different secrets tell apart; the same secret shows the same fingerprint on every read.
    expect(shipping).not.toBe(routing);
    expect((await redactForDisplay(sealed, KEY)).steps.routing.consumer?.secret).toBe(routing);
    // Keyed: the plain SHA-256 of the secret (what an attacker could compute from a guess) is not what is shown.
    expect(routing.slice(7)).not.toBe((await sha256Hex(EXAMPLE_CONSUMER_SECRETS.routing)).slice(0, 8));
    expect(await secretFingerprint(EXAMPLE_CONSUMER_SECRETS.routing, OTHER_KEY)).not.toBe(routing);
    for (const secret of Object.values(EXAMPLE_CONSUMER_SECRETS)) expect(JSON.stringify(shown)).not.toContain(secret.slice(-4));
    expect(sealed).toEqual(before);
    expect({ ...shown.steps.payment }).toEqual({ ...sealed.steps.payment });
  });

  it("shows only 'unavailable' when the secret cannot be unsealed, never the ciphertext", async () => {
    const sealed = await sealedExample();
    const wrongKey = await redactForDisplay(sealed, OTHER_KEY);
    expect(wrongKey.steps.routing.consumer?.secret).toBe(UNREADABLE_SECRET);
    expect(JSON.stringify(wrongKey)).not.toContain(sealed.steps.routing.consumer?.secret);
  });
});;
