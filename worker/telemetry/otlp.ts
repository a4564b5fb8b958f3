import type { SpanContext } from "./context";

/**
 * OTLP/HTTP with the JSON encoding (opentelemetry-proto's JSON mapping: ids as
 * lowercase hex, 64-bit integers as decimal strings, enums as numbers). Pure
 * encoders plus one `exportOtlp` that POSTs them and never throws: a collector
 * that is down costs a log line, never a request.
 */

export type AttrValue = string | number | boolean;
export type Attributes = Record<string, AttrValue | null | undefined>;
export type SpanKind = "internal" | "server" | "client";

export interface OtlpConfig {
  /** Base URL; `/v1/traces` and `/v1/metrics` are appended as the OTel spec says for the generic variable. */
  endpoint: string;
  headers: Record<string, string>;
  service: string;
}

export interface FinishedSpan {
  name: string;
  kind: SpanKind;
  context: SpanContext;
  parentSpanId: string | null;
  start: bigint;
  end: bigint;
  attributes: Attributes;
  status: { code: "unset" } | { code: "error"; message: string };
}

export interface MetricPoint {
  name: string;
  attributes: Attributes;
  value: number;
}

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
export interface KeyValue {
  key: string;
  value: AnyValue;
}

const SCOPE = { name: "handoff", version: "1" };
const KIND = { internal: 1, server: 2, client: 3 } as const;
/** AGGREGATION_TEMPORALITY_DELTA: each export carries the increments since the previous one from this unit of work. */
const DELTA = 1;
const EXPORT_TIMEOUT_MS = 5_000;

export function encodeAttributes(attrs: Attributes): KeyValue[] {
  const out: KeyValue[] = [];
  for (const [key, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    if (typeof v === "string") out.push({ key, value: { stringValue: v } });
    else if (typeof v === "boolean") out.push({ key, value: { boolValue: v } });
    else if (Number.isInteger(v)) out.push({ key, value: { intValue: String(v) } });
    else out.push({ key, value: { doubleValue: v } });
  }
  return out;
}

function resource(service: string) {
  return { attributes: encodeAttributes({ "service.name": service, "telemetry.sdk.name": "handoff", "telemetry.sdk.language": "webjs" }) };
}

export function encodeSpans(service: string, spans: readonly FinishedSpan[]) {
  return {
    resourceSpans: [
      {
        resource: resource(service),
        scopeSpans: [
          {
            scope: SCOPE,
            spans: spans.map((s) => ({
              traceId: s.context.traceId,
              spanId: s.context.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: KIND[s.kind],
              startTimeUnixNano: String(s.start),
              endTimeUnixNano: String(s.end),
              attributes: encodeAttributes(s.attributes),
              status: s.status.code === "error" ? { code: 2, message: s.status.message } : { code: 0 },
            })),
          },
        ],
      },
    ],
  };
}

export function encodeMetrics(service: string, points: readonly MetricPoint[], start: bigint, end: bigint) {
  const byName = new Map<string, MetricPoint[]>();
  for (const p of points) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  return {
    resourceMetrics: [
      {
        resource: resource(service),
        scopeMetrics: [
          {
            scope: SCOPE,
            metrics: [...byName].map(([name, ps]) => ({
              name,
              unit: "1",
              sum: {
                aggregationTemporality: DELTA,
                isMonotonic: true,
                dataPoints: ps.map((p) => ({
                  attributes: encodeAttributes(p.attributes),
                  startTimeUnixNano: String(start),
                  timeUnixNano: String(end),
                  asInt: String(p.value),
                })),
              },
            })),
          },
        ],
      },
    ],
  };
}

async function post(config: OtlpConfig, path: string, body: unknown): Promise<void> {
  try {
    const res = await fetch(`${config.endpoint}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...config.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS),
    });
    // Drain the answer so the connection can be reused.
    await res.arrayBuffer();
    if (!res.ok) console.warn(`otlp export ${path}: HTTP ${res.status}`);
  } catch (err) {
    console.warn(`otlp export ${path} failed`, err instanceof Error ? err.message : String(err));
  }
}

export async function exportOtlp(config: OtlpConfig, spans: readonly FinishedSpan[], points: readonly MetricPoint[], start: bigint, end: bigint): Promise<void> {
  await Promise.all([
    spans.length > 0 ? post(config, "/v1/traces", encodeSpans(config.service, spans)) : Promise.resolve(),
    points.length > 0 ? post(config, "/v1/metrics", encodeMetrics(config.service, points, start, end)) : Promise.resolve(),
  ]);
}
