import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import worker from "../../worker/index";
import type { ErrorCode } from "../../worker/errors";
import { testRequest, type CallOptions } from "../helpers/http";

/**
 * How the chaos and fuzz suites reach the Worker, and the ledger of what they sent.
 *
 * Requests go to the Worker's own fetch handler (the module's default export,
 * the same one `exports.default` serves) with the real bindings, rather than
 * through `exports.default.fetch`: in @cloudflare/vitest-pool-workers 0.23 every
 * call through that wrapper adds one Proxy layer to the wrapper class's
 * prototype (createProxyPrototypeClass re-wraps `Class.prototype` per
 * instance), so each request in a file costs more than the last (400 requests:
 * ~50 ms each; 1 000: ~280 ms). Suites that send thousands would grow quadratic.
 */
export function workerFetch(request: Request): Promise<Response> {
  return Promise.resolve(worker.fetch(request, env, createExecutionContext()));
}

export function workerCall(method: string, path: string, opts: CallOptions = {}): Promise<Response> {
  return workerFetch(testRequest(method, path, opts));
}

export async function workerJson<T>(method: string, path: string, opts: CallOptions = {}): Promise<{ status: number; body: T }> {
  const res = await workerCall(method, path, opts);
  return { status: res.status, body: (await res.json()) as T };
}

export interface Sent {
  label: string;
  /** The idempotency key the scenario meant; null groups by the receipt the engine gave instead. */
  key: string | null;
  /** "any": no expectation (fuzz), only consistency is checked. */
  expect: "accepted" | ErrorCode | "any";
  /** The order the scenario meant it for, if it knows. */
  orderId: string | null;
  status: number;
  code: string | null;
  receiptId: string | null;
  receiptOrder: string | null;
  duplicate: boolean;
  rejectionId: string | null;
}

function field(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const k of path) cur = typeof cur === "object" && cur !== null && !Array.isArray(cur) ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

/** The parts of a webhook answer the ledger keeps; tolerant of any body, since a broken one is what we look for. */
export function readAnswer(status: number, text: string): Pick<Sent, "status" | "code" | "receiptId" | "receiptOrder" | "duplicate" | "rejectionId"> {
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return {
    status,
    code: str(field(body, "error", "code")),
    receiptId: str(field(body, "receipt", "id")),
    receiptOrder: str(field(body, "receipt", "order_id")),
    duplicate: field(body, "receipt", "duplicate") === true,
    rejectionId: str(field(body, "error", "details", "rejection_id")),
  };
}

/** What a scenario sent, so receipts and rejection records can be reconciled with it afterwards. */
export class Ledger {
  readonly sent: Sent[] = [];

  record(s: Sent): Sent {
    this.sent.push(s);
    return s;
  }

  async send(meta: { label: string; key: string | null; expect: Sent["expect"]; orderId: string | null }, go: () => Promise<Response>): Promise<Sent> {
    const res = await go();
    return this.record({ ...meta, ...readAnswer(res.status, await res.text()) });
  }
}
