import { utf8 } from "../../domain/crypto";
import { decodeSignature, hmacVerify } from "../../domain/webhooks/hmac";
import { bodyDeliveryId, HmacPresetConfig, mapPreset, presetSignedBytes } from "../../domain/webhooks/preset";
import { firstInstant, idText, mappingFailure, parseFailure, parseJsonObject, staleFailure, text, timestampProblem, validateEvents, verifyFailure } from "./common";
import type { HeaderGetter, ParseResult, SourceAdapter, VerifyInput, VerifyResult } from "./types";

/**
 * The generic `hmac` sender: signature rule and payload mapping both come from
 * the source's configuration (domain/webhooks/preset.ts), validated with a
 * dry-run against a sample body when the source is stored.
 */

function config(settings: unknown): HmacPresetConfig | null {
  const parsed = HmacPresetConfig.safeParse(settings);
  return parsed.success ? parsed.data : null;
}

async function verify({ raw, headers, secret, now, settings }: VerifyInput): Promise<VerifyResult> {
  const c = config(settings);
  if (c === null) return verifyFailure("signature_invalid", "Source has no valid hmac configuration");
  const sig = c.signature;
  const header = headers(sig.header);
  if (header === null || header.trim() === "") return verifyFailure("signature_missing", `${sig.header} header is missing`);
  const value = header.trim();
  if (!value.startsWith(sig.prefix)) return verifyFailure("signature_invalid", `${sig.header} does not start with '${sig.prefix}'`);
  const signature = decodeSignature(value.slice(sig.prefix.length), sig.encoding);
  if (signature === null) return verifyFailure("signature_invalid", `${sig.header} is not ${sig.encoding}`);
  let timestamp = "";
  if (c.timestamp !== undefined) {
    const ts = headers(c.timestamp.header)?.trim() ?? "";
    if (ts === "") return verifyFailure("signature_missing", `${c.timestamp.header} header is missing`);
    if (!/^\d{1,12}$/.test(ts)) return verifyFailure("signature_invalid", `${c.timestamp.header} is not unix seconds`);
    timestamp = ts;
  }
  if (secret === "") return verifyFailure("signature_invalid", "Source has an empty signing secret");
  const ok = await hmacVerify(sig.algorithm, utf8(secret), presetSignedBytes(sig.signed_payload, raw, timestamp), signature);
  if (!ok) return verifyFailure("signature_invalid", `${sig.header} does not match the body`);
  if (c.timestamp === undefined) return { ok: true };
  // After the HMAC, as for every sender: "stale" always means an authentic but old delivery.
  const problem = timestampProblem(Number(timestamp), now, c.timestamp.tolerance_seconds);
  return problem === null ? { ok: true } : staleFailure(problem);
}

function parse({ raw, headers, source, settings }: { raw: Uint8Array; headers: HeaderGetter; source: string; settings?: unknown }): ParseResult {
  const c = config(settings);
  if (c === null) return parseFailure("schema_mismatch", "Source has no valid hmac configuration");
  const body = parseJsonObject(raw);
  if (!body.ok) return body;
  const deliveryId = "header" in c.delivery_id ? text(headers(c.delivery_id.header)) : bodyDeliveryId(body.value, c.delivery_id.paths);
  if (deliveryId === undefined) {
    const where = "header" in c.delivery_id ? `header ${c.delivery_id.header}` : c.delivery_id.paths.join(", ");
    return parseFailure("schema_mismatch", `No delivery id at ${where}; cannot deduplicate`);
  }
  const idempotencyKey = `${source}:${deliveryId.trim()}`;
  let draft;
  try {
    draft = mapPreset(body.value, c);
  } catch (err) {
    return mappingFailure(err);
  }
  if (draft.type === undefined) {
    return parseFailure("unsupported_event", `Sender type ${JSON.stringify(draft.senderType)} has no canonical mapping`);
  }
  const orderId = idText(draft.orderId);
  if (orderId === undefined) return parseFailure("order_id_missing", `No order id at ${c.mapping.order_id}`);
  const checked = validateEvents([{ id: `${idempotencyKey}#0`, type: draft.type, order_id: orderId, occurred_at: firstInstant(draft.occurredAt) ?? draft.occurredAt, source, data: draft.data }]);
  if (!checked.ok) return checked;
  return { ok: true, idempotencyKey, orderId, events: checked.events };
}

function configuredHeaders(settings: unknown): { evidence: string[]; signatures: string[] } {
  const c = config(settings);
  if (c === null) return { evidence: [], signatures: [] };
  const evidence = [c.signature.header];
  if (c.timestamp !== undefined) evidence.push(c.timestamp.header);
  if ("header" in c.delivery_id) evidence.push(c.delivery_id.header);
  return { evidence, signatures: [c.signature.header] };
}

export const hmac = {
  kind: "hmac",
  evidenceHeaders: [],
  configuredHeaders,
  verify,
  parse,
} satisfies SourceAdapter;
