/**
 * `npm run openapi`: rewrites cli/api/openapi.json and cli/api/schema.d.ts from
 * the routes. `--check` only compares and exits 1 when a committed file is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { SPEC_PATH, specText, TYPES_PATH, typesText } from "./spec";

function current(path: URL): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const spec = specText();
  const types = await typesText(spec);
  let stale = 0;
  for (const [path, text] of [
    [SPEC_PATH, spec],
    [TYPES_PATH, types],
  ] as const) {
    if (current(path) === text) continue;
    stale++;
    if (check) console.error(`stale: ${fileURLToPath(path)} (run npm run openapi)`);
    else writeFileSync(path, text);
  }
  if (check && stale > 0) process.exit(1);
  console.log(check ? "openapi: committed spec and types are current" : `openapi: ${stale} file(s) written`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
