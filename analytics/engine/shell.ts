import { escapeHtml, renderBody, withoutTitle } from "./html";
import type { Notebook } from "./notebook";
import { markdownToHtml } from "./prose";
import { NOTEBOOK_CSS, PAGE_CSS } from "./style";

/**
 * The page the Worker serves at /notebooks/:name: the notebook's prose and
 * empty cell outputs, rendered on the server, and the module that runs the
 * cells in the browser once it has the exports.
 */

export const PAGE_MODULE = "/analytics/notebook.js";

/**
 * Everything the page runs comes from this origin; `blob:` is the joined
 * wasm, 'wasm-unsafe-eval' compiling it. Plot writes inline styles.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function page(title: string, main: string, tail = ""): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${NOTEBOOK_CSS}${PAGE_CSS}</style>
</head>
<body>
<main class="nb">
${main}
</main>
${tail}
</body>
</html>
`;
}

/** The previous calendar month (UTC), the review's usual window. */
export function lastMonth(now: Date): { from: string; to: string } {
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const from = new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth() - 1, 1));
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}

const LOAD_PANEL = (window: { from: string; to: string }): string => `
<section class="nb-load" aria-label="Load the exports">
  <fieldset>
    <legend>Export files</legend>
    <label for="nb-files">The three CSV exports (events, orders, tasks)</label>
    <input type="file" id="nb-files" multiple accept=".csv,text/csv">
    <label for="nb-folder">…or the folder <code>npm run export</code> wrote</label>
    <input type="file" id="nb-folder" webkitdirectory>
    <p class="hint">The files stay in this browser: DuckDB reads them here.</p>
  </fieldset>
  <form id="nb-live" method="post" autocomplete="off">
    <fieldset>
      <legend>Live export</legend>
      <div class="row">
        <div><label for="nb-tenant">Tenant</label><input type="text" id="nb-tenant" placeholder="acme" spellcheck="false"></div>
        <div><label for="nb-key">API key</label><input type="password" id="nb-key" autocomplete="off"></div>
      </div>
      <div class="row">
        <div><label for="nb-from">From</label><input type="date" id="nb-from" value="${window.from}"></div>
        <div><label for="nb-to">To (exclusive)</label><input type="date" id="nb-to" value="${window.to}"></div>
      </div>
      <button type="submit">Load live export</button>
      <p class="hint">The key is sent in a request header, never in a URL.</p>
    </fieldset>
  </form>
</section>`;

export function renderShell(nb: Notebook, now = new Date()): string {
  const header = `<header class="nb-header"><p><a href="/notebooks">Notebooks</a></p><h1>${escapeHtml(nb.title)}</h1>${
    nb.description ? `<p>${escapeHtml(nb.description)}</p>` : ""
  }</header>`;
  const status = `<p id="nb-status" class="nb-status" role="status" aria-live="polite">Loading the notebook engine…</p>`;
  const body = renderBody(withoutTitle(nb), { prose: markdownToHtml, placeholder: "Load the exports to run this cell." });
  // JSON in a script element: only "<" could end it early.
  const data = JSON.stringify(nb).replace(/</g, "\\u003c");
  const tail = `<script type="application/json" id="nb-data">${data}</script>\n<script type="module" src="${PAGE_MODULE}"></script>`;
  return page(nb.title, `${header}${LOAD_PANEL(lastMonth(now))}\n${status}\n${body}`, tail);
}

export interface NotebookListing {
  name: string;
  title: string;
  description: string | null;
}

export function renderIndex(list: readonly NotebookListing[]): string {
  const items = list
    .map((n) => `<li><a href="/notebooks/${encodeURIComponent(n.name)}">${escapeHtml(n.title)}</a>${n.description ? ` — ${escapeHtml(n.description)}` : ""}</li>`)
    .join("");
  return page("Notebooks", `<header class="nb-header"><h1>Notebooks</h1><p>Reviews that run on the analytics exports, in this browser.</p></header><div class="nb-prose"><ul>${items}</ul></div>`);
}
