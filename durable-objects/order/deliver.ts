import type { Span } from "../../worker/telemetry/tracer";
import { BODY_EXCERPT_BYTES, classifyStatus, parseRetryAfter, type AttemptResult } from "../../domain/handoff/delivery";

/**
 * The one side effect of a delivery: POST the signed export and classify the
 * answer. What to do next (retry, escalate) is decided purely in
 * domain/handoff/delivery.ts.
 */

/**
 * Reads at most `limit` bytes and cancels the rest: the body is only evidence,
 * and an unread body would keep the connection busy while a huge one would
 * cost memory.
 */
async function readExcerpt(res: Response, limit: number): Promise<string | null> {
  if (res.body === null) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // A body cut off (or timed out) after the status arrived still leaves the status as the answer.
  } finally {
    void reader.cancel().catch(() => undefined);
  }
  if (chunks.length === 0) return null;
  const bytes = new Uint8Array(Math.min(size, limit));
  let off = 0;
  for (const c of chunks) {
    const part = c.subarray(0, bytes.length - off);
    bytes.set(part, off);
    off += part.length;
    if (off >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes);
}

function message(err: unknown): string {
  if (err instanceof Error) return err.message ? `${err.name}: ${err.message}` : err.name;
  return String(err);
}

/**
 * One delivery attempt: POST the signed body, classify what happened. Never
 * throws — every failure is a result the caller records on the audit trail.
 * Redirects are not followed (see ErrorClass). The timeout covers the whole
 * exchange including the body excerpt; `now` is injected so latency comes from
 * the same clock as the rest of the order object's decisions.
 */
export async function attempt(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  now: () => number,
): Promise<AttemptResult> {
  const started = now();
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal });
  } catch (err) {
    // The signal, not the error's name, says whether it was our timeout: runtimes disagree on the name.
    const timedOut = signal.aborted;
    return {
      status: null,
      latency_ms: Math.max(0, now() - started),
      error_class: timedOut ? "timeout" : "network",
      retry_after_ms: null,
      error: timedOut ? `no response within ${timeoutMs}ms` : message(err),
      body_excerpt: null,
    };
  }
  const answeredAt = now();
  const excerpt = await readExcerpt(res, BODY_EXCERPT_BYTES);
  const cls = classifyStatus(res.status);
  return {
    status: res.status,
    latency_ms: Math.max(0, answeredAt - started),
    error_class: cls,
    retry_after_ms: parseRetryAfter(res.headers.get("retry-after"), answeredAt),
    error: cls === null ? null : `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`,
    body_excerpt: excerpt,
  };
}

/** One attempt inside its span: the consumer gets the span as `traceparent`, the span gets the answer. */
export async function tracedAttempt(
  span: Span,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  now: () => number,
): Promise<AttemptResult> {
  const traceparent = span.traceparent();
  const result = await attempt(url, body, traceparent ? { ...headers, traceparent } : headers, timeoutMs, now);
  span.set({ "http.response.status_code": result.status, error_class: result.error_class, latency_ms: result.latency_ms });
  if (result.error) span.error(result.error);
  span.end();
  return result;
}
