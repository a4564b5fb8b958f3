import { describe, expect, it } from "vitest";
import {
  OwnershipRules,
  retryPolicyMs,
  stepSlaMs,
  STEPS,
  StoredOwnershipRules,
} from "../../../domain/ownership/schema";
import { exampleRules } from "../../helpers/ownership";

type Issue = { path: string; message: string };

function issues(input: unknown): Issue[] {
  const r = OwnershipRules.safeParse(input);
  expect(r.success).toBe(false);
  return (r.error?.issues ?? []).map((i) => ({ path: i.path.join("."), message: i.message }));
}

/** The example rules as plain JSON, for tests that break one field. */
function example(): Record<string, unknown> & { steps: Record<string, Record<string, unknown>>; policy?: Record<string, unknown> } {
  return JSON.parse(JSON.stringify(exampleRules())) as ReturnType<typeof example>;
}

function step(rules: ReturnType<typeof example>, name: string): Record<string, unknown> {
  const s = rules.steps[name];
  if (!s) throw new Error(`no step ${name}`);
  return s;
}

describe("OwnershipRules: accepts", () => {
  it("the example fixture, keeping it as written", () => {
    const rules = exampleRules();
    expect(rules.policy).toEqual({ fulfil_on: "captured", retry: { initial: "PT1S", max_interval: "PT30S", max_attempts: 5, max_age: "PT10M" } });
    expect(rules.steps.shipping.consumer?.requires_ack).toBe(false);
  });

  it("fills defaults: requires_ack true, fulfil_on captured, the retry policy", () => {
    const input = example();
    delete input.policy;
    delete step(input, "routing").consumer;
    step(input, "routing").consumer = { url: "https://wms.example.com/hook", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" };
    const rules = OwnershipRules.parse(input);
    expect(rules.steps.routing.consumer?.requires_ack).toBe(true);
    expect(rules.policy).toEqual({ fulfil_on: "captured", retry: { initial: "PT1S", max_interval: "PT5M", max_attempts: 8, max_age: "PT24H" } });
    const partial = OwnershipRules.parse({ ...input, policy: { fulfil_on: "authorized", retry: { max_attempts: 3 } } });
    expect(partial.policy).toEqual({ fulfil_on: "authorized", retry: { initial: "PT1S", max_interval: "PT5M", max_attempts: 3, max_age: "PT24H" } });
  });

  it("a customer step without a consumer and without an exception path", () => {
    const input = example();
    delete step(input, "customer").exception_path;
    expect(OwnershipRules.safeParse(input).success).toBe(true);
  });
});

describe("OwnershipRules: refusals name the field", () => {
  it.each(["payment", "routing", "fulfillment", "shipping", "delivery"])("missing exception_path on %s", (name) => {
    const input = example();
    delete step(input, name).exception_path;
    const found = issues(input);
    expect(found).toEqual([{ path: `steps.${name}.exception_path`, message: expect.stringMatching(new RegExp(`steps\\.${name}\\.exception_path is required`)) }]);
  });

  it("missing exception_path on a customer step that is handed to a consumer", () => {
    const input = example();
    delete step(input, "customer").exception_path;
    step(input, "customer").consumer = { url: "https://crm.example.com/hook", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" };
    expect(issues(input)).toEqual([{ path: "steps.customer.exception_path", message: expect.stringMatching(/handed to a consumer/) }]);
  });

  it.each([
    ["not a duration", /not an ISO-8601 duration/],
    ["P1M", /months/],
    ["P1Y", /years/],
    ["PT0S", /zero/],
  ])("SLA %j", (sla, why) => {
    const input = example();
    step(input, "fulfillment").sla = sla;
    expect(issues(input)).toEqual([{ path: "steps.fulfillment.sla", message: expect.stringMatching(why) }]);
  });

  it.each([
    ["ftp://files.example.com/drop", /consumer\.url must use http or https, not 'ftp'/],
    ["file:///etc/passwd", /not 'file'/],
    ["javascript:alert(1)", /not 'javascript'/],
    ["not a url", /consumer\.url is not a valid absolute URL/],
    ["https://user:pw@wms.example.com/", /must not carry credentials/],
  ])("consumer url %j", (url, why) => {
    const input = example();
    (step(input, "routing").consumer as Record<string, unknown>).url = url;
    expect(issues(input)).toEqual([{ path: "steps.routing.consumer.url", message: expect.stringMatching(why) }]);
  });

  it.each([
    "not-a-secret",
    "whsec_",
    "whsec_c2hvcnQ=", // 5 bytes
    "whsec_!!!!not*base64!!!!",
    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", // right bytes, missing the whsec_ prefix
  ])("consumer secret %j", (secret) => {
    const input = example();
    (step(input, "shipping").consumer as Record<string, unknown>).secret = secret;
    expect(issues(input)).toEqual([{ path: "steps.shipping.consumer.secret", message: expect.stringMatching(/whsec_.*base64 of at least 16 bytes/) }]);
  });

  it("a missing step, a missing contact and a bad exception type", () => {
    const input = example();
    delete input.steps.delivery;
    delete step(input, "payment").backup;
    step(input, "routing").exception_path = { type: "carrier-pigeon", contact_id: "x" };
    const paths = issues(input).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["steps.delivery", "steps.payment.backup", "steps.routing.exception_path.type"]));
  });

  it("empty contacts and a malformed owning party", () => {
    const input = example();
    step(input, "payment").owner = "   ";
    step(input, "payment").owning_party = "Merchant Team";
    const found = issues(input);
    expect(found.map((i) => i.path).sort()).toEqual(["steps.payment.owner", "steps.payment.owning_party"]);
    expect(found.find((i) => i.path === "steps.payment.owning_party")?.message).toMatch(/3pl:acme/);
  });

  it("unknown keys (a misspelt exception path must not silently vanish)", () => {
    const input = example();
    const customer = step(input, "customer");
    delete customer.exception_path;
    customer.exeption_path = { type: "email", contact_id: "cx@acme.example" };
    expect(issues(input)).toEqual([{ path: "steps.customer", message: expect.stringMatching(/exeption_path/) }]);
  });

  it("a retry policy whose initial interval exceeds max_interval, or out-of-range attempts", () => {
    const input = example();
    input.policy = { retry: { initial: "PT10M", max_interval: "PT1M" } };
    expect(issues(input)).toEqual([{ path: "policy.retry.initial", message: expect.stringMatching(/must not exceed policy\.retry\.max_interval/) }]);
    input.policy = { retry: { max_attempts: 0 } };
    expect(issues(input).map((i) => i.path)).toEqual(["policy.retry.max_attempts"]);
    input.policy = { retry: { max_attempts: 51 } };
    expect(issues(input).map((i) => i.path)).toEqual(["policy.retry.max_attempts"]);
    input.policy = { fulfil_on: "shipped" };
    expect(issues(input).map((i) => i.path)).toEqual(["policy.fulfil_on"]);
  });
});

describe("StoredOwnershipRules", () => {
  it("accepts a sealed (non-whsec) secret that the input schema refuses", () => {
    const input = example();
    (step(input, "routing").consumer as Record<string, unknown>).secret = "AAAAbm90IGEgcmVhbCBjaXBoZXJ0ZXh0";
    expect(OwnershipRules.safeParse(input).success).toBe(false);
    expect(StoredOwnershipRules.safeParse(input).success).toBe(true);
  });
});

describe("helpers", () => {
  it("stepSlaMs gives each step's SLA in ms", () => {
    const rules = exampleRules();
    expect(STEPS.map((s) => stepSlaMs(rules, s))).toEqual([4 * 86_400_000, 30_000, 4 * 3_600_000, 86_400_000, 5 * 86_400_000, 2 * 3_600_000]);
  });

  it("retryPolicyMs converts the retry policy", () => {
    expect(retryPolicyMs(exampleRules())).toEqual({ initial: 1_000, max_interval: 30_000, max_attempts: 5, max_age: 600_000 });
  });
});
