import { renderRun, type PlotDocument } from "./chart";
import { escapeHtml, plural, renderBody, withoutTitle } from "./html";
import { markdownToHtml } from "./prose";
import type { NotebookRun } from "./run";
import { NOTEBOOK_CSS } from "./style";

export interface ReportMeta {
  /** What was read, e.g. the input folder. */
  input: string;
  generatedAt: string;
  engine: string;
}

/** A self-contained HTML report: inline CSS, inline SVG charts, no external URL. */
export function renderReport(run: NotebookRun, document: PlotDocument, meta: ReportMeta): string {
  const outputs = new Map(run.cells.map((c) => [c.cell.name, renderRun(c, document)]));
  const failed = run.cells.filter((c) => c.error !== null).length;
  const loaded = Object.entries(run.loaded)
    .map(([table, n]) => `${plural(n ?? 0, "row")} of ${table}`)
    .join(", ");
  const nb = run.notebook;
  const header = [
    `<header class="nb-header"><h1>${escapeHtml(nb.title)}</h1>`,
    nb.description ? `<p>${escapeHtml(nb.description)}</p>` : "",
    `<p>Read ${escapeHtml(loaded)} from <code>${escapeHtml(meta.input)}</code> in ${Math.round(run.loadMs)} ms; ran ${plural(run.cells.length, "cell")} in ${Math.round(run.runMs)} ms with ${escapeHtml(meta.engine)}.</p>`,
    `<p>Generated ${escapeHtml(meta.generatedAt)}${failed ? ` · <strong class="bad">${plural(failed, "cell")} failed</strong>` : ""}.</p>`,
    `</header>`,
  ].join("");
  const body = renderBody(withoutTitle(nb), { prose: markdownToHtml, outputs });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(nb.title)}</title>
<style>${NOTEBOOK_CSS}</style>
</head>
<body>
<main class="nb">
${header}
${body}
</main>
</body>
</html>
`;
}
