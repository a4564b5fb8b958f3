import { afterEach, describe, expect, it, vi } from "vitest";
import { formatTraceparent, parseTraceparent, requestIdFrom } from "../../../worker/telemetry/context";
import { encodeAttributes, encodeMetrics } from "../../../worker/telemetry/otlp";
import { METRICS, NOOP_TELEMETRY, telemetryFor } from "../../../worker/telemetry/tracer";
import { readPoints, readSpans } from "../../helpers/otlp-receiver";

afterEach(() => vi.unstubAllGlobals());

describe("W3C traceparent", () => {
  it("parses the spec's example and round-trips", () => {
    const v = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    expect(parseTraceparent(v)).toEqual({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", sampled: true });
    const c = parseTraceparent(v);
    expect(c && formatTraceparent(c)).toBe(v);
  });

  it("ignores malformed or all-zero values rather than failing the request", () => {
    for (const bad of ["", "garbage", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01"]) {
      expect(parseTraceparent(bad)).toBeNull();
    }
  });

  it("request ids: sane inbound kept, others replaced", () => {
    expect(requestIdFrom("abc-1234_5678")).toBe("abc-1234_5678");
    expect(requestIdFrom("a b c d e f g h")).toMatch(/^req_[0-9a-f]{24}$/);
    expect(requestIdFrom(null)).toMatch(/^req_[0-9a-f]{24}$/);
  });
});

describe("telemetry without an endpoint", () => {
  it("is the shared no-op: no spans, no ids, no fetch", async () => {
    const fetch = vi.fn();
    vi.stubGlobal("fetch", fetch);
    const t = telemetryFor({});
    expect(t).toBe(NOOP_TELEMETRY);
    expect(telemetryFor({ OTEL_EXPORTER_OTLP_ENDPOINT: "  " })).toBe(NOOP_TELEMETRY);
    const s = t.span("x", { tenant: "a" }, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    expect(s.traceparent()).toBeNull();
    s.end();
    t.count(METRICS.acks, { tenant: "a" });
    await t.flush();
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe("telemetry with an endpoint", () => {
  it("exports children of the inbound context and summed counters in one flush, with the configured headers", async () => {
    const sent: { url: string; headers: Record<string, string>; body: unknown }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      sent.push({ url, headers: init.headers as Record<string, string>, body: JSON.parse(String(init.body)) });
      return new Response("{}");
    });
    const t = telemetryFor({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector.test:4318/", OTEL_EXPORTER_OTLP_HEADERS: "x-honeycomb-team=abc%3D1,x-other = 2" });
    const parent = t.span("parent", { tenant: "a" }, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "server");
    const child = t.span("child", { n: 3, ratio: 0.5, ok: true, gone: null }, parent.context());
    child.error("boom");
    child.end();
    parent.end();
    t.count(METRICS.rejections, { tenant: "a", code: "signature_invalid" });
    t.count(METRICS.rejections, { code: "signature_invalid", tenant: "a" });
    t.count(METRICS.acks, { tenant: "a" });
    await t.flush();
    await t.flush(); // nothing left: no second export
    expect(sent.map((s) => s.url).sort()).toEqual(["http://collector.test:4318/v1/metrics", "http://collector.test:4318/v1/traces"]);
    for (const s of sent) expect(s.headers).toMatchObject({ "content-type": "application/json", "x-honeycomb-team": "abc=1", "x-other": "2" });
    const spans = readSpans(sent.find((s) => s.url.endsWith("/v1/traces"))?.body);
    const [c, p] = spans;
    expect(p).toMatchObject({ name: "parent", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", parentSpanId: "00f067aa0ba902b7", kind: 2, service: "handoff" });
    expect(c).toMatchObject({ name: "child", traceId: p?.traceId, parentSpanId: p?.spanId, status: 2, attributes: { n: 3, ratio: 0.5, ok: true } });
    expect(c?.attributes).not.toHaveProperty("gone");
    const points = readPoints(sent.find((s) => s.url.endsWith("/v1/metrics"))?.body);
    expect(points.map((x) => [x.name, x.attributes, x.value])).toEqual([
      [METRICS.rejections, { tenant: "a", code: "signature_invalid" }, 2],
      [METRICS.acks, { tenant: "a" }, 1],
    ]);
  });

  it("a collector that is down costs a warning, never a throw", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("connection refused");
    });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const t = telemetryFor({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" });
    t.span("s", {}, null).end();
    await expect(t.flush()).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it("encodes OTLP JSON as the proto mapping says: 64-bit ints as strings, delta monotonic sums", () => {
    expect(encodeAttributes({ a: "x", b: 2, c: 1.5, d: false })).toEqual([
      { key: "a", value: { stringValue: "x" } },
      { key: "b", value: { intValue: "2" } },
      { key: "c", value: { doubleValue: 1.5 } },
      { key: "d", value: { boolValue: false } },
    ]);
    const m = encodeMetrics("svc", [{ name: "m", attributes: {}, value: 4 }], 1n, 2n);
    expect(m.resourceMetrics[0]?.scopeMetrics[0]?.metrics[0]?.sum).toEqual({
      aggregationTemporality: 1,
      isMonotonic: true,
      dataPoints: [{ attributes: [], startTimeUnixNano: "1", timeUnixNano: "2", asInt: "4" }],
    });
  });
});
