/** One stylesheet for the Node report and the Worker's page: inline, so the report stays a single file. */
export const NOTEBOOK_CSS = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5d6778; --line: #e3e7ee; --soft: #f6f8fb; --accent: #2f5bd3; --bad: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
main.nb { max-width: 1080px; margin: 0 auto; padding: 28px 24px 80px; }
.nb-header { border-bottom: 1px solid var(--line); margin-bottom: 8px; padding-bottom: 12px; }
.nb-nav { display: flex; gap: 14px; font-size: 13px; margin-bottom: 6px; }
.nb-header h1 { font-size: 26px; margin: 0 0 4px; }
.nb-header p { margin: 2px 0; color: var(--muted); font-size: 13px; }
.nb-prose h1 { font-size: 24px; margin: 28px 0 6px; }
.nb-prose h2 { font-size: 19px; margin: 34px 0 4px; padding-top: 12px; border-top: 1px solid var(--line); }
.nb-prose h3 { font-size: 16px; margin: 22px 0 4px; }
.nb-prose p, .nb-prose li { color: #333b4a; max-width: 78ch; }
.nb-prose code, .nb-sql code { font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.nb-prose :not(pre) > code { background: var(--soft); padding: 1px 4px; border-radius: 4px; }
.nb-cell { margin: 10px 0 18px; }
.nb-output { margin: 8px 0; }
.nb-output:empty { display: none; }
.nb-chart { margin: 8px 0 14px; overflow-x: auto; }
/* Plot styles its charts with zero-specificity :where() rules, so this wins in the report and the page alike. */
.nb-chart svg { max-width: 100%; height: auto; font-size: 12px; }
.nb-chart figure { margin: 0; }
.nb-caption { color: var(--muted); font-size: 12.5px; margin: 2px 0 0; }
.nb-table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
.nb-table { border-collapse: collapse; width: 100%; font-size: 13.5px; font-variant-numeric: tabular-nums; }
.nb-table th { text-align: left; vertical-align: bottom; font-weight: 600; color: var(--muted); background: var(--soft); padding: 7px 9px; border-bottom: 1px solid var(--line); }
.nb-table td { padding: 6px 9px; border-bottom: 1px solid var(--line); white-space: nowrap; }
.nb-table tbody tr:last-child td { border-bottom: 0; }
.nb-table tbody tr:nth-child(even) td { background: #fbfcfe; }
.nb-table .num { text-align: right; }
.nb-table td.null { color: #a0a8b6; }
.nb-table td.pct .track { display: inline-block; width: 48px; height: 8px; margin-left: 8px; vertical-align: middle; background: #edf0f5; border-radius: 4px; overflow: hidden; }
.nb-table td.pct .bar { display: block; height: 100%; background: var(--accent); opacity: 0.75; }
.nb-meta, .nb-more, .nb-empty, .nb-placeholder { color: var(--muted); font-size: 12.5px; margin: 6px 2px; }
.nb-placeholder { padding: 18px; border: 1px dashed var(--line); border-radius: 8px; text-align: center; }
.nb-error { border: 1px solid #f3c1bc; background: #fff5f4; color: var(--bad); border-radius: 8px; padding: 10px 12px; }
.nb-error pre { white-space: pre-wrap; margin: 6px 0 0; font-size: 12.5px; }
.nb-sql { margin: 4px 0 0; }
.nb-sql summary { cursor: pointer; color: var(--muted); font-size: 12.5px; }
.nb-sql pre { background: var(--soft); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; overflow-x: auto; max-height: 420px; }
`;

/** Extra rules for the Worker's interactive page: the load panel and its status line. */
export const PAGE_CSS = `
.nb-load { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; margin: 14px 0 6px; }
.nb-load fieldset { border: 1px solid var(--line); border-radius: 10px; padding: 10px 14px 14px; margin: 0; }
.nb-load legend { font-weight: 600; font-size: 14px; padding: 0 4px; }
.nb-load label { display: block; font-size: 12.5px; color: var(--muted); margin: 8px 0 3px; }
.nb-load input[type=text], .nb-load input[type=password], .nb-load input[type=date] { width: 100%; padding: 6px 8px; border: 1px solid #cfd6e2; border-radius: 6px; font: inherit; }
.nb-load .row { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
.nb-load button { margin-top: 10px; padding: 7px 14px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
.nb-load button:disabled { opacity: 0.5; cursor: default; }
.nb-load .hint { font-size: 12px; color: var(--muted); margin: 6px 0 0; }
.nb-status { margin: 10px 0 4px; padding: 8px 12px; border-radius: 8px; background: var(--soft); font-size: 13.5px; }
.nb-status[data-state=error] { background: #fff5f4; color: var(--bad); }
.nb-status[data-state=done] { background: #eef8f1; color: #17663a; }
@media (max-width: 760px) { .nb-load { grid-template-columns: 1fr; } }
`;
