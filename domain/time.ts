/**
 * Instants as epoch ms and as ISO-8601 text, converted through small memos.
 * A decision reads and stamps the same few instants many times (every fold
 * re-derives milestones from the facts' `occurred_at`, every record carries
 * `now`), and Date.parse / toISOString cost about a microsecond each: a
 * what-if replaying a month spent a fifth of its time in them. Both are pure,
 * so a memo changes nothing but the time; it is bounded (cleared when full)
 * so an isolate that lives long does not grow.
 */
const MEMO_MAX = 8192;

/** One memo per conversion (not a shared generic one): each call site stays monomorphic in its key type. */
const isoOf = new Map<number, string>();
const msOf = new Map<string, number>();

/** Epoch milliseconds as the ISO-8601 UTC text every record and document carries. */
let lastMs = Number.NaN;
let lastIso = "";

export function iso(ms: number): string {
  // One decision stamps its `now` on many records: the last instant first, then the memo.
  if (ms === lastMs) return lastIso;
  let text = isoOf.get(ms);
  if (text === undefined) {
    text = new Date(ms).toISOString();
    if (isoOf.size >= MEMO_MAX) isoOf.clear();
    isoOf.set(ms, text);
  }
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
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** Date.parse, memoised: NaN for text that is not an instant. */
export function parseInstant(text: string): number {
  const hit = msOf.get(text);
  if (hit !== undefined) return hit;
  const fast = canonicalInstantMs(text);
  if (!Number.isNaN(fast)) return fast;
  const ms = Date.parse(text);
  if (msOf.size >= MEMO_MAX) msOf.clear();
  msOf.set(text, ms);
  return ms;
}
