import { createServer } from "node:http";
import type { TestProject } from "vitest/node";
import { readBody, reply } from "../../cli/consumer-http";
import type { ReceivedPoint, ReceivedSpan } from "./otlp";

/**
 * vitest globalSetup for the `telemetry` project: an OTLP/HTTP (JSON) receiver
 * on 127.0.0.1, the collector the engine exports to in those tests. It reads
 * the payloads as a collector would (resourceSpans → scopeSpans → spans;
 * resourceMetrics → scopeMetrics → metrics → sum.dataPoints) and refuses
 * anything else with 400, so a malformed export fails the tests that wait for it.
 *
 *   POST /v1/traces, /v1/metrics   OTLP JSON, answered {} (an ExportTrace/MetricsServiceResponse)
 *   GET  /__spans, /__metrics      what arrived, flattened (attributes as a plain object)
 *   GET  /__refused                payloads that did not parse
 *
 * The port is chosen by vitest.config.ts (HANDOFF_OTLP_PORT), which also passes it to
 * workerd as OTEL_EXPORTER_OTLP_ENDPOINT.
 */

const HOST = "127.0.0.1";
const BODY_LIMIT = 4 * 1024 * 1024;
const KEEP = 50_000;

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} must be an array`);
  return v;
}

function rec(v: unknown, what: string): Json {
  if (!isRecord(v)) throw new Error(`${what} must be an object`);
  return v;
}

function anyValue(v: unknown): string | number | boolean {
  const o = rec(v, "value");
  if (typeof o.stringValue === "string") return o.stringValue;
  if (typeof o.boolValue === "boolean") return o.boolValue;
  if (typeof o.intValue === "string" && /^-?\d+$/.test(o.intValue)) return Number(o.intValue);
  if (typeof o.doubleValue === "number") return o.doubleValue;
  throw new Error(`unsupported AnyValue ${JSON.stringify(o)}`);
}

function attributes(v: unknown): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list(v ?? [], "attributes")) {
    const o = rec(kv, "attribute");
    if (typeof o.key !== "string") throw new Error("attribute key must be a string");
    out[o.key] = anyValue(o.value);
  }
  return out;
}

function hex(v: unknown, len: number, what: string): string {
  if (typeof v !== "string" || !new RegExp(`^[0-9a-f]{${len}}$`).test(v)) throw new Error(`${what} must be ${len} lowercase hex digits`);
  return v;
}

function nanos(v: unknown, what: string): string {
  if (typeof v !== "string" || !/^\d+$/.test(v)) throw new Error(`${what} must be a decimal string`);
  return v;
}

export function readSpans(body: unknown): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of list(rec(body, "body").resourceSpans, "resourceSpans")) {
    const r = rec(rs, "resourceSpans[]");
    const service = attributes(rec(r.resource, "resource").attributes)["service.name"];
    for (const ss of list(r.scopeSpans, "scopeSpans")) {
      for (const sp of list(rec(ss, "scopeSpans[]").spans, "spans")) {
        const s = rec(sp, "span");
        if (typeof s.name !== "string") throw new Error("span name must be a string");
        const start = nanos(s.startTimeUnixNano, "startTimeUnixNano");
        const end = nanos(s.endTimeUnixNano, "endTimeUnixNano");
        if (BigInt(end) < BigInt(start)) throw new Error("span ends before it starts");
        out.push({
          service: String(service),
          traceId: hex(s.traceId, 32, "traceId"),
          spanId: hex(s.spanId, 16, "spanId"),
          parentSpanId: s.parentSpanId === undefined || s.parentSpanId === "" ? null : hex(s.parentSpanId, 16, "parentSpanId"),
          name: s.name,
          kind: typeof s.kind === "number" ? s.kind : 0,
          attributes: attributes(s.attributes),
          status: typeof rec(s.status ?? {}, "status").code === "number" ? Number(rec(s.status, "status").code) : 0,
        });
      }
    }
  }
  return out;
}

export function readPoints(body: unknown): ReceivedPoint[] {
  const out: ReceivedPoint[] = [];
  for (const rm of list(rec(body, "body").resourceMetrics, "resourceMetrics")) {
    for (const sm of list(rec(rm, "resourceMetrics[]").scopeMetrics, "scopeMetrics")) {
      for (const m of list(rec(sm, "scopeMetrics[]").metrics, "metrics")) {
        const metric = rec(m, "metric");
        const sum = rec(metric.sum, "sum (only sums are exported)");
        if (typeof metric.name !== "string") throw new Error("metric name must be a string");
        for (const dp of list(sum.dataPoints, "dataPoints")) {
          const p = rec(dp, "dataPoint");
          if (typeof p.asInt !== "string" || !/^\d+$/.test(p.asInt)) throw new Error("asInt must be a decimal string");
          out.push({
            name: metric.name,
            temporality: Number(sum.aggregationTemporality),
            monotonic: sum.isMonotonic === true,
            attributes: attributes(p.attributes),
            value: Number(p.asInt),
          });
        }
      }
    }
  }
  return out;
}

export async function startOtlpReceiver(port: number): Promise<{ close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const points: ReceivedPoint[] = [];
  const refused: { path: string; error: string }[] = [];
  const keep = <T>(into: T[], items: T[]) => {
    into.push(...items);
    if (into.length > KEEP) into.splice(0, into.length - KEEP);
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", `http://${HOST}`).pathname;
    if (req.method === "GET" && path === "/__spans") return reply(res, 200, { spans });
    if (req.method === "GET" && path === "/__metrics") return reply(res, 200, { points });
    if (req.method === "GET" && path === "/__refused") return reply(res, 200, { refused });
    if (req.method !== "POST" || (path !== "/v1/traces" && path !== "/v1/metrics")) return reply(res, 404, { error: "no such route" });
    readBody(req, BODY_LIMIT)
      .then((text) => {
        if (text === null) throw new Error("body too large");
        if (!(req.headers["content-type"] ?? "").startsWith("application/json")) throw new Error("content-type must be application/json");
        const body: unknown = JSON.parse(text);
        if (path === "/v1/traces") keep(spans, readSpans(body));
        else keep(points, readPoints(body));
        reply(res, 200, {});
      })
      .catch((err: unknown) => {
        const error = err instanceof Error ? err.message : String(err);
        refused.push({ path, error });
        reply(res, 400, { error });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const port = Number(process.env.HANDOFF_OTLP_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error("HANDOFF_OTLP_PORT is not set (vitest.config.ts picks it)");
  const receiver = await startOtlpReceiver(port);
  project.provide("otlpUrl", `http://${HOST}:${port}`);
  return () => receiver.close();
}
