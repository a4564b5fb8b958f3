import { parseDuration } from "./duration";
import { type OwnershipRules, STEPS } from "./schema";

/**
 * The runbook matrix operators print: one row per step. RFC 4180 (CRLF, quoted
 * fields), and hardened against formula injection because the cells hold
 * tenant-supplied text that ends up opened in Excel or Sheets.
 */

export const CSV_HEADER = [
  "step",
  "owning_party",
  "owner",
  "backup",
  "on_call",
  "sla",
  "sla_seconds",
  "exception_type",
  "exception_contact",
  "consumer_url",
  "requires_ack",
  "version",
] as const;

/**
 * A leading = + - @ (or tab / CR, which some spreadsheets skip before them)
 * makes a cell a formula; a single quote makes the spreadsheet show it as text.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  let s = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function rulesCsv(rules: OwnershipRules, version: number): string {
  const lines = [CSV_HEADER.join(",")];
  for (const step of STEPS) {
    const r = rules.steps[step];
    const ms = parseDuration(r.sla);
    lines.push(
      [
        step,
        r.owning_party,
        r.owner,
        r.backup,
        r.on_call,
        r.sla,
        ms === null ? "" : ms / 1000,
        r.exception_path?.type,
        r.exception_path?.contact_id,
        r.consumer?.url,
        r.consumer?.requires_ack,
        version,
      ]
        .map(csvCell)
        .join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}
