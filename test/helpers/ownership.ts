import fixture from "../fixtures/ownership/rules.json";
import { OwnershipRules } from "../../domain/ownership/schema";

/**
 * The example rule set (test/fixtures/ownership/rules.json), parsed so its
 * defaults are filled in. A fresh copy each call: tests mutate it freely.
 */
export function exampleRules(): OwnershipRules {
  return OwnershipRules.parse(structuredClone(fixture));
}

/** The plaintext consumer secrets in the fixture, for signature checks and leak checks. */
export const EXAMPLE_CONSUMER_SECRETS = {
  routing: fixture.steps.routing.consumer.secret,
  shipping: fixture.steps.shipping.consumer.secret,
} as const;
