import { inject } from "vitest";

/** The workers-side client of the OTLP receiver (test/helpers/otlp-receiver.ts). */

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the OTLP receiver, also the engine's OTEL_EXPORTER_OTLP_ENDPOINT in the telemetry project. */
    otlpUrl: string;
  }
}

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
  /** 0 unset, 1 ok, 2 error. */
  status: number;
}

export interface ReceivedPoint {
  name: string;
  temporality: number;
  monotonic: boolean;
  attributes: Record<string, string | number | boolean>;
  value: number;
}

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${inject("otlpUrl")}${path}`);
  if (!res.ok) throw new Error(`receiver ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Exports run in waitUntil after the response: poll until `done` holds over what arrived (or give up). */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function spansOf(tenant: string): Promise<ReceivedSpan[]> {
  const { spans } = await get<{ spans: ReceivedSpan[] }>("/__spans");
  const ours = spans.filter((s) => s.attributes.tenant === tenant).map((s) => s.traceId);
  // Request spans carry no tenant attribute: take every span of a trace that touched this tenant.
  return spans.filter((s) => ours.includes(s.traceId));
}

export async function pointsOf(tenant: string): Promise<ReceivedPoint[]> {
  const { points } = await get<{ points: ReceivedPoint[] }>("/__metrics");
  return points.filter((p) => p.attributes.tenant === tenant);
}

export async function refusedExports(): Promise<{ path: string; error: string }[]> {
  return (await get<{ refused: { path: string; error: string }[] }>("/__refused")).refused;
}

/** The total of one counter for a tenant, over every export (they are deltas), optionally narrowed by attributes. */
export function total(points: readonly ReceivedPoint[], name: string, where: Record<string, string | number> = {}): number {
  return points
    .filter((p) => p.name === name && Object.entries(where).every(([k, v]) => p.attributes[k] === v))
    .reduce((n, p) => n + p.value, 0);
}
