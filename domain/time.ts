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

/** Date.parse, memoised: NaN for text that is not an instant. */
export function parseInstant(text: string): number {
  const hit = msOf.get(text);
  if (hit !== undefined) return hit;
  const ms = Date.parse(text);
  if (msOf.size >= MEMO_MAX) msOf.clear();
  msOf.set(text, ms);
  return ms;
}
