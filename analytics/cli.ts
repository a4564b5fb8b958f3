import { writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadNotebook, notebookNames, runNodeNotebook } from "./node/host";

/**
 * `npm run notebook -- monthly-root-cause --input exports/ --out report.html`:
 * the review as one HTML file, with a progress line per step.
 */

const USAGE = `usage: npm run notebook -- <notebook> --input <dir> [--out <file.html>]

  <notebook>     a name in analytics/notebooks/ (${notebookNames().join(", ")}) or a path to a .md
  --input DIR    folder with events.csv, orders.csv and tasks.csv, and inventory.csv for the drift report
                 (\`npm run export\` writes them)
  --out FILE     where to write the report (default: <notebook>.report.html in the current folder)
`;

const mb = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`;

export async function notebookCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { input: { type: "string", short: "i" }, out: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } },
  });
  const name = positionals[0];
  if (values.help || name === undefined) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  // The name first: a typo is the likelier mistake, and usage alone would not say which part was wrong.
  let nb: ReturnType<typeof loadNotebook>;
  try {
    nb = loadNotebook(name);
  } catch (err) {
    process.stderr.write(`unknown notebook: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  if (values.input === undefined) {
    process.stderr.write(`--input is missing: the folder with the exports\n\n${USAGE}`);
    return 2;
  }
  const out = path.resolve(values.out ?? `${nb.name}.report.html`);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log(`notebook ${nb.name}: ${nb.title}`);
  const started = performance.now();
  const { run, html, engine } = await runNodeNotebook(nb, values.input, {
    onLoading: (table, bytes) => log(`  loading ${table}.csv (${mb(bytes)})`),
    onLoaded: (counts, ms) => log(`  loaded ${counts.events.toLocaleString("en-US")} events, ${counts.orders.toLocaleString("en-US")} orders, ${counts.tasks.toLocaleString("en-US")} tasks${counts.inventory === undefined ? "" : `, ${counts.inventory.toLocaleString("en-US")} stock counts`} in ${Math.round(ms)} ms`),
    onCell: (c) => log(`  ${c.error === null ? "✓" : "✗"} ${c.cell.name.padEnd(24)} ${c.error === null ? `${c.result?.rows.length ?? 0} rows` : c.error.split("\n")[0]} · ${Math.round(c.ms)} ms`),
  });
  writeFileSync(out, html);
  const failed = run.cells.filter((c) => c.error !== null).length;
  log(`wrote ${out} (${mb(Buffer.byteLength(html))}) with ${engine} in ${((performance.now() - started) / 1000).toFixed(1)} s${failed ? `; ${failed} cell(s) FAILED` : ""}`);
  return failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  notebookCommand(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
