import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parseNotebook, type Notebook } from "../engine/notebook";

/** Notebooks from analytics/notebooks/, without loading DuckDB (the export CLI reads them too). */

export const NOTEBOOKS_DIR = path.resolve(import.meta.dirname, "..", "notebooks");

export function notebookNames(dir = NOTEBOOKS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".md") && f !== "README.md")
    .map((f) => f.slice(0, -3))
    .sort();
}

/** A notebook by name (analytics/notebooks/<name>.md, SQL files in <name>/) or by path to its .md. */
export function loadNotebook(nameOrPath: string, dir = NOTEBOOKS_DIR): Notebook {
  const file = nameOrPath.endsWith(".md") ? path.resolve(nameOrPath) : path.join(dir, `${nameOrPath}.md`);
  if (!existsSync(file)) {
    const known = notebookNames(dir).join(", ");
    throw new Error(`no notebook '${nameOrPath}' (looked for ${file}); known: ${known}`);
  }
  const name = path.basename(file, ".md");
  const folder = path.join(path.dirname(file), name);
  return parseNotebook(name, readFileSync(file, "utf8"), (rel) => readFileSync(path.join(folder, rel), "utf8"));
}
