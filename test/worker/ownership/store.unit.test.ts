import { describe, expect, it } from "vitest";
import { seal } from "../../../worker/lib/sealed";
import { redact, redactForDisplay, unsealRules } from "../../../worker/ownership/store";
import { EXAMPLE_CONSUMER_SECRETS, exampleRules } from "../../helpers/ownership";

const KEY = "q83vEjWTy6G0lN2xv8mS1fJ0lq7uK0V9X2c1m4s3r5o=";
const OTHER_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

async function sealedExample() {
  const rules = exampleRules();
  for (const c of [rules.steps.routing.consumer, rules.steps.shipping.consumer]) if (c) c.secret = await seal(c.secret, KEY);
  return rules;
}

describe("redact", () => {
  it("masks every consumer secret to whsec_**** and its last 4 characters, leaving the input untouched", () => {
    const rules = exampleRules();
    const out = redact(rules);
    expect(out.steps.routing.consumer?.secret).toBe(`whsec_****${EXAMPLE_CONSUMER_SECRETS.routing.slice(-4)}`);
    expect(out.steps.shipping.consumer?.secret).toBe(`whsec_****${EXAMPLE_CONSUMER_SECRETS.shipping.slice(-4)}`);
    expect(rules.steps.routing.consumer?.secret).toBe(EXAMPLE_CONSUMER_SECRETS.routing);
    expect({ ...out.steps.payment }).toEqual({ ...rules.steps.payment });
  });
});

describe("unsealRules / redactForDisplay", () => {
  it("round-trips sealed secrets", async () => {
    const sealed = await sealedExample();
    expect(sealed.steps.routing.consumer?.secret).not.toContain("whsec_");
    const plain = await unsealRules(sealed, KEY);
    expect(plain.steps.routing.consumer?.secret).toBe(EXAMPLE_CONSUMER_SECRETS.routing);
    expect(plain.steps.shipping.consumer?.secret).toBe(EXAMPLE_CONSUMER_SECRETS.shipping);
  });

  it("shows the plaintext hint, and only the bare mask when the secret cannot be unsealed", async () => {
    const sealed = await sealedExample();
    const shown = await redactForDisplay(sealed, KEY);
    expect(shown.steps.routing.consumer?.secret).toBe(`whsec_****${EXAMPLE_CONSUMER_SECRETS.routing.slice(-4)}`);
    const wrongKey = await redactForDisplay(sealed, OTHER_KEY);
    expect(wrongKey.steps.routing.consumer?.secret).toBe("whsec_****");
    expect(JSON.stringify(wrongKey)).not.toContain(sealed.steps.routing.consumer?.secret);
  });
});
