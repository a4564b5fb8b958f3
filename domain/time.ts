/**
 * Instants as epoch ms and as ISO-8601 text. A decision reads and stamps the
 * same few instants many times (every fold re-derives milestones from the
 * facts' `occurred_at`, every record carries `now`), and Date.parse /
 * toISOString cost about a microsecond each: a what-if replaying a month spent
 * a fifth of its time in them. The canonical form is read and written field by
 * field; anything else goes to Date, through a memo bounded (cleared when full)
 * so an isolate that lives long does not grow.
 */
const MEMO_MAX = 8192;

/** Parses are memoised (text keys hash cheaply); formats are computed (see `iso`). */
const msOf = new Map<string, number>();

/** The first instant toISOString writes with a six-digit year (+010000-01-01): from there on, Date formats it. */
const YEAR_10000_MS = 253_402_300_800_000;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/**
 * toISOString for an integer instant in 1970-9999, computed field by field
 * (days to a civil date: H. Hinnant's algorithm). A month's trail holds a
 * different instant per entry, so a memo missed one call in four and held 8,192
 * numbers as keys; this costs less than the lookup did. Property-tested against toISOString.
 */
function utcText(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  const inDay = ms - days * 86_400_000;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const h = Math.floor(inDay / 3_600_000);
  const mi = Math.floor((inDay % 3_600_000) / 60_000);
  const sec = Math.floor((inDay % 60_000) / 1000);
  const milli = inDay % 1000;
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(h)}:${pad2(mi)}:${pad2(sec)}.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`;
}

/** Epoch milliseconds as the ISO-8601 UTC text every record and document carries. */
let lastMs = Number.NaN;
let lastIso = "";

export function iso(ms: number): string {
  // One decision stamps its `now` on many records: the last instant first.
  if (ms === lastMs) return lastIso;
  // Outside 1970-9999 or not an integer: Date's own answer (and its RangeError for NaN).
  const text = Number.isInteger(ms) && ms >= 0 && ms < YEAR_10000_MS ? utcText(ms) : new Date(ms).toISOString();
  lastMs = ms;
  lastIso = text;
  return text;
}

/** The decimal number in text[from, to), or -1 when a character there is not a digit. */
function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * The canonical form every record carries (`toISOString`: `YYYY-MM-DDTHH:MM:SS.sssZ`, a
 * four-digit year) read field by field: a what-if reads a month of such instants, each once, so
 * the memo misses and Date.parse cost a microsecond apiece. Only values whose meaning cannot
 * differ from Date.parse's are taken (years from 100, days up to 28, no leap second); anything
 * else is NaN here and goes to Date.parse.
 */
export function canonicalInstantMs(text: string): number {
  if (text.length !== 24 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 || text.charCodeAt(13) !== 58) return Number.NaN;
  if (text.charCodeAt(16) !== 58 || text.charCodeAt(19) !== 46 || text.charCodeAt(23) !== 90) return Number.NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  const ms = digits(text, 20, 23);
  // Date.UTC reads years 0-99 as 1900-1999; -1 (not digits) fails the same checks.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > 28 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) return Number.NaN;
  return daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; Date.UTC's answer, without the call). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Date.parse, memoised: NaN for text that is not an instant. */
export function parseInstant(text: string): number {
  // Nearly every instant is in the canonical form (the memo hit 1 call in 100 in a what-if): that reader first.
  const fast = canonicalInstantMs(text);
  if (!Number.isNaN(fast)) return fast;
  const hit = msOf.get(text);
  if (hit !== undefined) return hit;
  const ms = Date.parse(text);
  if (msOf.size >= MEMO_MAX) msOf.clear();
  msOf.set(text, ms);
  return ms;
}
