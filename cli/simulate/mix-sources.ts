import { randomBytes } from "node:crypto";
import { demoPreset, lemonPreset } from "../demo-senders";
import type { SourceBody } from "./api";
import { MIX_ROLES, type MixRole, type SimulateConfig } from "./config";
import type { OrderSenders, SenderMix } from "./senders";

/**
 * The sources the mix's senders beyond Shopify, Stripe and Standard Webhooks
 * post to, configured on the tenant with their kind before the campaign: the
 * EasyPost source reads the order id where the simulated carrier puts it, the
 * hmac source is the Lemon Squeezy preset (dry-run against its sample by the
 * engine, as any PUT of one is).
 */

/** Where the simulated EasyPost carrier names the order in a Tracker. */
export const EASYPOST_ORDER_PATH = "$.result.reference";

/** The mix roles a campaign needs. */
export function mixRoles(mix: SenderMix): MixRole[] {
  const kinds = new Set<string>([...mix.cart, ...mix.payment, ...mix.carrier]);
  return (Object.entries(MIX_ROLES) as [MixRole, string][]).filter(([, kind]) => kinds.has(kind)).map(([role]) => role);
}

function freshSecret(role: MixRole): string {
  // Adyen's HMAC key is hex, as its Customer Area shows it.
  return role === "adyen" ? randomBytes(32).toString("hex") : randomBytes(24).toString("base64url");
}

export function sourceBody(role: MixRole, secret: string): SourceBody {
  switch (role) {
    case "woo":
      return { kind: "woocommerce", secret };
    case "adyen":
      return { kind: "adyen", secret };
    case "easypost":
      return { kind: "easypost", secret, config: { order_id: EASYPOST_ORDER_PATH } };
    case "hmac": {
      const { sample } = lemonPreset();
      return { kind: "hmac", secret, config: { ...demoPreset(), sample: sample as Record<string, unknown> } };
    }
  }
}

/** PUTs each source the mix needs (its secret from the secrets file, else a fresh one) and answers name and secret per role. */
export async function registerMixSources(
  put: (name: string, body: SourceBody) => Promise<unknown>,
  cfg: Pick<SimulateConfig, "sources" | "senders">,
  log: (line: string) => void,
): Promise<Partial<Record<MixRole, { name: string; secret: string }>>> {
  const out: Partial<Record<MixRole, { name: string; secret: string }>> = {};
  for (const role of mixRoles(cfg.senders)) {
    const name = cfg.sources[role]?.name ?? `sim-${role}`;
    const secret = cfg.sources[role]?.secret ?? freshSecret(role);
    await put(name, sourceBody(role, secret));
    out[role] = { name, secret };
    log(`source '${name}' (${MIX_ROLES[role]}) configured for the ${role} sender`);
  }
  return out;
}

/** The stats labels an order's senders report under. */
export function senderLabels(s: OrderSenders): string[] {
  const cart = s.cart === "shopify" ? "shop" : "woo";
  const carrier = s.carrier === "standard" ? "carrier" : "easypost";
  return [cart, s.payment, carrier];
}
