/** One load case's numbers, shared by the autocannon cases, the paced client and the report. */
export interface CaseResult {
  /** 2xx per second over the run. */
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  /** The rate asked for (overallRate), if any. */
  targetRps: number | null;
}
