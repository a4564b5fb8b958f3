import { formatOf, formatValue, headerOf, type Format } from "./format";
import type { Notebook, NotebookCell } from "./notebook";
import type { CellRun, QueryResult, Value } from "./run";

/**
 * HTML for notebooks, as strings so the same code serves the Node report,
 * the Worker's server-rendered page and the browser (which fills in cell
 * outputs). Charts are rendered separately (chart.ts): the Worker never needs Plot.
 */

export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const NUMERIC: ReadonlySet<Format> = new Set(["money", "duration", "percent", "integer", "decimal"]);

export function renderTable(r: QueryResult, maxRows = 100): string {
  if (r.columns.length === 0) return `<p class="nb-empty">No result.</p>`;
  if (r.rows.length === 0) return `<p class="nb-empty">No rows.</p>`;
  const formats = r.columns.map((c) => formatOf(c, r.columns));
  const currencyAt = r.columns.findIndex((c) => c.name === "currency");
  // Money already says its currency; a separate currency column would only repeat it.
  const shown = r.columns.map((c, i) => !(i === currencyAt && formats.includes("money")));
  const head = r.columns
    .map((c, i) => (shown[i] ? `<th class="${NUMERIC.has(formats[i] ?? "text") ? "num" : ""}" title="${escapeHtml(c.name)}">${escapeHtml(headerOf(c.name))}</th>` : ""))
    .join("");
  const body = r.rows
    .slice(0, maxRows)
    .map((row) => {
      const currency = currencyAt >= 0 ? row[currencyAt] : null;
      const cells = row.map((v, i) => (shown[i] ? renderCell(v, formats[i] ?? "text", typeof currency === "string" ? currency : null) : ""));
      return `<tr>${cells.join("")}</tr>`;
    })
    .join("");
  const more = r.rows.length > maxRows ? `<p class="nb-more">Showing ${maxRows} of ${r.rows.length.toLocaleString("en-US")} rows.</p>` : "";
  return `<div class="nb-table-wrap"><table class="nb-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>${more}`;
}

function renderCell(v: Value, format: Format, currency: string | null): string {
  const text = escapeHtml(formatValue(v, format, currency));
  if (format === "percent" && typeof v === "number") {
    const w = Math.max(0, Math.min(100, v * 100)).toFixed(1);
    return `<td class="num pct">${text}<span class="track"><span class="bar" style="width:${w}%"></span></span></td>`;
  }
  const cls = NUMERIC.has(format) ? "num" : v === null ? "null" : "";
  return `<td${cls ? ` class="${cls}"` : ""}>${text}</td>`;
}

export function renderSql(cell: NotebookCell): string {
  const label = `${cell.hidden ? "Definitions" : "SQL"}${cell.file ? ` · ${escapeHtml(cell.file)}` : ""}`;
  return `<details class="nb-sql"><summary>${label}</summary><pre><code>${escapeHtml(cell.sql)}</code></pre></details>`;
}

/** A cell's output: its error, or its charts (already rendered) and table. */
export function renderOutput(run: CellRun, charts: readonly string[]): string {
  if (run.error !== null) return `<div class="nb-error" role="alert"><strong>This cell failed.</strong><pre>${escapeHtml(run.error)}</pre></div>`;
  if (run.cell.hidden || run.result === null) return "";
  const n = run.result.rows.length;
  const meta = `<p class="nb-meta">${n.toLocaleString("en-US")} row${n === 1 ? "" : "s"} · ${Math.round(run.ms).toLocaleString("en-US")} ms</p>`;
  return `${charts.map((c) => `<div class="nb-chart">${c}</div>`).join("")}${renderTable(run.result)}${meta}`;
}

export interface BodyOptions {
  /** Markdown → HTML for the prose (the hosts pass `marked`; the browser never renders prose). */
  prose: (markdown: string) => string;
  /** Rendered output per cell name; a missing cell shows the placeholder. */
  outputs?: ReadonlyMap<string, string>;
  placeholder?: string;
}

export function renderBody(nb: Notebook, opts: BodyOptions): string {
  const placeholder = opts.placeholder ?? "Not run yet.";
  return nb.blocks
    .map((b) => {
      if (b.kind === "prose") return `<div class="nb-prose">${opts.prose(b.markdown)}</div>`;
      const c = b.cell;
      const out = opts.outputs?.get(c.name);
      // A setup cell shows nothing when it works, and its error when it does not (the page fills it in the same way).
      const pending = c.hidden ? "" : `<p class="nb-placeholder">${escapeHtml(placeholder)}</p>`;
      const output = `<div class="nb-output" data-state="${out === undefined ? "pending" : "done"}">${out ?? pending}</div>`;
      return `<section class="nb-cell${c.hidden ? " nb-hidden" : ""}" id="cell-${c.name}" data-cell="${c.name}">${output}${renderSql(c)}</section>`;
    })
    .join("\n");
}

/** The notebook's own "# Title" would repeat the page header, which carries the title. */
export function withoutTitle(nb: Notebook): Notebook {
  return { ...nb, blocks: nb.blocks.map((b) => (b.kind === "prose" ? { ...b, markdown: b.markdown.replace(/^#\s+.*\n?/, "") } : b)) };
}

export function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}
