import { Agent, request } from "node:http";
import type { RequestParams } from "./autocannon";
import type { CaseResult } from "./result";

/**
 * Constant-rate (open-loop) load, as wrk2 does it: request i is due at
 * start + i/rate, whether or not earlier ones have answered, and its latency
 * runs from when it was due, so a stalled server is charged for the requests
 * it kept waiting (no coordinated omission).
 *
 * Why not autocannon's overallRate: it lets each connection send its quota as
 * fast as it can at the top of every second, so the load arrives as one burst
 * per second, all connections at once, and the p99 measures how long the
 * burst takes to drain. Its correction then assumes a 1 ms interval
 * (ceil(1 / rate)), which floods the histogram with synthetic slow samples.
 */

export interface PacedOptions {
  url: string;
  rate: number;
  seconds: number;
  next: () => RequestParams;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

export async function paced(o: PacedOptions): Promise<CaseResult> {
  const target = new URL(o.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(o.rate * o.seconds);
  const interval = 1000 / o.rate;
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const inflight: Promise<void>[] = [];
  const send = (due: number, req: RequestParams): Promise<void> =>
    new Promise<void>((resolve) => {
      // Exactly one outcome per request, whichever event comes first; a response cut off mid-body is an error.
      let settled = false;
      const settle = (outcome: "ok" | "non2xx" | "error"): void => {
        if (settled) return;
        settled = true;
        if (outcome === "ok") latencies.push(performance.now() - due);
        else if (outcome === "non2xx") non2xx++;
        else errors++;
        resolve();
      };
      const body = req.body === undefined ? undefined : Buffer.from(req.body);
      const headers: Record<string, string | number> = { ...(req.headers ?? {}) };
      if (body) headers["content-length"] = body.length;
      const r = request({ agent, host: target.hostname, port: target.port, method: req.method ?? "GET", path: req.path ?? "/", headers }, (res) => {
        res.resume();
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          settle(status >= 200 && status < 300 ? "ok" : "non2xx");
        });
        res.on("error", () => settle("error"));
        res.on("close", () => settle("error"));
      });
      r.setTimeout(30_000, () => r.destroy(new Error("timeout")));
      r.on("error", () => settle("error"));
      r.end(body);
    });

  const start = performance.now() + 50;
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(send(due, o.next()));
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    // Over the sending window (total / rate), not until the last answer: the tail would read as a lower rate.
    rps: latencies.length / (total / o.rate),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ok: latencies.length,
    non2xx,
    errors,
    seconds: elapsed,
    targetRps: o.rate,
  };
}
