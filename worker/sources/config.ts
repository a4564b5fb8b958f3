import { z } from "@hono/zod-openapi";
import { fromBase64 } from "../../domain/crypto";
import { adyenKey } from "../../domain/webhooks/adyen";
import { parsePath } from "../../domain/webhooks/path";
import { HmacPresetConfig } from "../../domain/webhooks/preset";
import { Duration } from "../../domain/ownership/schema";
import { ApiError } from "../errors";
import { hmac } from "./hmac";

/**
 * What `PUT …/sources/:source` accepts, per kind: the secret and, for the kinds
 * that need one, their configuration. A kind's rules about its secret (a
 * Standard Webhooks `whsec_` key, an Adyen hex key) are checked here, so a
 * sender that could never verify is refused when it is stored, not on its
 * first delivery.
 */

const Secret = z.string().min(8).max(512);
const Watch = z
  .object({ silence_after: Duration.describe("How long this sender may send no verified delivery, while it is expected to send, before a source_silent task opens") })
  .strict()
  .nullable()
  .optional()
  .describe("Omit to keep the current setting, null to clear it");

const EasyPostConfig = z
  .object({
    order_id: z
      .string()
      .max(256)
      .refine((p) => parsePath(p).ok, "not a supported path (see README: $, .name, ['name'], [index])")
      .optional()
      .openapi({ description: "Where the order id is in the Event, e.g. `$.result.reference` (the default)." }),
  })
  .openapi("EasyPostConfig");

const HmacInput = HmacPresetConfig.and(
  z.object({
    /** A body the sender really sends, mapped once as a dry run before anything is stored; never stored itself. */
    sample: z.record(z.string(), z.unknown()),
    sample_headers: z.record(z.string(), z.string()).optional(),
  }),
).openapi("HmacPresetConfig", {
  description:
    "Signature: `signature.header`, `algorithm` (sha1|sha256|sha512), `encoding` (hex|base64), `prefix`, `signed_payload` ({timestamp}, {body}); optional `timestamp` header with `tolerance_seconds`; `delivery_id` from a header or a path; `mapping` of type, order_id, occurred_at and amount by path. `sample` is mapped as a dry run.",
});

export const SourceInput = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("shopify"), watch: Watch, secret: Secret }),
    z.object({ kind: z.literal("stripe"), watch: Watch, secret: Secret }),
    z.object({ kind: z.literal("standard"), watch: Watch, secret: Secret }),
    z.object({ kind: z.literal("woocommerce"), watch: Watch, secret: Secret }),
    z.object({ kind: z.literal("adyen"), watch: Watch, secret: Secret.openapi({ description: "The webhook's HMAC key, hex as the Customer Area shows it." }) }),
    z.object({ kind: z.literal("easypost"), watch: Watch, secret: Secret, config: EasyPostConfig.optional() }),
    z.object({ kind: z.literal("hmac"), watch: Watch, secret: Secret, config: HmacInput }),
  ])
  .superRefine((v, ctx) => {
    if (v.kind === "standard") {
      const b64 = v.secret.startsWith("whsec_") ? v.secret.slice(6) : v.secret;
      const key = fromBase64(b64);
      if (!key || key.length < 16) {
        ctx.addIssue({ code: "custom", path: ["secret"], message: "Standard Webhooks secret must be 'whsec_' + base64 of at least 16 bytes" });
      }
    }
    if (v.kind === "adyen") {
      const key = adyenKey(v.secret);
      if (key === null || key.length < 16) ctx.addIssue({ code: "custom", path: ["secret"], message: "Adyen HMAC key must be hex, at least 32 digits" });
    }
  })
  .openapi("SourceInput");
export type SourceInput = z.infer<typeof SourceInput>;

/**
 * The configuration to store for a source: none for most kinds; the `hmac`
 * preset after its sample maps to a valid canonical event (400
 * `validation_failed` naming what failed otherwise), without the sample.
 */
export function storedConfig(input: SourceInput, source: string): unknown {
  if (input.kind === "easypost") return input.config ?? null;
  if (input.kind !== "hmac") return null;
  const { sample, sample_headers, ...config } = input.config;
  const headers = new Map(Object.entries(sample_headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  // A header-borne delivery id is the sender's at run time; the dry run needs only some value there.
  if ("header" in config.delivery_id && !headers.has(config.delivery_id.header)) headers.set(config.delivery_id.header, "dry-run");
  const raw = new TextEncoder().encode(JSON.stringify(sample));
  const parsed = hmac.parse({ raw, headers: (n) => headers.get(n.toLowerCase()) ?? null, source, settings: config });
  if (!parsed.ok) {
    throw new ApiError("validation_failed", `The sample did not map: ${parsed.message}`, [
      { path: "config.sample", message: parsed.message, code: parsed.code, ...(parsed.details === undefined ? {} : { details: parsed.details }) },
    ]);
  }
  return config;
}
