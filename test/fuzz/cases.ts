import fc from "fast-check";
import type { ErrorCode } from "../../worker/errors";
import {
  hostileHeaderArb,
  hostileValueArb,
  isJsonObject,
  toJsonText,
  VALID,
  type Json,
  type JsonObject,
  type Sender,
  type Unsigned,
} from "../helpers/arbitraries";
import { adyenArb, easypostArb, lemonArb, wooArb, wooProductArb } from "../helpers/arbitraries-senders";

/** WooCommerce sends orders and, for stores that sync stock, products. */
const wooAnyArb = fc.oneof({ weight: 3, arbitrary: wooArb }, { weight: 2, arbitrary: wooProductArb });
const ALL_VALID: Record<Sender, fc.Arbitrary<Unsigned>> = { ...VALID, woocommerce: wooAnyArb, adyen: adyenArb, easypost: easypostArb, hmac: lemonArb };
/** Senders whose signature covers a timestamp: only these can be stale. */
const TIMESTAMPED = new Set<Sender>(["stripe", "standard"]);

/**
 * One fuzz delivery as plain JSON (so a failing one can be saved verbatim in
 * test/fuzz/regressions/), with the outcome it must get. Signing happens at
 * send time (test/fuzz/edge.ts), so timestamps are always fresh relative to
 * the Worker's clock and a saved case replays the same way later.
 */

export const MAX_BODY_BYTES = 1024 * 1024;

export type Sign =
  | { kind: "valid"; skew_sec: number }
  /** Authentic signature over a timestamp outside the 5-minute window: a replay or a delayed delivery. */
  | { kind: "stale"; skew_sec: number }
  | { kind: "none" }
  | { kind: "garbage"; value: string }
  | { kind: "wrong_secret" }
  /** A genuine signature, lifted from another body. */
  | { kind: "other_body" };

/**
 * `ignored`: 200 `{ ignored, reason }`, the documented answer to a verified
 * delivery with nothing to record (a WooCommerce product without managed
 * stock or SKU); `either` with `ignorable` also allows it.
 */
export type Expectation = { kind: "accepted" } | { kind: "ignored" } | { kind: "refused"; codes: ErrorCode[] } | { kind: "either"; codes: ErrorCode[]; ignorable?: boolean };

export interface FuzzCase {
  sender: Sender;
  target: "known" | "unknown_source" | "unknown_tenant";
  /** What was done to a valid delivery, for the failure message; empty for a valid one. */
  mutations: string[];
  body: { text: string } | { base64: string };
  /** Padded with JSON whitespace to this many bytes at send time (oversized bodies without storing a megabyte here). */
  pad_to: number | null;
  /** The sender's headers other than its signature (applied before signing, as the sender would). */
  headers: Record<string, string>;
  sign: Sign;
  /** Sent twice: a redelivery must get the same answer (a duplicate receipt, or the same refusal recorded again). */
  repeat: boolean;
  expect: Expectation;
}

/** Refusals a signed JSON object may legitimately earn once it reaches the mapping. */
/** A mutated Shopify body may also disagree with its topic, or reach the order under a second topic. */
const MAPPING_CODES: ErrorCode[] = ["unsupported_event", "order_id_missing", "schema_mismatch", "order_too_large", "topic_mismatch", "topic_conflict"];

// ---------------------------------------------------------------------------
// Body mutations

type Path = (string | number)[];

function paths(v: Json, prefix: Path = [], out: Path[] = []): Path[] {
  const visit = (child: Json, key: string | number): void => {
    const p = [...prefix, key];
    out.push(p);
    paths(child, p, out);
  };
  if (Array.isArray(v)) v.forEach((x, i) => visit(x, i));
  else if (isJsonObject(v)) for (const [k, x] of Object.entries(v)) visit(x, k);
  return out;
}

function clone(v: Json): Json {
  if (Array.isArray(v)) return v.map(clone);
  if (isJsonObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]));
  return v;
}

/** Sets (or, with `value` undefined, deletes) the node at `path`; the root is never replaced. */
function edit(root: JsonObject, path: Path, value: Json | undefined): void {
  let node: Json = root;
  for (const key of path.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) && typeof key === "number" ? node[key] : isJsonObject(node) ? node[String(key)] : undefined;
    if (next === undefined) return;
    node = next;
  }
  const last = path.at(-1);
  if (last === undefined) return;
  if (Array.isArray(node) && typeof last === "number") {
    if (value === undefined) node.splice(last, 1);
    else node[last] = value;
  } else if (isJsonObject(node)) {
    if (value === undefined) delete node[String(last)];
    else node[String(last)] = value;
  }
}

type BodyMutation =
  | { kind: "set"; at: number; value: Json }
  | { kind: "delete"; at: number }
  | { kind: "add"; key: string; value: Json }
  | { kind: "dupkey"; at: number; value: Json }
  | { kind: "replace"; text: string }
  | { kind: "truncate"; at: number }
  | { kind: "bytes"; at: number; byte: number }
  | { kind: "oversize"; extra: number };

/** Texts that are not a JSON object: empty, JSON scalars and arrays, other formats, broken JSON. */
const notAnObjectArb = fc.oneof(
  fc.constantFrom("", " ", "null", "[]", "[{}]", "1", '"x"', "true", "<order/>", "{", "}", "{'a':1}", "a=1&b=2", '{"a":1}{"b":2}', "\ufeff{}x"),
  fc.string({ maxLength: 60 }).filter((s) => {
    try {
      const v: unknown = JSON.parse(s);
      return typeof v !== "object" || v === null || Array.isArray(v);
    } catch {
      return true;
    }
  }),
);

const bodyMutationArb: fc.Arbitrary<BodyMutation> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: hostileValueArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("add" as const), key: fc.constantFrom("__proto__", "constructor", "", "type", "order_id", "data", "id"), value: hostileValueArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("dupkey" as const), at: fc.nat(), value: hostileValueArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("replace" as const), text: notAnObjectArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("bytes" as const), at: fc.nat(), byte: fc.constantFrom(0xc0, 0xc1, 0xf5, 0xf8, 0xfe, 0xff) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("oversize" as const), extra: fc.integer({ min: 1, max: 4096 }) }) },
);

/** object: only the mapping can refuse it; json: parseable but not an object; unparseable: not JSON at all (400). */
type Shape = "object" | "json" | "unparseable";

interface MutatedBody {
  body: FuzzCase["body"];
  pad_to: number | null;
  label: string;
  shape: Shape;
}

/** As the engine reads a body: UTF-8 with a leading BOM dropped, then JSON. */
function shapeOf(text: string): Shape {
  try {
    const v: unknown = JSON.parse(text.replace(/^\ufeff/, ""));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? "object" : "json";
  } catch {
    return "unparseable";
  }
}

function mutateBody(base: JsonObject, m: BodyMutation | null): MutatedBody {
  if (m === null) return { body: { text: toJsonText(base) }, pad_to: null, label: "", shape: "object" };
  const root = clone(base);
  if (!isJsonObject(root)) throw new Error("unreachable: bodies are objects");
  const all = paths(root);
  const pick = (at: number): Path => all[at % Math.max(1, all.length)] ?? ["type"];
  switch (m.kind) {
    case "set": {
      const p = pick(m.at);
      edit(root, p, m.value);
      return { body: { text: toJsonText(root) }, pad_to: null, label: `set ${p.join(".")}`, shape: "object" };
    }
    case "delete": {
      const p = pick(m.at);
      edit(root, p, undefined);
      return { body: { text: toJsonText(root) }, pad_to: null, label: `delete ${p.join(".")}`, shape: "object" };
    }
    case "add":
      // As JSON.parse would: an own property, even for "__proto__" (plain assignment would set the prototype).
      Object.defineProperty(root, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      return { body: { text: toJsonText(root) }, pad_to: null, label: `add ${JSON.stringify(m.key)}`, shape: "object" };
    case "dupkey": {
      const keys = Object.keys(root);
      const key = keys[m.at % Math.max(1, keys.length)] ?? "type";
      // JSON.parse keeps the last duplicate: the hostile value wins over the genuine one.
      const text = `${toJsonText(root).slice(0, -1)},${JSON.stringify(key)}:${toJsonText(m.value)}}`;
      return { body: { text }, pad_to: null, label: `duplicate key ${key}`, shape: "object" };
    }
    case "replace":
      return { body: { text: m.text }, pad_to: null, label: `body ${JSON.stringify(m.text.slice(0, 20))}`, shape: shapeOf(m.text) };
    case "truncate": {
      const text = toJsonText(root);
      return { body: { text: text.slice(0, m.at % text.length) }, pad_to: null, label: "truncated", shape: "unparseable" };
    }
    case "bytes": {
      const bytes = new TextEncoder().encode(toJsonText(root));
      const at = m.at % (bytes.length + 1);
      const out = new Uint8Array(bytes.length + 1);
      out.set(bytes.subarray(0, at));
      out[at] = m.byte;
      out.set(bytes.subarray(at), at + 1);
      return { body: { base64: btoa(String.fromCharCode(...out)) }, pad_to: null, label: `invalid UTF-8 0x${m.byte.toString(16)}`, shape: "unparseable" };
    }
    case "oversize":
      return { body: { text: toJsonText(root) }, pad_to: MAX_BODY_BYTES + m.extra, label: "over 1 MiB", shape: "object" };
  }
}

// ---------------------------------------------------------------------------
// Headers and signatures

/** Header names a sender sets besides its signature; `content-type` never changes the outcome (we verify raw bytes). */
const HEADER_TARGETS: Record<Sender, string[]> = {
  shopify: ["x-shopify-topic", "x-shopify-webhook-id", "x-shopify-event-id", "x-shopify-triggered-at", "content-type"],
  stripe: ["content-type"],
  standard: ["webhook-id", "content-type"],
  woocommerce: ["x-wc-webhook-topic", "x-wc-webhook-delivery-id", "content-type"],
  adyen: ["content-type"],
  easypost: ["content-type"],
  hmac: ["content-type"],
};

const headerValueArb = fc.oneof(
  hostileHeaderArb,
  fc.constantFrom("ORDERS/CREATE", " orders/paid ", "orders/unknown", "products/create", "refunds/create", "2026-13-45T99:99:99Z"),
  fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16"),
);

const headerMutationArb = (sender: Sender) => fc.record({ name: fc.constantFrom(...HEADER_TARGETS[sender]), value: fc.option(headerValueArb, { nil: null }) });

const hex64Arb = fc.stringMatching(/^[0-9a-f]{64}$/);
const b64Arb = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => btoa(String.fromCharCode(...b)));

const GARBAGE: Record<Sender, fc.Arbitrary<string>> = {
  shopify: fc.oneof(hostileHeaderArb, b64Arb(32), b64Arb(31), b64Arb(64)),
  stripe: fc.oneof(
    hostileHeaderArb,
    hex64Arb.map((h) => `t=1795203005,v1=${h}`),
    hex64Arb.map((h) => `v1=${h}`),
    fc.constantFrom("t=abc,v1=00", "t=1", "t=,v1=", "=,=", "t=1795203005,v0=00", `t=1795203005,${Array.from({ length: 9 }, () => "v1=00").join(",")}`),
  ),
  standard: fc.oneof(
    hostileHeaderArb,
    b64Arb(32).map((b) => `v1,${b}`),
    fc.constantFrom("v1,", "v2,abc", "v1,@@@", "v1a,AAAA", Array.from({ length: 9 }, () => "v1,AAAA").join(" ")),
  ),
  woocommerce: fc.oneof(hostileHeaderArb, b64Arb(32), b64Arb(31), b64Arb(64)),
  // Adyen's signature travels in each item's additionalData.hmacSignature; the harness puts the garbage there.
  adyen: fc.oneof(hostileHeaderArb, b64Arb(32), b64Arb(20)),
  easypost: fc.oneof(hostileHeaderArb, hex64Arb.map((h) => `hmac-sha256-hex=${h}`), hex64Arb, fc.constantFrom("hmac-sha256-hex=", "hmac-sha256-hex=zz", "HMAC-SHA256-HEX=00")),
  hmac: fc.oneof(hostileHeaderArb, hex64Arb, fc.constantFrom("00", "zz".repeat(32))),
};

const staleSkewArb = fc.oneof(fc.integer({ min: 330, max: 1_000_000_000 }), fc.integer({ min: -1_000_000_000, max: -330 }));

function signArb(sender: Sender): fc.Arbitrary<Sign> {
  const options: fc.WeightedArbitrary<Sign>[] = [
    { weight: 12, arbitrary: fc.integer({ min: -60, max: 60 }).map((skew_sec): Sign => ({ kind: "valid", skew_sec })) },
    { weight: 1, arbitrary: fc.constant<Sign>({ kind: "none" }) },
    { weight: 2, arbitrary: GARBAGE[sender].map((value): Sign => ({ kind: "garbage", value })) },
    { weight: 1, arbitrary: fc.constant<Sign>({ kind: "wrong_secret" }) },
    { weight: 1, arbitrary: fc.constant<Sign>({ kind: "other_body" }) },
  ];
  // Shopify, WooCommerce, Adyen, EasyPost and the Lemon preset sign no timestamp: nothing of theirs can be stale, a replay is caught as a duplicate instead.
  if (TIMESTAMPED.has(sender)) options.push({ weight: 2, arbitrary: staleSkewArb.map((skew_sec): Sign => ({ kind: "stale", skew_sec })) });
  return fc.oneof(...options);
}

// ---------------------------------------------------------------------------
// The oracle: what the engine must answer, from the order its checks run in

function expectation(c: Omit<FuzzCase, "expect" | "mutations">, shape: Shape, mutated: boolean, base: Pick<Unsigned, "ignored" | "headers">): Expectation {
  if (c.target === "unknown_tenant") return { kind: "refused", codes: ["tenant_not_found"] };
  if (c.target === "unknown_source") return { kind: "refused", codes: ["source_not_found"] };
  if (c.pad_to !== null) return { kind: "refused", codes: ["payload_too_large"] };
  if (c.sender === "standard" && (c.headers["webhook-id"] ?? "").trim() === "") return { kind: "refused", codes: ["signature_missing"] };
  if (c.sender === "adyen") return adyenExpectation(c.sign, shape, mutated);
  switch (c.sign.kind) {
    case "none":
      return { kind: "refused", codes: ["signature_missing"] };
    case "garbage":
      return { kind: "refused", codes: ["signature_missing", "signature_invalid"] };
    case "wrong_secret":
    case "other_body":
      return { kind: "refused", codes: ["signature_invalid"] };
    case "stale":
      return { kind: "refused", codes: ["timestamp_stale"] };
    case "valid":
      if (shape === "unparseable") return { kind: "refused", codes: ["invalid_json"] };
      // Parseable JSON of the wrong shape (an array, a number) parses but maps to no event: 422.
      if (shape === "json") return { kind: "refused", codes: ["schema_mismatch"] };
      if (!mutated) return base.ignored === true ? { kind: "ignored" } : { kind: "accepted" };
      // A mutated product may lose its managed stock or SKU (ignored) or keep a count that is no count (422).
      return isProductTopic(base) ? { kind: "either", codes: MAPPING_CODES, ignorable: true } : { kind: "either", codes: MAPPING_CODES };
  }
}

/**
 * Adyen's signatures are inside the body, so what the harness can sign depends
 * on the body: one that is not a JSON object carries no signature at all, and
 * a mutated one may have lost the items the signatures belong to.
 */
function adyenExpectation(sign: Sign, shape: Shape, mutated: boolean): Expectation {
  if (shape !== "object" || sign.kind === "none") return { kind: "refused", codes: ["signature_missing"] };
  if (sign.kind === "garbage") return { kind: "refused", codes: ["signature_missing", "signature_invalid"] };
  if (sign.kind === "wrong_secret" || sign.kind === "other_body") return mutated ? { kind: "refused", codes: ["signature_missing", "signature_invalid"] } : { kind: "refused", codes: ["signature_invalid"] };
  return mutated ? { kind: "either", codes: ["signature_missing", "signature_invalid", ...MAPPING_CODES] } : { kind: "accepted" };
}

function isProductTopic(base: Pick<Unsigned, "headers">): boolean {
  return /^product\./.test(base.headers["x-wc-webhook-topic"] ?? "");
}

function assemble(base: Unsigned, m: BodyMutation | null, h: { name: string; value: string | null } | null, sign: Sign, target: FuzzCase["target"], repeat: boolean): FuzzCase {
  const mb = mutateBody(base.body, m);
  const headers = { ...base.headers };
  const labels = mb.label === "" ? [] : [mb.label];
  if (h !== null) {
    if (h.value === null) delete headers[h.name];
    else headers[h.name] = h.value;
    labels.push(`${h.value === null ? "remove" : "set"} ${h.name}${h.value === null ? "" : ` ${JSON.stringify(h.value.slice(0, 20))}`}`);
  }
  if (sign.kind !== "valid") labels.push(`signature ${sign.kind}`);
  if (target !== "known") labels.push(target);
  const partial = { sender: base.sender, target, body: mb.body, pad_to: mb.pad_to, headers, sign, repeat };
  const headerChanged = h !== null && h.name !== "content-type";
  return { ...partial, mutations: labels, expect: expectation(partial, mb.shape, m !== null || headerChanged, base) };
}

const targetArb = fc.oneof(
  { weight: 22, arbitrary: fc.constant<FuzzCase["target"]>("known") },
  { weight: 1, arbitrary: fc.constant<FuzzCase["target"]>("unknown_source") },
  { weight: 1, arbitrary: fc.constant<FuzzCase["target"]>("unknown_tenant") },
);

/** A delivery exactly as the sender would make it (content type and clock skew vary, nothing else). */
export function validCaseArb(sender: Sender): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(ALL_VALID[sender], fc.integer({ min: -60, max: 60 }), fc.boolean())
    .map(([base, skew_sec, repeat]) => assemble(base, null, null, { kind: "valid", skew_sec }, "known", repeat));
}

export function hostileCaseArb(sender: Sender): fc.Arbitrary<FuzzCase> {
  return fc
    .tuple(
      ALL_VALID[sender],
      fc.option(bodyMutationArb, { freq: 4, nil: null }),
      fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: headerMutationArb(sender) }),
      signArb(sender),
      targetArb,
      fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    )
    .map(([base, m, h, sign, target, repeat]) => assemble(base, m, h, sign, target, repeat));
}

export function caseArb(sender: Sender): fc.Arbitrary<FuzzCase> {
  return fc.oneof({ weight: 3, arbitrary: validCaseArb(sender) }, { weight: 7, arbitrary: hostileCaseArb(sender) });
}
