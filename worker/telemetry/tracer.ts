import { formatTraceparent, parseTraceparent, randomHex, type SpanContext } from "./context";
import { exportOtlp, type Attributes, type FinishedSpan, type MetricPoint, type OtlpConfig, type SpanKind } from "./otlp";

export type { Attributes, AttrValue, SpanKind } from "./otlp";

/**
 * A small tracer over OTLP/HTTP JSON (docs/decisions.md says why not a
 * library). One `Telemetry` per unit of work — an inbound request, one RPC
 * into the order object, one alarm — collects its spans and counter
 * increments and sends them in one export at the end (`flush`, run through
 * waitUntil). With no endpoint configured every call is a no-op on shared
 * objects: no ids, no clocks, no buffers, no fetch.
 */

/** Span names, in one place so the README's list and the tests key on the same strings. */
export const SPANS = {
  request: "http.request",
  webhook: "webhook.ingest",
  commit: "order.commit",
  delivery: "handoff.delivery",
  /** One notification attempt on one channel (durable-objects/notifier): a client span whose traceparent goes out on HTTP channels. */
  notification: "notification.send",
} as const;

/** Counter names (OTLP sums, delta temporality). */
export const METRICS = {
  acks: "handoff.webhooks.acked",
  duplicates: "handoff.webhooks.duplicates",
  /** Verified deliveries with nothing to record (a WooCommerce product without stock management). */
  ignored: "handoff.webhooks.ignored",
  rejections: "handoff.webhooks.rejections",
  retries: "handoff.deliveries.retries",
  breaches: "handoff.sla.breaches",
} as const;

export interface Span {
  /** The W3C header value naming this span as parent; null when tracing is off. */
  traceparent(): string | null;
  context(): SpanContext | null;
  set(attrs: Attributes): void;
  error(message: string): void;
  end(): void;
}

const NOOP_SPAN: Span = {
  traceparent: () => null,
  context: () => null,
  set: () => undefined,
  error: () => undefined,
  end: () => undefined,
};

export interface Telemetry {
  readonly enabled: boolean;
  /** Starts a span; `parent` is a traceparent string or a span context (null: a new trace). */
  span(name: string, attrs: Attributes, parent: string | SpanContext | null, kind?: SpanKind): Span;
  count(metric: string, attrs?: Attributes, by?: number): void;
  flush(): Promise<void>;
}

export const NOOP_TELEMETRY: Telemetry = {
  enabled: false,
  span: () => NOOP_SPAN,
  count: () => undefined,
  flush: () => Promise.resolve(),
};

export interface TelemetryEnv {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  /** `key=value,key2=value2` (the OTel convention), e.g. `x-honeycomb-team=…`. */
  OTEL_EXPORTER_OTLP_HEADERS?: string;
  OTEL_SERVICE_NAME?: string;
}

function otlpConfig(env: TelemetryEnv): OtlpConfig | null {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return null;
  const headers: Record<string, string> = {};
  for (const pair of (env.OTEL_EXPORTER_OTLP_HEADERS ?? "").split(",")) {
    const i = pair.indexOf("=");
    if (i <= 0) continue;
    headers[pair.slice(0, i).trim()] = decodeURIComponent(pair.slice(i + 1).trim());
  }
  return { endpoint: endpoint.replace(/\/+$/, ""), headers, service: env.OTEL_SERVICE_NAME?.trim() || "handoff" };
}

/** The telemetry for one unit of work: a no-op unless an OTLP endpoint is configured. */
export function telemetryFor(env: TelemetryEnv): Telemetry {
  const config = otlpConfig(env);
  return config ? new Recorder(config) : NOOP_TELEMETRY;
}

function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

class Recorder implements Telemetry {
  readonly enabled = true;
  private spans: FinishedSpan[] = [];
  private counters = new Map<string, MetricPoint>();
  private readonly startedAt = nowNanos();

  constructor(private readonly config: OtlpConfig) {}

  span(name: string, attrs: Attributes, parent: string | SpanContext | null, kind: SpanKind = "internal"): Span {
    const p = typeof parent === "string" ? parseTraceparent(parent) : parent;
    const ctx: SpanContext = { traceId: p?.traceId ?? randomHex(16), spanId: randomHex(8), sampled: p?.sampled ?? true };
    const attributes: Attributes = { ...attrs };
    const started = nowNanos();
    let status: FinishedSpan["status"] = { code: "unset" };
    let ended = false;
    return {
      traceparent: () => formatTraceparent(ctx),
      context: () => ctx,
      set: (a) => Object.assign(attributes, a),
      error: (message) => {
        status = { code: "error", message };
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.spans.push({ name, kind, context: ctx, parentSpanId: p?.spanId ?? null, start: started, end: nowNanos(), attributes, status });
      },
    };
  }

  count(metric: string, attrs: Attributes = {}, by = 1): void {
    const key = `${metric}\u0000${JSON.stringify(Object.entries(attrs).sort(([a], [b]) => a.localeCompare(b)))}`;
    const point = this.counters.get(key);
    if (point) point.value += by;
    else this.counters.set(key, { name: metric, attributes: attrs, value: by });
  }

  async flush(): Promise<void> {
    const spans = this.spans;
    const points = [...this.counters.values()];
    this.spans = [];
    this.counters = new Map();
    if (spans.length === 0 && points.length === 0) return;
    await exportOtlp(this.config, spans, points, this.startedAt, nowNanos());
  }
}

/** Runs `fn` inside `span`: the result's attributes on success, the error status on a throw, ended either way. */
export async function inSpan<T>(span: Span, fn: () => Promise<T>, describe: (result: T) => Attributes): Promise<T> {
  try {
    const result = await fn();
    span.set(describe(result));
    return result;
  } catch (err) {
    span.error(err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    span.end();
  }
}
