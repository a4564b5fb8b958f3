import { createRequire } from "node:module";

/**
 * autocannon 8 ships no types; these cover the part of its programmatic API
 * the benchmark uses (see node_modules/autocannon/README.md, "API").
 */

export interface Histogram {
  average: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  total: number;
  p50: number;
  p90: number;
  p97_5: number;
  p99: number;
}

export interface Result {
  /** Seconds. */
  duration: number;
  requests: Histogram & { sent: number };
  /** Milliseconds, 2xx responses only. */
  latency: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  "2xx": number;
  statusCodeStats: Record<string, { count: number }>;
}

export interface RequestParams {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface RequestSpec extends RequestParams {
  /** Called before each request; the returned request is sent. */
  setupRequest?: (req: RequestParams, context: Record<string, unknown>) => RequestParams;
}

export interface Options {
  url: string;
  connections?: number;
  /** Seconds. */
  duration?: number;
  amount?: number;
  /** Requests per second over all connections; latencies are then corrected for coordinated omission. */
  overallRate?: number;
  /** Seconds. */
  timeout?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  requests?: RequestSpec[];
}

type Run = (opts: Options) => Promise<Result>;

const require = createRequire(import.meta.url);
const loaded: unknown = require("autocannon");
if (typeof loaded !== "function") throw new Error("autocannon did not load as a function");

/** Runs one load test; without a callback autocannon returns a thenable tracker. */
export const autocannon = loaded as Run;
