/**
 * A chart block: one Plot mark over a cell's result, its channels named by
 * column. Deliberately small — a notebook author picks columns, the renderer
 * picks scales from the column names (rates as percent, *_ms as durations,
 * *_minor as money), so charts and tables read the same way.
 */

export const MARKS = ["barY", "barX", "line", "dot", "areaY", "cell"] as const;
export type Mark = (typeof MARKS)[number];

export const CHANNELS = ["x", "y", "fill", "stroke", "fx", "fy"] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ChartSpec {
  mark: Mark;
  x: string;
  y: string;
  fill?: string;
  stroke?: string;
  fx?: string;
  fy?: string;
  /** Caption under the chart. */
  title?: string;
  /** Pixels; Plot's default otherwise. */
  height?: number;
}

const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isMark(v: unknown): v is Mark {
  return typeof v === "string" && (MARKS as readonly string[]).includes(v);
}

export function parseChartSpec(text: string): ChartSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`chart block is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error("chart block must be a JSON object");
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key !== "mark" && key !== "title" && key !== "height" && !(CHANNELS as readonly string[]).includes(key)) {
      throw new Error(`unknown chart key '${key}' (known: mark, ${CHANNELS.join(", ")}, title, height)`);
    }
  }
  if (!isMark(obj.mark)) throw new Error(`chart mark must be one of ${MARKS.join(", ")}`);
  const col = (key: Channel, required: boolean): string | undefined => {
    const v = obj[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || !COLUMN.test(v)) throw new Error(`chart '${key}' must name a result column`);
    return v;
  };
  const x = col("x", true);
  const y = col("y", true);
  if (x === undefined || y === undefined) throw new Error("chart needs x and y");
  const spec: ChartSpec = { mark: obj.mark, x, y };
  for (const key of ["fill", "stroke", "fx", "fy"] as const) {
    const v = col(key, false);
    if (v !== undefined) spec[key] = v;
  }
  if (obj.title !== undefined) {
    if (typeof obj.title !== "string") throw new Error("chart title must be a string");
    spec.title = obj.title;
  }
  if (obj.height !== undefined) {
    if (typeof obj.height !== "number" || !(obj.height >= 60 && obj.height <= 1200)) throw new Error("chart height must be a number of pixels, 60–1200");
    spec.height = obj.height;
  }
  return spec;
}

/** The columns a chart reads, so a typo shows as a clear error instead of an empty plot. */
export function chartColumns(spec: ChartSpec): string[] {
  return CHANNELS.flatMap((c) => {
    const v = spec[c];
    return v === undefined ? [] : [v];
  });
}
