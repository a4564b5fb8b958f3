/**
 * ISO-8601 durations for SLAs and retry policy: `P[nW][nD][T[nH][nM][n[.fff]S]]`.
 *
 * Only fixed-length units are accepted. A year or a month has no fixed length
 * (a "P1M" SLA would mean 28 to 31 days depending on when the order arrived), and
 * timers are plain millisecond offsets, so those units are refused rather than
 * guessed. Seconds are allowed so tests and demos can run on short SLAs.
 */

const MS = { W: 7 * 86_400_000, D: 86_400_000, H: 3_600_000, M: 60_000, S: 1_000 } as const;

/** Upper bound: far beyond any sane SLA, and keeps `now + ms` a valid Date for timers. */
export const MAX_DURATION_MS = 366 * MS.D;

const PATTERN = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,](\d{1,3}))?S)?)?$/;

type Parsed = { ok: true; ms: number } | { ok: false; problem: string };

function parse(iso: string): Parsed {
  const fail = (problem: string): Parsed => ({ ok: false, problem });
  if (typeof iso !== "string" || iso.length === 0) return fail("is empty; expected an ISO-8601 duration such as PT4H");
  if (iso.length > 64) return fail("is too long to be a duration");
  // Years and months are diagnosed before the general pattern so the message says why.
  const datePart = iso.startsWith("P") ? (iso.slice(1).split("T")[0] ?? "") : "";
  if (/\d(?:[.,]\d+)?Y/.test(datePart)) {
    return fail(`'${iso}' uses years, which have no fixed length; use weeks or days (e.g. P52W or P365D)`);
  }
  if (/\d(?:[.,]\d+)?M/.test(datePart)) {
    return fail(`'${iso}' uses months, which have no fixed length; use weeks or days (e.g. P30D); minutes go after T (PT30M)`);
  }
  const m = PATTERN.exec(iso);
  if (!m || iso === "P") {
    return fail(`'${iso}' is not an ISO-8601 duration of the form P[nW][nD][T[nH][nM][n[.fff]S]] (e.g. PT30S, PT4H, P2D)`);
  }
  const [, w, d, h, min, s, frac] = m;
  const num = (v: string | undefined): number => (v === undefined ? 0 : Number(v));
  const fracMs = frac === undefined ? 0 : Number(frac.padEnd(3, "0"));
  const ms = num(w) * MS.W + num(d) * MS.D + num(h) * MS.H + num(min) * MS.M + num(s) * MS.S + fracMs;
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) return fail(`'${iso}' is longer than the maximum of 366 days (P366D)`);
  if (ms <= 0) return fail(`'${iso}' is zero; a duration must be greater than zero`);
  return { ok: true, ms };
}

/**
 * Every SLA clock and retry decision reads the rules' few durations again; a
 * what-if replaying a month read them millions of times. Parsed once per text
 * (a rule set holds a handful; bounded all the same).
 */
const PARSED = new Map<string, number | null>();
const PARSED_MAX = 256;

/** Milliseconds for a valid, positive, fixed-length duration; null otherwise. */
export function parseDuration(iso: string): number | null {
  const hit = PARSED.get(iso);
  if (hit !== undefined) return hit;
  const r = parse(iso);
  const ms = r.ok ? r.ms : null;
  if (typeof iso === "string" && iso.length <= 64) {
    if (PARSED.size >= PARSED_MAX) PARSED.clear();
    PARSED.set(iso, ms);
  }
  return ms;
}

/** Why a duration is refused, for validation messages; null when it is valid. */
export function durationProblem(iso: string): string | null {
  const r = parse(iso);
  return r.ok ? null : r.problem;
}
