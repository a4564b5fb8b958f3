import { escapeHtml, renderBody, withoutTitle } from "./html";
import type { Notebook } from "./notebook";
import { markdownToHtml } from "./prose";
import { notebookTables } from "./run";
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

const DAY_MS = 86_400_000;

/**
 * The live export's default window: the last 30 days up to and including today
 * (UTC; `to` is exclusive, so tomorrow). The previous calendar month was the
 * review's usual window, but it is empty on an engine started this month —
 * a newcomer's first look showed nothing. A monthly review picks its dates.
 */
export function recentDays(now: Date, days = 30): { from: string; to: string } {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { from: new Date(today - days * DAY_MS).toISOString().slice(0, 10), to: new Date(today + DAY_MS).toISOString().slice(0, 10) };
}

/** The way back to the other pages people use: the notebook list and the operator console. */
const NAV = `<nav class="nb-nav" aria-label="Handoff"><a href="/notebooks">Notebooks</a><a href="/console">Console</a></nav>`;

const LOAD_PANEL = (window: { from: string; to: string }, tables: readonly string[]): string => `
<section class="nb-load" aria-label="Load the exports">
  <fieldset>
    <legend>Export files</legend>
    <label for="nb-files">The ${tables.length === 3 ? "three" : String(tables.length)} CSV exports (${tables.join(", ")})</label>
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
  const header = `<header class="nb-header">${NAV}<h1>${escapeHtml(nb.title)}</h1>${
    nb.description ? `<p>${escapeHtml(nb.description)}</p>` : ""
  }</header>`;
  const status = `<p id="nb-status" class="nb-status" role="status" aria-live="polite">Loading the notebook engine…</p>`;
  const body = renderBody(withoutTitle(nb), { prose: markdownToHtml, placeholder: "Load the exports to run this cell." });
  // JSON in a script element: only "<" could end it early.
  const data = JSON.stringify(nb).replace(/</g, "\\u003c");
  const tail = `<script type="application/json" id="nb-data">${data}</script>\n<script type="module" src="${PAGE_MODULE}"></script>`;
  return page(nb.title, `${header}${LOAD_PANEL(recentDays(now), notebookTables(nb))}\n${status}\n${body}`, tail);
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
  return page("Notebooks", `<header class="nb-header">${NAV}<h1>Notebooks</h1><p>Reviews that run on the analytics exports, in this browser.</p></header><div class="nb-prose"><ul>${items}</ul></div>`);
}
