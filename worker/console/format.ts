import { formatMoney as money } from "../../domain/money";

/** Display helpers: pure, so every page says times, money and levels the same way. */

export const LEVEL_NAMES = ["owner", "backup", "on-call"] as const;

export function levelName(level: number): string {
  return LEVEL_NAMES[level] ?? `level ${level}`;
}

/** "1,234.50 EUR": one formatter for the console and the notifications (domain/money.ts). */
export { money };

export function moneyOf(v: { amount_minor: number; currency: string } | null | undefined): string {
  return v ? money(v.amount_minor, v.currency) : "—";
}

/** "3m", "2h 5m", "4d 3h": the two most significant units, which is what a glance needs. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(Math.abs(ms) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 && m < 10 ? ` ${s % 60}s` : ""}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60 ? ` ${m % 60}m` : ""}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? ` ${h % 24}h` : ""}`;
}

const UNIT_WORDS = [
  [86_400_000, "day"],
  [3_600_000, "hour"],
  [60_000, "minute"],
  [1000, "second"],
] as const;

/**
 * "15 minutes", "2 hours": for labels. The card headings are upper-cased by
 * CSS, which turns the compact "15m" into "15M" (read: months, or mega).
 */
export function durationWords(ms: number): string {
  const [unit, word] = UNIT_WORDS.find(([u]) => Math.abs(ms) >= u && ms % u === 0) ?? UNIT_WORDS[3];
  const n = Math.round(ms / unit);
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Milestones earliest first, whatever order the object stored them in; names without `_at`. */
export function milestonesInOrder(milestones: Record<string, string | undefined | null>): [string, string][] {
  return Object.entries(milestones)
    .filter((e): e is [string, string] => typeof e[1] === "string")
    .map(([k, at]): [string, string, number] => [k.replace(/_at$/, ""), at, Date.parse(at)])
    .sort((a, b) => (Number.isNaN(a[2]) ? 1 : Number.isNaN(b[2]) ? -1 : a[2] - b[2]))
    .map(([k, at]) => [k, at]);
}

/**
 * One field of audit data or evidence as a person reads it: `lag_ms: 1433288833`
 * is "lag 16d 14h", not "lag ms 1433288833".
 */
export function field(key: string, v: unknown, max = 160): [string, string] {
  if (key.endsWith("_ms") && typeof v === "number" && Number.isFinite(v)) {
    // A delivery's latency is often under a second: "850ms", not "1s".
    const text = Math.abs(v) < 1000 ? `${Math.round(Math.abs(v))}ms` : duration(v);
    return [humanize(key.slice(0, -3)), `${v < 0 ? "−" : ""}${text}`];
  }
  return [humanize(key), brief(v, max)];
}

/** "in 4m" / "12m ago" relative to now; unparseable input is shown as given. */
export function relative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = t - now;
  if (Math.abs(d) < 1000) return "now";
  return d > 0 ? `in ${duration(d)}` : `${duration(d)} ago`;
}

export function isPast(iso: string | null | undefined, now = Date.now()): boolean {
  if (!iso) return false;
  const t = Date.parse(iso);
  return !Number.isNaN(t) && t < now;
}

/** "2026-08-01 14:03:07 UTC": absolute, unambiguous, sortable by eye. */
export function stamp(iso: string | null | undefined): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

/** A one-line rendering of an arbitrary value (audit data, evidence), bounded so one payload cannot swamp a page. */
export function brief(v: unknown, max = 240): string {
  let text: string;
  if (typeof v === "string") text = v;
  else if (v === undefined) text = "";
  else {
    try {
      text = JSON.stringify(v) ?? String(v);
    } catch {
      text = String(v);
    }
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function humanize(s: string): string {
  return s.replace(/_/g, " ");
}

/** The query string of a console URL, minus empty values. */
export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}
