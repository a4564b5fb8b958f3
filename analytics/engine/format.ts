import type { Column, Value } from "./run";

/**
 * How a column reads, from its name: a notebook author names a column
 * `dropped_rate`, `mttr_p50_ms` or `at_risk_minor` and the table shows
 * "12.4 %", "3 h 12 min" or "USD 1,234.50" without per-cell configuration.
 */

export type Format = "money" | "duration" | "percent" | "integer" | "decimal" | "timestamp" | "date" | "text" | "boolean";

export function formatOf(col: Column, columns: readonly Column[]): Format {
  const n = col.name;
  if (col.kind === "timestamp") return n === "week" || n === "day" || n.endsWith("_date") ? "date" : "timestamp";
  if (col.kind === "boolean") return "boolean";
  if (col.kind === "text") return "text";
  if (n.endsWith("_minor") && columns.some((c) => c.name === "currency")) return "money";
  if (n.endsWith("_ms")) return "duration";
  if (n.endsWith("_rate") || n.endsWith("_share")) return "percent";
  return "decimal";
}

const INT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const DEC = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const PCT = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** Digits after the decimal point of a currency (JPY 0, KWD 3), from the platform's own ISO-4217 table. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

export function toMajor(minor: number, currency: string | null): number {
  return minor / 10 ** (currency === null ? 2 : currencyDigits(currency));
}

export function formatMoney(minor: number, currency: string | null): string {
  if (currency === null) return DEC.format(minor / 100);
  const digits = currencyDigits(currency);
  const f = new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${currency} ${f.format(minor / 10 ** digits)}`;
}

/** "850 ms", "42 s", "12 min", "3 h 12 min", "2 d 4 h": the two largest units are all a reader needs. */
export function formatDuration(ms: number): string {
  const neg = ms < 0 ? "−" : "";
  const a = Math.abs(ms);
  if (a < 1000) return `${neg}${Math.round(a)} ms`;
  const s = a / 1000;
  if (s < 60) return `${neg}${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const totalMin = Math.round(s / 60);
  if (totalMin < 60) return `${neg}${totalMin} min`;
  const totalH = Math.floor(totalMin / 60);
  if (totalH < 24) {
    const m = totalMin % 60;
    return `${neg}${totalH} h${m ? ` ${m} min` : ""}`;
  }
  const totalHours = Math.round(s / 3600);
  const d = Math.floor(totalHours / 24);
  const h = totalHours % 24;
  return `${neg}${d} d${h ? ` ${h} h` : ""}`;
}

export function formatTimestamp(iso: string, dateOnly: boolean): string {
  const date = iso.slice(0, 10);
  const time = iso.slice(11, 16);
  return dateOnly || (time === "00:00" && iso.slice(16, 19) === ":00") ? date : `${date} ${time} UTC`;
}

export function formatValue(v: Value, format: Format, currency: string | null): string {
  if (v === null) return "—";
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "string") {
    if (format === "timestamp" || format === "date") return formatTimestamp(v, format === "date");
    return v;
  }
  switch (format) {
    case "money":
      return formatMoney(v, currency);
    case "duration":
      return formatDuration(v);
    case "percent":
      return `${PCT.format(v * 100)} %`;
    case "integer":
      return INT.format(v);
    default:
      return Number.isInteger(v) ? INT.format(v) : DEC.format(v);
  }
}

const ACRONYMS: Record<string, string> = { mttd: "MTTD", mttr: "MTTR", sla: "SLA", utm: "UTM", id: "ID", p50: "p50", p90: "p90" };

/** "mttr_p50_ms" → "MTTR p50", "at_risk_minor" → "At risk": the unit shows in the values. */
export function headerOf(name: string): string {
  const words = name.replace(/_(ms|minor)$/, "").split("_").filter((w) => w !== "");
  const text = words.map((w) => ACRONYMS[w] ?? w).join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
