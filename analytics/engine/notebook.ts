import { parseChartSpec, type ChartSpec } from "./chart-spec";

/**
 * A notebook is markdown: prose, plus fenced SQL cells, each named, each
 * optionally followed by chart blocks. The SQL may live in a file beside the
 * notebook (`file=`), which is how the tests run exactly the same queries.
 * The format is documented in analytics/README.md.
 */

export interface NotebookCell {
  name: string;
  /** The nearest heading above the cell (or its name, made readable). */
  title: string;
  sql: string;
  /** Where the SQL came from, relative to the notebook's folder; null when inline. */
  file: string | null;
  /** Setup cells (views, parameters): run, not shown as results. */
  hidden: boolean;
  charts: ChartSpec[];
  /** 1-based line of the cell's fence in the markdown, for error messages. */
  line: number;
}

export type NotebookBlock = { kind: "prose"; markdown: string } | { kind: "cell"; cell: NotebookCell };

export interface Notebook {
  name: string;
  title: string;
  description: string | null;
  blocks: NotebookBlock[];
}

export class NotebookError extends Error {
  constructor(
    readonly notebook: string,
    readonly line: number,
    message: string,
  ) {
    super(`${notebook}.md:${line}: ${message}`);
    this.name = "NotebookError";
  }
}

/** Reads a cell's SQL file; the host decides where notebooks live (disk, bundled assets). */
export type ReadSqlFile = (relativePath: string) => string;

const CELL_NAME = /^[a-z][a-z0-9_]*$/;
const FENCE = /^(`{3,}|~{3,})\s*(.*)$/;

export function cells(nb: Notebook): NotebookCell[] {
  return nb.blocks.flatMap((b) => (b.kind === "cell" ? [b.cell] : []));
}

export function humanise(name: string): string {
  const s = name.replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Splits `sql cell=x file=y.sql hidden` into the language and its attributes. */
function parseInfo(info: string): { lang: string; attrs: Map<string, string | true> } {
  const [lang = "", ...rest] = info.trim().split(/\s+/);
  const attrs = new Map<string, string | true>();
  for (const tok of rest) {
    const eq = tok.indexOf("=");
    if (eq === -1) attrs.set(tok, true);
    else attrs.set(tok.slice(0, eq), tok.slice(eq + 1).replace(/^"(.*)"$/, "$1"));
  }
  return { lang: lang.toLowerCase(), attrs };
}

/** `file=` must name a file inside the notebooks folder: a notebook is not a way to read the disk. */
export function safeRelativePath(p: string): boolean {
  if (p === "" || p.startsWith("/") || p.includes("\\") || /^[a-z]+:/i.test(p)) return false;
  const parts: string[] = [];
  // The notebook's own folder is one level below analytics/notebooks/, so one `..` is the most that stays inside.
  let depth = 1;
  for (const seg of p.split("/")) {
    if (seg === "..") {
      if (parts.length > 0) parts.pop();
      else if (--depth < 0) return false;
    } else if (seg !== "." && seg !== "") parts.push(seg);
  }
  return parts.length > 0 && /\.sql$/.test(p);
}

function frontMatter(lines: string[]): { meta: Map<string, string>; start: number } {
  const meta = new Map<string, string>();
  if (lines[0]?.trim() !== "---") return { meta, start: 0 };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.trim() === "---") return { meta, start: i + 1 };
    const m = /^([A-Za-z_][\w-]*):\s*(.*)$/.exec(line);
    if (m?.[1]) meta.set(m[1], (m[2] ?? "").trim());
  }
  return { meta: new Map(), start: 0 };
}

export function parseNotebook(name: string, markdown: string, readFile: ReadSqlFile): Notebook {
  const lines = markdown.replace(/\r\n?/g, "\n").split("\n");
  const { meta, start } = frontMatter(lines);
  const blocks: NotebookBlock[] = [];
  const names = new Set<string>();
  let prose: string[] = [];
  let heading: string | null = null;
  let firstHeading: string | null = null;
  let last: NotebookCell | null = null;

  const flushProse = (): void => {
    const text = prose.join("\n").trim();
    if (text !== "") blocks.push({ kind: "prose", markdown: text });
    prose = [];
  };

  for (let i = start; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const open = FENCE.exec(line);
    if (!open) {
      const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
      if (h?.[1]) {
        heading = h[1];
        firstHeading ??= h[1];
      }
      prose.push(line);
      continue;
    }
    const fence = open[1] ?? "```";
    const { lang, attrs } = parseInfo(open[2] ?? "");
    // CommonMark: closed by a run of the same character, at least as long, and nothing else.
    const closing = new RegExp(`^\\s{0,3}${fence.charAt(0)}{${fence.length},}\\s*$`);
    const body: string[] = [];
    let closed = false;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] ?? "";
      if (closing.test(l)) {
        closed = true;
        break;
      }
      body.push(l);
    }
    const lineNo = i + 1;
    if (!closed) throw new NotebookError(name, lineNo, "unclosed code fence");
    i = j;
    if (lang === "sql" && attrs.has("cell")) {
      const cellName = attrs.get("cell");
      if (typeof cellName !== "string" || !CELL_NAME.test(cellName)) {
        throw new NotebookError(name, lineNo, "cell= needs a name of lowercase letters, digits and _ (e.g. cell=dropped_by_week)");
      }
      if (names.has(cellName)) throw new NotebookError(name, lineNo, `duplicate cell name '${cellName}'`);
      for (const key of attrs.keys()) {
        if (key !== "cell" && key !== "file" && key !== "hidden") throw new NotebookError(name, lineNo, `unknown cell attribute '${key}'`);
      }
      const file = attrs.get("file");
      let sql = body.join("\n").trim();
      if (file !== undefined) {
        if (typeof file !== "string" || !safeRelativePath(file)) throw new NotebookError(name, lineNo, `file= must be a relative .sql path inside the notebooks folder`);
        if (sql !== "") throw new NotebookError(name, lineNo, "a cell with file= must have an empty body");
        try {
          sql = readFile(file).trim();
        } catch (err) {
          throw new NotebookError(name, lineNo, `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      if (sql === "") throw new NotebookError(name, lineNo, `cell '${cellName}' has no SQL`);
      flushProse();
      names.add(cellName);
      last = {
        name: cellName,
        title: heading ?? humanise(cellName),
        sql,
        file: typeof file === "string" ? file : null,
        hidden: attrs.get("hidden") === true,
        charts: [],
        line: lineNo,
      };
      heading = null;
      blocks.push({ kind: "cell", cell: last });
    } else if (lang === "chart") {
      if (last === null || prose.join("").trim() !== "") {
        throw new NotebookError(name, lineNo, "a chart block must directly follow the SQL cell it draws");
      }
      try {
        last.charts.push(parseChartSpec(body.join("\n")));
      } catch (err) {
        throw new NotebookError(name, lineNo, err instanceof Error ? err.message : String(err));
      }
    } else {
      // Any other fence (an example, a ```sql without cell=) is prose.
      prose.push(...lines.slice(lineNo - 1, j + 1));
    }
  }
  flushProse();
  const title = meta.get("title") ?? firstHeading ?? humanise(name);
  return { name, title, description: meta.get("description") ?? null, blocks };
}
