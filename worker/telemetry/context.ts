/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) and request ids:
 * the only parts of tracing that cross a boundary (HTTP headers, the order
 * object's RPC), so they are plain strings with strict parsers.
 */

export interface SpanContext {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

/** A version-00 traceparent, or null for anything malformed (which the spec says to ignore, not reject). */
export function parseTraceparent(value: string | null | undefined): SpanContext | null {
  if (!value) return null;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m) return null;
  const [, traceId, spanId, flags] = m;
  if (traceId === undefined || spanId === undefined || flags === undefined) return null;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return null;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(c: SpanContext): string {
  return `00-${c.traceId}-${c.spanId}-${c.sampled ? "01" : "00"}`;
}

export function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const x of b) out += x.toString(16).padStart(2, "0");
  return out;
}

/**
 * An inbound `x-request-id` is honoured when it is something a log search can
 * use safely: short, printable, no separators that would split a header or a
 * CSV cell. Anything else gets a fresh id (the caller's is not echoed back).
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestIdFrom(inbound: string | null | undefined): string {
  if (inbound && SANE_REQUEST_ID.test(inbound)) return inbound;
  return `req_${randomHex(12)}`;
}

/** What the Worker hands the order object with each call so its work joins the caller's trace. */
export interface TraceCarrier {
  requestId: string;
  /** The caller's span, absent when tracing is off. */
  traceparent: string | null;
}
