import { z } from "zod";
import { EVENT_TYPES } from "../events/canonical";
import { concatBytes, utf8 } from "../crypto";
import { toMinor } from "../money";
import { HMAC_ALGORITHMS, SIGNATURE_ENCODINGS } from "./hmac";
import { parsePath, readPath, type PathStep } from "./path";

/**
 * The generic `hmac` sender: for a system with no adapter of its own, the
 * tenant describes how it signs (header, algorithm, encoding, prefix, an
 * optional timestamp header and what exactly is signed) and where the
 * canonical envelope's fields are in its payload (paths, ./path.ts). This is
 * the configuration's one schema: PUT …/sources/:source validates it, the
 * adapter reads it.
 */

const HeaderName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, "an HTTP header name")
  .transform((h) => h.toLowerCase());

const Path = z.string().max(256).superRefine((p, ctx) => {
  const parsed = parsePath(p);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: `not a supported path: ${parsed.message}` });
});

export const HmacPresetConfig = z
  .object({
    signature: z.object({
      header: HeaderName,
      algorithm: z.enum(HMAC_ALGORITHMS).default("sha256"),
      encoding: z.enum(SIGNATURE_ENCODINGS).default("hex"),
      /** Text before the signature in the header, e.g. `sha256=`. */
      prefix: z.string().max(64).default(""),
      /** What the HMAC covers: `{body}` is the raw body, `{timestamp}` the timestamp header's value (e.g. `{timestamp}.{body}`). */
      signed_payload: z
        .string()
        .max(128)
        .default("{body}")
        .refine((t) => t.split("{body}").length === 2, "must contain {body} exactly once"),
    }),
    /** A signed unix-seconds timestamp; deliveries further than the tolerance from our clock are refused as stale. */
    timestamp: z.object({ header: HeaderName, tolerance_seconds: z.number().int().min(1).max(86_400).default(300) }).optional(),
    /**
     * Where the delivery id is: a header, or paths into the body joined by ':' (for a sender with no event id of its
     * own, e.g. the event name, the object id and its update time). It is the idempotency key: a redelivery must repeat it.
     */
    delivery_id: z.union([z.object({ header: HeaderName }), z.object({ paths: z.array(Path).min(1).max(4) })]),
    mapping: z.object({
      /** A fixed canonical type, or a path to the sender's own type and a table from its values to canonical types. */
      type: z.union([z.enum(EVENT_TYPES), z.object({ path: Path, values: z.record(z.string().max(128), z.enum(EVENT_TYPES)) })]),
      order_id: Path,
      /** An ISO-8601 instant with an offset, or unix seconds. */
      occurred_at: Path,
      amount: z
        .object({
          value: Path,
          /** `minor`: integer minor units (Stripe-style 1999); `decimal`: "19.99". */
          unit: z.enum(["minor", "decimal"]),
          currency: z.union([z.object({ path: Path }), z.object({ fixed: z.string().regex(/^[A-Za-z]{3}$/) })]),
        })
        .optional(),
    }),
  })
  .superRefine((c, ctx) => {
    if (c.signature.signed_payload.includes("{timestamp}") && c.timestamp === undefined) {
      ctx.addIssue({ code: "custom", path: ["signature", "signed_payload"], message: "signs {timestamp} but no timestamp header is configured" });
    }
  });
export type HmacPresetConfig = z.infer<typeof HmacPresetConfig>;

function steps(path: string): PathStep[] {
  const parsed = parsePath(path);
  // Validated at configuration time; a stored path that no longer parses reads nothing.
  return parsed.ok ? parsed.steps : [{ member: "\u0000unparseable" }];
}

export function at(body: unknown, path: string): unknown {
  return readPath(body, steps(path));
}

/** An event as the mapping reads it, before the canonical schema has had its say. */
export interface PresetDraft {
  type: string | undefined;
  senderType: unknown;
  orderId: unknown;
  occurredAt: unknown;
  data: Record<string, unknown>;
}

function instant(v: unknown): unknown {
  if (typeof v === "number" && Number.isFinite(v)) {
    const d = new Date(v * 1000);
    return Number.isFinite(d.getTime()) ? d.toISOString() : v;
  }
  return v;
}

/** Throws when an amount is present but unreadable: the mapping's schema mismatch, not a guess. */
function amount(body: unknown, spec: NonNullable<HmacPresetConfig["mapping"]["amount"]>): Record<string, unknown> | undefined {
  const value = at(body, spec.value);
  if (value === undefined || value === null) return undefined;
  const currencyRaw = "fixed" in spec.currency ? spec.currency.fixed : at(body, spec.currency.path);
  if (typeof currencyRaw !== "string") throw new Error(`amount ${JSON.stringify(value)} has no currency at ${"path" in spec.currency ? spec.currency.path : "(fixed)"}`);
  const currency = currencyRaw.toUpperCase();
  if (spec.unit === "minor") return { amount_minor: value, currency };
  if (typeof value !== "string" && typeof value !== "number") throw new Error(`amount ${JSON.stringify(value)} is not a decimal`);
  return { amount_minor: toMinor(value, currency), currency };
}

export function mapPreset(body: unknown, c: HmacPresetConfig): PresetDraft {
  const m = c.mapping;
  const senderType = typeof m.type === "string" ? m.type : at(body, m.type.path);
  const type =
    typeof m.type === "string"
      ? m.type
      : typeof senderType === "string" && Object.prototype.hasOwnProperty.call(m.type.values, senderType)
        ? m.type.values[senderType]
        : undefined;
  const money = m.amount === undefined ? undefined : amount(body, m.amount);
  const data: Record<string, unknown> = {};
  if (money !== undefined && type !== undefined) {
    if (type.startsWith("payment.")) data.amount = money;
    else if (type === "order.created" || type === "order.updated") data.total = money;
  }
  // A refund read from a generic sender is one refund's amount, never known to be the whole capture.
  if (type === "payment.refunded") data.full = false;
  return { type, senderType, orderId: at(body, m.order_id), occurredAt: instant(at(body, m.occurred_at)), data };
}

/** The delivery id read from the body (all paths present), or undefined. */
export function bodyDeliveryId(body: unknown, paths: readonly string[]): string | undefined {
  const parts = paths.map((p) => at(body, p));
  if (!parts.every((v) => (typeof v === "string" && v.trim() !== "") || (typeof v === "number" && Number.isFinite(v)))) return undefined;
  return parts.map(String).join(":");
}

/** The bytes the sender's HMAC covers, per `signed_payload`. */
export function presetSignedBytes(template: string, raw: Uint8Array, timestamp: string): Uint8Array {
  const [before = "", after = ""] = template.split("{body}");
  return concatBytes(utf8(before.split("{timestamp}").join(timestamp)), raw, utf8(after.split("{timestamp}").join(timestamp)));
}
