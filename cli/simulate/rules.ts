import { z } from "zod";
import { STEPS, StoredOwnershipRules, type OwnershipRulesInput, type Step } from "../../domain/ownership/schema";
import { demoOwnershipRules } from "../demo-consumers";

/**
 * The simulator's consumers have to receive the engine's exports, so for the
 * run the tenant's ownership rules point routing at the simulated WMS and
 * shipping at the simulated carrier. Everything else — owners, SLAs, retry
 * policy — stays the tenant's own, because that is what is being tested.
 */

export type StoredRules = z.infer<typeof StoredOwnershipRules>;

export interface ConsumerSecrets {
  wms: string;
  carrier: string;
}

/** The step whose export each simulated consumer receives. */
export const CONSUMER_STEP = { wms: "routing", carrier: "shipping" } as const satisfies Record<keyof ConsumerSecrets, Step>;

export function parseStoredRules(rules: unknown): StoredRules | null {
  const parsed = StoredOwnershipRules.safeParse(rules);
  return parsed.success ? parsed.data : null;
}

function stepsInput(rules: StoredRules): OwnershipRulesInput["steps"] {
  const out: Partial<Record<Step, OwnershipRulesInput["steps"][Step]>> = {};
  for (const step of STEPS) {
    const { consumer: _redacted, ...rule } = rules.steps[step];
    out[step] = rule;
  }
  const { payment, routing, fulfillment, shipping, delivery, customer } = out;
  if (!payment || !routing || !fulfillment || !shipping || !delivery || !customer) throw new Error("ownership rules lack a step");
  return { payment, routing, fulfillment, shipping, delivery, customer };
}

/**
 * The rules for the run: the tenant's current rules with routing and shipping
 * handed to the simulator, or the demo's rules when the tenant has none yet.
 * Other steps' consumers are left out: their secrets come back redacted and
 * cannot be re-sent, and no export is issued for them.
 */
export function simulatorRules(current: StoredRules | null, consumersUrl: string, secrets: ConsumerSecrets): OwnershipRulesInput {
  if (current === null) return demoOwnershipRules(consumersUrl, secrets);
  const steps = stepsInput(current);
  steps.routing = { ...steps.routing, consumer: { url: `${consumersUrl}/wms`, secret: secrets.wms, requires_ack: current.steps.routing.consumer?.requires_ack ?? true } };
  steps.shipping = {
    ...steps.shipping,
    consumer: { url: `${consumersUrl}/carrier`, secret: secrets.carrier, requires_ack: current.steps.shipping.consumer?.requires_ack ?? false },
  };
  return { steps, policy: current.policy };
}

/**
 * The tenant's rules as they were, given the real consumer secrets (which the
 * engine never returns). Null when they cannot be rebuilt faithfully: a step
 * had a consumer whose secret we do not know.
 */
export function restoredRules(original: StoredRules, secrets: ConsumerSecrets | null): OwnershipRulesInput | null {
  const steps = stepsInput(original);
  for (const step of STEPS) {
    const consumer = original.steps[step].consumer;
    if (!consumer) continue;
    const secret = step === CONSUMER_STEP.wms ? secrets?.wms : step === CONSUMER_STEP.carrier ? secrets?.carrier : undefined;
    if (secret === undefined) return null;
    steps[step] = { ...steps[step], consumer: { url: consumer.url, secret, requires_ack: consumer.requires_ack } };
  }
  return { steps, policy: original.policy };
}

