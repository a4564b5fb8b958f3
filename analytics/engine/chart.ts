import * as Plot from "@observablehq/plot";
import { chartColumns, type ChartSpec } from "./chart-spec";
import { formatDuration, formatOf, formatValue, headerOf, toMajor, type Format } from "./format";
import { escapeHtml, renderOutput } from "./html";
import type { CellRun, QueryResult, Value } from "./run";

/**
 * Charts with Observable Plot. Values are converted per column the same way
 * the table formats them (rates as percent, *_ms in a readable unit, money in
 * major units), so the axis and the table never disagree.
 */

export type PlotDocument = NonNullable<Plot.PlotOptions["document"]>;

type Datum = Record<string, string | number | Date | null>;

const DURATION_UNITS = [
  { label: "days", ms: 86_400_000 },
  { label: "hours", ms: 3_600_000 },
  { label: "minutes", ms: 60_000 },
  { label: "seconds", ms: 1000 },
] as const;

/** The largest unit in which the biggest value is still at least 2: 90 minutes reads better than 1.5 hours on an axis. */
function durationUnit(values: readonly number[]): (typeof DURATION_UNITS)[number] {
  const max = Math.max(0, ...values.map(Math.abs));
  return DURATION_UNITS.find((u) => max >= 2 * u.ms) ?? DURATION_UNITS[3];
}

interface ChannelInfo {
  format: Format;
  label: string;
  divisor: number;
}

function channelInfo(r: QueryResult, name: string): ChannelInfo {
  const idx = r.columns.findIndex((c) => c.name === name);
  const col = r.columns[idx];
  if (!col) throw new Error(`chart column '${name}' is not in the result`);
  const format = formatOf(col, r.columns);
  if (format === "duration") {
    const unit = durationUnit(r.rows.map((row) => row[idx]).filter((v): v is number => typeof v === "number"));
    return { format, label: `${headerOf(name)} (${unit.label})`, divisor: unit.ms };
  }
  if (format === "money") return { format, label: `${headerOf(name)} (major units)`, divisor: 1 };
  if (format === "percent") return { format, label: `${headerOf(name)} (%)`, divisor: 1 };
  return { format, label: headerOf(name), divisor: 1 };
}

function plotValue(v: Value, info: ChannelInfo, currency: string | null): string | number | Date | null {
  if (v === null) return null;
  if (info.format === "date" || info.format === "timestamp") return typeof v === "string" ? new Date(v) : null;
  if (typeof v !== "number") return typeof v === "boolean" ? String(v) : v;
  if (info.format === "money") return toMajor(v, currency);
  return v / info.divisor;
}

const DAY_MONTH = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const shortDate = (d: Date): string => DAY_MONTH.format(d);

function distinct(values: readonly (string | number | Date | null)[]): (string | number | Date)[] {
  const seen = new Set<string>();
  const out: (string | number | Date)[] = [];
  for (const v of values) {
    if (v === null) continue;
    const k = v instanceof Date ? `d${v.getTime()}` : `${typeof v}${String(v)}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

/** Renders one chart block over a result to markup (SVG, or a figure with its legend). */
export function renderChart(spec: ChartSpec, r: QueryResult, document: PlotDocument): string {
  for (const c of chartColumns(spec)) if (!r.columns.some((col) => col.name === c)) throw new Error(`chart column '${c}' is not in the result`);
  const info = new Map(chartColumns(spec).map((c) => [c, channelInfo(r, c)]));
  const currencyAt = r.columns.findIndex((c) => c.name === "currency");
  // A row without a value for a facet or colour has nowhere to go (it would show as a "null" series); the table still lists it.
  const grouping = [spec.fill, spec.stroke, spec.fx, spec.fy].flatMap((c) => (c === undefined ? [] : [r.columns.findIndex((col) => col.name === c)]));
  const rows = r.rows.filter((row) => grouping.every((i) => row[i] !== null));
  const data: Datum[] = rows.map((row) => {
    const currency = currencyAt >= 0 && typeof row[currencyAt] === "string" ? (row[currencyAt] as string) : null;
    const d: Datum = {};
    for (const [name, ci] of info) d[name] = plotValue(row[r.columns.findIndex((c) => c.name === name)] ?? null, ci, currency);
    d.__title = tooltip(spec, r, row);
    return d;
  });
  const x = info.get(spec.x);
  const y = info.get(spec.y);
  if (!x || !y) throw new Error("chart needs x and y");
  const bandX = spec.mark === "barY" || spec.mark === "cell";
  const bandY = spec.mark === "barX" || spec.mark === "cell";
  const axis = (ci: ChannelInfo, band: boolean, values: (string | number | Date | null)[]): Plot.ScaleOptions => {
    // A category axis is labelled by its own ticks (and the table header); its title would only collide with them.
    const o: Plot.ScaleOptions = { label: band && ci.format === "text" ? null : ci.label };
    if (ci.format === "percent") o.percent = true;
    if (band) {
      // Keep the query's order: the SQL decided what comes first, not the alphabet.
      o.domain = distinct(values);
      if (ci.format === "date" || ci.format === "timestamp") o.tickFormat = (d: Date) => shortDate(d);
    } else if (ci.format === "date" || ci.format === "timestamp") {
      o.type = "utc";
      // Weekly or daily points: tick each one, not Plot's calendar guesses in between.
      const points = distinct(values);
      if (ci.format === "date" && points.length <= 16) {
        o.ticks = points;
        o.tickFormat = (d: Date) => shortDate(d);
      }
    } else {
      Object.assign(o, valueScale(values, ci.format === "percent"));
    }
    return o;
  };
  const channels: Channels = { x: spec.x, y: spec.y, title: "__title" };
  if (spec.fill) channels.fill = spec.fill;
  if (spec.stroke) channels.stroke = spec.stroke;
  if (spec.fx) channels.fx = spec.fx;
  if (spec.fy) channels.fy = spec.fy;
  const marks: Plot.Markish[] = [markOf(spec, data, channels)];
  if (spec.mark === "barY" || spec.mark === "areaY") marks.push(Plot.ruleY([0]));
  if (spec.mark === "barX") marks.push(Plot.ruleX([0]));
  const longest = bandY ? Math.max(0, ...data.map((d) => String(d[spec.y] ?? "").length)) : 0;
  const colorColumn = spec.fill ?? spec.stroke;
  const el = Plot.plot({
    document,
    width: 760,
    height: spec.height ?? (bandY ? Math.max(120, 26 * distinct(data.map((d) => d[spec.y] ?? null)).length + 50) : 300),
    // Room for the longest category label (short ones like "payment" were clipped at 6.5 px a character).
    marginLeft: bandY ? Math.min(260, 20 + longest * 7) : 56,
    marginBottom: 40,
    x: axis(x, bandX, data.map((d) => d[spec.x] ?? null)),
    y: axis(y, bandY, data.map((d) => d[spec.y] ?? null)),
    color: colorColumn ? { legend: true, label: headerOf(colorColumn) } : {},
    marks,
  });
  const caption = spec.title ? `<p class="nb-caption">${escapeHtml(spec.title)}</p>` : "";
  return `${el.outerHTML}${caption}`;
}

/**
 * A value axis (counts, durations, rates, money) reads against zero. Its
 * domain is fixed rather than left to Plot: with every value 0 Plot gets the
 * degenerate domain [0, 0], draws each 0 as a full-height bar and labels the
 * one tick "0.000000". All zero (or no rows) gets [0, 1] in the axis's unit
 * (0–100 % for a rate, one hour for hours, one for a count), so 0 is a bar of
 * no height at the foot of an ordinary axis. Whole-number data get whole-number
 * ticks. A rate's domain is in percent: Plot's `percent` scales the data, not the domain.
 */
export function valueScale(values: readonly (string | number | Date | null)[], percent = false): Plot.ScaleOptions {
  const nums = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v)).map((v) => (percent ? v * 100 : v));
  const lo = Math.min(0, ...nums);
  let hi = Math.max(0, ...nums);
  if (hi === lo) hi = lo + (percent ? 100 : 1);
  // No "↑" before the label: the other axes have none.
  const o: Plot.ScaleOptions = { domain: [lo, hi], nice: true, labelArrow: "none" };
  if (!percent && nums.every(Number.isInteger) && hi - lo <= 10) {
    o.ticks = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
    o.tickFormat = "d";
  }
  return o;
}

interface Channels {
  x: string;
  y: string;
  title: string;
  fill?: string;
  stroke?: string;
  fx?: string;
  fy?: string;
}

function markOf(spec: ChartSpec, data: Datum[], channels: Channels): Plot.Markish {
  switch (spec.mark) {
    case "barY":
      return Plot.barY(data, { ...channels, fill: channels.fill ?? "#2f5bd3" });
    case "barX":
      return Plot.barX(data, { ...channels, fill: channels.fill ?? "#2f5bd3" });
    case "line":
      return Plot.line(data, { ...channels, stroke: channels.stroke ?? "#2f5bd3", marker: true });
    case "areaY":
      return Plot.areaY(data, { ...channels, fill: channels.fill ?? "#2f5bd3", fillOpacity: 0.3 });
    case "dot":
      return Plot.dot(data, { ...channels, fill: channels.fill ?? "#2f5bd3" });
    case "cell":
      return Plot.cell(data, channels);
  }
}

/** The native tooltip of a mark: every charted column, formatted as in the table. */
function tooltip(spec: ChartSpec, r: QueryResult, row: Value[]): string {
  const currencyAt = r.columns.findIndex((c) => c.name === "currency");
  const currency = currencyAt >= 0 && typeof row[currencyAt] === "string" ? (row[currencyAt] as string) : null;
  return chartColumns(spec)
    .map((name) => {
      const i = r.columns.findIndex((c) => c.name === name);
      const col = r.columns[i];
      if (!col) return "";
      const f = formatOf(col, r.columns);
      const v = row[i] ?? null;
      return `${headerOf(name)}: ${f === "duration" && typeof v === "number" ? formatDuration(v) : formatValue(v, f, currency)}`;
    })
    .filter((s) => s !== "")
    .join("\n");
}

/** A cell's whole output: its charts (a broken chart shows its error, not a blank) and its table. */
export function renderRun(run: CellRun, document: PlotDocument): string {
  const charts = run.result === null ? [] : run.cell.charts.map((spec) => {
    try {
      return renderChart(spec, run.result ?? { columns: [], rows: [] }, document);
    } catch (err) {
      return `<div class="nb-error"><strong>Chart failed.</strong><pre>${escapeHtml(err instanceof Error ? err.message : String(err))}</pre></div>`;
    }
  });
  return renderOutput(run, charts);
}
