import fc from "fast-check";
import { ERROR_CODES, type ErrorCode } from "../../worker/errors";
import { fromBase64 } from "../../domain/crypto";
import { nowSeconds, presetHeaders, signShopify, signStandard, signStripe } from "../../cli/sign";
import { signAdyen } from "../../domain/webhooks/adyen";
import { signEasyPost } from "../../domain/webhooks/easypost";
import { LEMON_PRESET, putNewSenders } from "../helpers/senders";
import type { Sender } from "../helpers/arbitraries";
import { BASE, SECRETS, seedTenant } from "../helpers/http";
import { checkInvariants, type InvariantReport } from "../helpers/invariants";
import { Ledger, readAnswer, workerFetch, workerJson, type Sent } from "../chaos/transport";
import type { FuzzCase } from "./cases";

/**
 * Sends fuzz cases through the real Worker (its fetch handler with the real
 * bindings; test/chaos/transport.ts says why not via exports.default) and judges
 * each answer: never 5xx; a 4xx is a documented code in the one envelope with
 * the status that code is documented with, and is recorded as exactly one
 * rejection (unless the tenant is unknown: there is nobody to record it for);
 * a 2xx is a receipt, and a valid delivery always gets one.
 */

export const SOURCE: Record<Sender, string> = { shopify: "shop", stripe: "stripe", standard: "wms", woocommerce: "woo", adyen: "adyen", easypost: "easypost", hmac: "lemon" };
const WRONG_SECRET: Record<Sender, string> = {
  shopify: "shpss_not_the_secret",
  stripe: "whsec_not_the_secret",
  standard: "whsec_d3JvbmcgZnV6eiBrZXkgYnl0ZXM=",
  woocommerce: "wc_not_the_secret",
  adyen: "00".repeat(32),
  easypost: "ep_not_the_secret",
  hmac: "not_the_lemon_secret",
};

/**
 * Adyen signs inside the body: every NotificationRequestItem gets its own
 * additionalData.hmacSignature (`garbage` puts that value there instead). A
 * body that is not a JSON object with items cannot be signed and goes as it is.
 */
async function signAdyenBody(body: Uint8Array, hexKey: string, garbage: string | null, otherBody: boolean): Promise<Uint8Array> {
  let parsed: unknown;
  try {
    // Strict, as the engine reads bodies: a body that is not UTF-8 cannot be signed (and the engine never parses it).
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
  } catch {
    return body;
  }
  const list = typeof parsed === "object" && parsed !== null && "notificationItems" in parsed ? parsed.notificationItems : null;
  if (!Array.isArray(list)) return body;
  for (const entry of list) {
    const item: unknown = typeof entry === "object" && entry !== null && "NotificationRequestItem" in entry ? entry.NotificationRequestItem : null;
    if (typeof item !== "object" || item === null || Array.isArray(item)) continue;
    const fields = item as Record<string, unknown>;
    const extra = typeof fields.additionalData === "object" && fields.additionalData !== null ? fields.additionalData : {};
    const signed = otherBody ? { ...fields, pspReference: "LIFTEDFROMOTHER1" } : fields;
    fields.additionalData = { ...extra, hmacSignature: garbage ?? (await signAdyen(signed, hexKey)) };
  }
  return new TextEncoder().encode(JSON.stringify(parsed));
}

/** The refusals the webhook edge documents (README, "Refusals"); 503s are documented too, but must not happen here. */
const EDGE_CODES = new Set<string>([
  "tenant_not_found",
  "source_not_found",
  "payload_too_large",
  "signature_missing",
  "signature_invalid",
  "timestamp_stale",
  "invalid_json",
  "unsupported_event",
  "order_id_missing",
  "schema_mismatch",
  "order_too_large",
  "topic_mismatch",
  "topic_conflict",
]);
/**
 * Refusals of a body whose signature matched: their record must say the body is genuine.
 * timestamp_stale is one (the HMAC is checked first; only the signed time is out of tolerance).
 */
const AFTER_VERIFY = new Set<string>([
  "timestamp_stale",
  "invalid_json",
  "unsupported_event",
  "order_id_missing",
  "schema_mismatch",
  "order_too_large",
  "topic_mismatch",
  "topic_conflict",
]);

/** JSON whitespace after the body, up to `size` bytes. */
function padTo(raw: Uint8Array, size: number): Uint8Array {
  const padded = new Uint8Array(size).fill(0x20);
  padded.set(raw);
  return padded;
}

function bodyBytes(c: FuzzCase): Uint8Array {
  const raw = "text" in c.body ? new TextEncoder().encode(c.body.text) : (fromBase64(c.body.base64) ?? new Uint8Array());
  if (c.pad_to === null || raw.length >= c.pad_to) return raw;
  return padTo(raw, c.pad_to);
}

/** Signs at send time, as the sender would, so a saved case replays with a fresh timestamp. */
export async function toRequest(c: FuzzCase, tenant: string): Promise<Request> {
  const body = bodyBytes(c);
  // HTTP drops leading and trailing whitespace from header values, so a sender signs (and we verify) the trimmed value.
  const headers = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k, v.replace(/^[ \t]+|[ \t]+$/g, "")]));
  const ts = nowSeconds() + (c.sign.kind === "valid" || c.sign.kind === "stale" ? c.sign.skew_sec : 0);
  const signed = c.sign.kind === "other_body" ? new TextEncoder().encode('{"type":"order.created"}') : body;
  const secret = c.sign.kind === "wrong_secret" ? WRONG_SECRET[c.sender] : SECRETS[c.sender];
  const garbage = c.sign.kind === "garbage" ? c.sign.value : null;
  const sign = c.sign.kind !== "none";
  if (c.sender === "shopify") {
    if (garbage !== null) headers["x-shopify-hmac-sha256"] = garbage;
    else if (sign) headers["x-shopify-hmac-sha256"] = await signShopify(signed, secret);
  } else if (c.sender === "stripe") {
    if (garbage !== null) headers["stripe-signature"] = garbage;
    else if (sign) headers["stripe-signature"] = await signStripe(signed, secret, ts);
  } else if (c.sender === "woocommerce") {
    if (garbage !== null) headers["x-wc-webhook-signature"] = garbage;
    else if (sign) headers["x-wc-webhook-signature"] = await signShopify(signed, secret);
  } else if (c.sender === "easypost") {
    if (garbage !== null) headers["x-hmac-signature"] = garbage;
    else if (sign) headers["x-hmac-signature"] = await signEasyPost(signed, secret);
  } else if (c.sender === "hmac") {
    if (garbage !== null) headers["x-signature"] = garbage;
    else if (sign) headers["x-signature"] = (await presetHeaders(LEMON_PRESET, { body: signed, secret }))["x-signature"] ?? "";
  } else if (c.sender === "adyen") {
    const t = c.target === "unknown_tenant" ? "fuzz-nobody-here" : tenant;
    const source = c.target === "unknown_source" ? "nope" : SOURCE[c.sender];
    const signedBody = sign ? await signAdyenBody(body, secret, garbage, c.sign.kind === "other_body") : body;
    // Signing re-serialises the body; an oversized case stays oversized.
    const raw = c.pad_to !== null && signedBody.length < c.pad_to ? padTo(signedBody, c.pad_to) : signedBody;
    return new Request(`${BASE}/v1/tenants/${t}/webhooks/${source}`, { method: "POST", headers, body: raw });
  } else {
    headers["webhook-timestamp"] = String(ts);
    if (garbage !== null) headers["webhook-signature"] = garbage;
    else if (sign) headers["webhook-signature"] = await signStandard(headers["webhook-id"] ?? "", ts, signed, secret);
  }
  const t = c.target === "unknown_tenant" ? "fuzz-nobody-here" : tenant;
  const source = c.target === "unknown_source" ? "nope" : SOURCE[c.sender];
  return new Request(`${BASE}/v1/tenants/${t}/webhooks/${source}`, { method: "POST", headers, body });
}

export interface Answer extends Pick<Sent, "status" | "code" | "receiptId" | "receiptOrder" | "duplicate" | "rejectionId"> {
  envelope: boolean;
  /** The reason of a 200 `{ ignored: true, reason }`: verified, nothing to record. */
  ignored: string | null;
  /** Every receipt the answer names: one, or an Adyen batch's (x-handoff-receipts). */
  receiptIds: string[];
}

export async function send(c: FuzzCase, tenant: string): Promise<Answer> {
  const res = await workerFetch(await toRequest(c, tenant));
  const text = await res.text();
  let envelope = false;
  let ignored: string | null = null;
  try {
    const body: unknown = JSON.parse(text);
    const err = typeof body === "object" && body !== null && "error" in body ? body.error : null;
    envelope = typeof err === "object" && err !== null && "code" in err && "message" in err && typeof err.message === "string";
    if (typeof body === "object" && body !== null && "ignored" in body && body.ignored === true && "reason" in body && typeof body.reason === "string") ignored = body.reason;
  } catch {
    envelope = false;
  }
  const answer = readAnswer(res.status, text);
  // Adyen hears `[accepted]`; the receipts ride in a header, and a redelivery answers 200 with the same ones.
  const listed = res.headers.get("x-handoff-receipts")?.split(",").filter((id) => id !== "") ?? [];
  if (listed.length > 0 && text === "[accepted]") return { ...answer, receiptId: listed[0] ?? null, duplicate: res.status === 200, envelope, ignored, receiptIds: listed };
  return { ...answer, envelope, ignored, receiptIds: answer.receiptId === null ? [] : [answer.receiptId] };
}

/** Everything wrong with the answers to one case (empty when it passed). */
export function judge(c: FuzzCase, answers: Answer[]): string[] {
  const problems: string[] = [];
  for (const [i, a] of answers.entries()) {
    const which = answers.length > 1 ? `send ${i + 1}: ` : "";
    if (a.status >= 500) problems.push(`${which}answered ${a.status} ${a.code ?? ""}`);
    else if (a.status >= 400) {
      if (!a.envelope || a.code === null) problems.push(`${which}${a.status} without the {error:{code,message}} envelope`);
      else if (!EDGE_CODES.has(a.code) || ERROR_CODES[a.code as ErrorCode] !== a.status) problems.push(`${which}${a.status} ${a.code} is not a documented refusal`);
      if (a.code !== "tenant_not_found" && a.rejectionId === null) problems.push(`${which}refusal carries no rejection_id`);
    } else if (a.status === 200 && a.ignored !== null) {
      const allowed = c.expect.kind === "ignored" || (c.expect.kind === "either" && c.expect.ignorable === true);
      if (!allowed) problems.push(`${which}ignored (${a.ignored}), which this delivery must not be`);
    } else if (a.status === 200 || a.status === 202) {
      if (a.receiptId === null || a.duplicate !== (a.status === 200)) problems.push(`${which}${a.status} without a matching receipt (duplicate: ${a.duplicate})`);
    } else problems.push(`${which}unexpected status ${a.status}`);
    const ok = (a.status === 200 || a.status === 202) && a.ignored === null;
    const e = c.expect;
    if (e.kind === "accepted" && !ok) problems.push(`${which}a valid delivery was not recorded: ${a.status} ${a.code ?? a.ignored ?? ""}`);
    if (e.kind === "ignored" && a.ignored === null) problems.push(`${which}expected 200 { ignored, reason }, got ${a.status} ${a.code ?? a.receiptId ?? ""}`);
    if (e.kind === "refused" && !e.codes.includes(a.code as ErrorCode)) problems.push(`${which}expected ${e.codes.join("|")}, got ${a.status} ${a.code ?? ""}`);
    if (e.kind === "either" && !ok && a.ignored === null && !e.codes.includes(a.code as ErrorCode)) problems.push(`${which}expected 2xx or ${e.codes.join("|")}, got ${a.status} ${a.code ?? ""}`);
  }
  const [first, second] = answers;
  if (first && second) {
    const firstOk = first.status === 200 || first.status === 202;
    if (first.ignored !== null) {
      if (second.ignored !== first.ignored) problems.push(`a redelivery of an ignored delivery got ${second.status} ${second.code ?? second.receiptId ?? ""}, not ignored again`);
    } else if (firstOk && (second.status !== 200 || second.receiptId !== first.receiptId)) problems.push(`a redelivery got ${second.status}, not the original receipt`);
    if (!firstOk && (second.status !== first.status || second.code !== first.code)) problems.push(`a redelivery of a refused delivery got ${second.status} ${second.code}, not ${first.code}`);
  }
  return problems;
}

interface RejectionPage {
  rejections: { id: string; code: string; status: number; signature_verified: boolean }[];
  counts: { count: number }[];
}

export async function rejectionsPage(tenant: string, key: string, limit: number): Promise<{ total: number; newest: RejectionPage["rejections"] }> {
  const { body: page } = await workerJson<RejectionPage>("GET", `/v1/tenants/${tenant}/rejections?limit=${limit}`, { token: key });
  return { total: page.counts.reduce((n, c) => n + c.count, 0), newest: page.rejections };
}

export interface FuzzRun {
  sender: Sender;
  tenant: string;
  key: string;
  ledger: Ledger;
  seed: number;
  numRuns: number;
}

/** Runs one case: send (twice if it repeats), judge, and check the rejection records it left. */
export async function runCase(r: Pick<FuzzRun, "tenant" | "key" | "ledger">, c: FuzzCase, totalBefore: number): Promise<{ problems: string[]; total: number }> {
  const answers = [await send(c, r.tenant)];
  if (c.repeat) answers.push(await send(c, r.tenant));
  const problems = judge(c, answers);
  const refused = answers.filter((a) => a.status >= 400 && a.code !== "tenant_not_found");
  const { total, newest } = await rejectionsPage(r.tenant, r.key, Math.max(1, refused.length));
  if (total !== totalBefore + refused.length) problems.push(`rejection records grew by ${total - totalBefore}, want ${refused.length}`);
  for (const a of refused) {
    const rec = newest.find((x) => x.id === a.rejectionId);
    if (rec === undefined) problems.push(`rejection ${a.rejectionId} is not among the newest records`);
    else if (rec.code !== a.code || rec.status !== a.status) problems.push(`recorded as ${rec.status} ${rec.code}, answered ${a.status} ${a.code}`);
    else if (rec.signature_verified !== AFTER_VERIFY.has(rec.code)) problems.push(`${rec.code} recorded with signature_verified ${rec.signature_verified}`);
  }
  // A product's receipt is its SKU's inventory object's, not an order's: the order ledger leaves it out, and
  // a valid one's SKU must then have a level.
  const stock = /^product\./.test(c.headers["x-wc-webhook-topic"] ?? "");
  if (stock && c.expect.kind === "accepted" && "text" in c.body && answers.some((a) => a.status === 202)) {
    const sku = String((JSON.parse(c.body.text) as { sku?: unknown }).sku);
    const { status } = await workerJson("GET", `/v1/tenants/${r.tenant}/inventory/${encodeURIComponent(sku)}`, { token: r.key });
    if (status !== 200) problems.push(`stock snapshot for ${sku} acknowledged, but GET inventory answers ${status}`);
  }
  for (const a of answers) {
    if (a.ignored !== null || (stock && a.status < 300)) continue;
    const label = c.mutations.join("; ") || "valid";
    // One ledger entry per receipt, so every receipt of a batch is accounted for.
    const ids = a.receiptIds.length > 0 ? a.receiptIds : [a.receiptId];
    for (const receiptId of ids) r.ledger.record({ label, key: null, expect: "any", orderId: null, ...a, receiptId });
  }
  return { problems, total };
}

/** The property over `arb`, with a fixed seed; a failure prints what to save as a regression. */
export async function fuzzEdge(r: FuzzRun, arb: fc.Arbitrary<FuzzCase>): Promise<void> {
  let total = (await rejectionsPage(r.tenant, r.key, 1)).total;
  const property = fc.asyncProperty(arb, async (c) => {
    const out = await runCase(r, c, total);
    // Resynchronised either way, so one failing case (or a shrink step) does not cascade.
    total = out.total;
    if (out.problems.length > 0) throw new Error(out.problems.join("\n"));
  });
  // Bounded in time too: shrinking a big counterexample through HTTP can take many steps, and a hang is itself a finding.
  const details = await fc.check(property, { seed: r.seed, numRuns: r.numRuns, interruptAfterTimeLimit: 120_000, markInterruptAsFailure: true });
  if (details.failed) {
    const regression = { sender: r.sender, seed: details.seed, path: details.counterexamplePath, status: "open", case: details.counterexample?.[0] ?? null };
    console.error(`fuzz ${r.sender} failed: save as test/fuzz/regressions/<name>.json and replay it:\n${JSON.stringify(regression, null, 2)}`);
    const why = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${fc.defaultReportMessage(details) ?? `fuzz ${r.sender} failed (seed ${details.seed}, path ${details.counterexamplePath})`}\nGot: ${why}`);
  }
}

/** A fresh tenant, `numRuns` cases for one sender, then the ledger reconciled against what the engine kept. */
export async function fuzzSender(sender: Sender, arb: fc.Arbitrary<FuzzCase>, seed: number, numRuns: number, tenant = `fuzz-${sender}`): Promise<InvariantReport> {
  const key = await seedTenant(tenant);
  await putNewSenders(tenant);
  const ledger = new Ledger();
  await fuzzEdge({ sender, tenant, key, ledger, seed, numRuns }, arb);
  // No ownership rules here (this is about the edge), so no SLA owns a stalled order and no exports go out.
  return checkInvariants(tenant, key, { ledger, jump: false, skip: ["no_silent_drop", "no_delivery_after_ack"] });
}
