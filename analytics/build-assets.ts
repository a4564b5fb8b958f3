import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { build } from "esbuild";
import { loadNotebook, notebookNames } from "./node/host";

/**
 * Builds what the Worker serves for /notebooks/:name as static assets
 * (wrangler.toml [assets], directory "public"; the output is git-ignored):
 *
 *   public/analytics/notebook.js                 the page module (engine + duckdb-wasm's browser API + Plot), bundled by esbuild
 *   public/analytics/duckdb/<version>/…          duckdb-wasm's worker, and its wasm split into parts
 *   public/analytics/notebooks/<name>.json       each notebook parsed, its SQL files inlined
 *   public/analytics/notebooks/index.json        the list
 *
 * Cloudflare serves at most 25 MiB per asset and duckdb-eh.wasm is ~34 MB, so
 * the wasm ships in parts under 20 MiB that the page fetches and joins. Nothing
 * is fetched from anywhere else: no CDN, no extension downloads.
 */

const ROOT = path.resolve(import.meta.dirname, "..");
export const ASSETS_DIR = path.join(ROOT, "public", "analytics");
export const PART_BYTES = 16 * 1024 * 1024;

export interface DuckdbManifest {
  version: string;
  worker: string;
  wasm: { parts: string[]; bytes: number; sha256: string };
}

/**
 * Writes only what changed, and removes what is no longer built: `wrangler dev`
 * watches this folder and reloads on every change, so a rebuild of identical
 * content (every test run) must not touch a file.
 */
class Output {
  private readonly written = new Set<string>();

  constructor(readonly root: string) {}

  write(rel: string, data: string | Uint8Array): void {
    const file = path.join(this.root, rel);
    this.written.add(file);
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    if (existsSync(file) && statSync(file).size === bytes.length && Buffer.compare(readFileSync(file), bytes) === 0) return;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  }

  /** Deletes files under the root that this build did not write (an older duckdb-wasm, a removed notebook). */
  prune(dir = this.root): void {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        this.prune(p);
        if (readdirSync(p).length === 0) rmSync(p, { recursive: true });
      } else if (!this.written.has(p)) rmSync(p);
    }
  }
}

function duckdbFiles(): { version: string; wasm: string; worker: string } {
  const require = createRequire(import.meta.url);
  const wasm = require.resolve("@duckdb/duckdb-wasm/dist/duckdb-eh.wasm");
  // The package does not export its package.json; it sits one level above dist/.
  const pkg = JSON.parse(readFileSync(path.join(path.dirname(wasm), "..", "package.json"), "utf8")) as { version: string };
  return {
    version: pkg.version,
    wasm,
    worker: require.resolve("@duckdb/duckdb-wasm/dist/duckdb-browser-eh.worker.js"),
  };
}

function writeDuckdb(out: Output): DuckdbManifest {
  const files = duckdbFiles();
  const base = `/analytics/duckdb/${files.version}`;
  const wasm = readFileSync(files.wasm);
  const parts: string[] = [];
  for (let i = 0, off = 0; off < wasm.length; i++, off += PART_BYTES) {
    const name = `duckdb-eh.wasm.part${i}`;
    out.write(path.join("duckdb", files.version, name), wasm.subarray(off, off + PART_BYTES));
    parts.push(`${base}/${name}`);
  }
  out.write(path.join("duckdb", files.version, "duckdb-browser-eh.worker.js"), readFileSync(files.worker));
  const manifest: DuckdbManifest = {
    version: files.version,
    worker: `${base}/duckdb-browser-eh.worker.js`,
    wasm: { parts, bytes: wasm.length, sha256: createHash("sha256").update(wasm).digest("hex") },
  };
  out.write(path.join("duckdb", "manifest.json"), JSON.stringify(manifest, null, 2));
  return manifest;
}

function writeNotebooks(out: Output): string[] {
  const names = notebookNames();
  const index = names.map((name) => {
    const nb = loadNotebook(name);
    out.write(path.join("notebooks", `${name}.json`), JSON.stringify(nb));
    return { name, title: nb.title, description: nb.description };
  });
  out.write(path.join("notebooks", "index.json"), JSON.stringify(index, null, 2));
  return names;
}

async function bundlePage(out: Output): Promise<number> {
  const result = await build({
    entryPoints: [path.join(ROOT, "analytics", "browser", "page.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
    outfile: "notebook.js",
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error("esbuild produced no page module");
  out.write("notebook.js", file.contents);
  return file.contents.length;
}

export async function buildAssets(out = ASSETS_DIR): Promise<{ manifest: DuckdbManifest; notebooks: string[]; pageBytes: number }> {
  const output = new Output(out);
  const manifest = writeDuckdb(output);
  const notebooks = writeNotebooks(output);
  const pageBytes = await bundlePage(output);
  output.prune();
  return { manifest, notebooks, pageBytes };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const t0 = performance.now();
  buildAssets().then(
    ({ manifest, notebooks, pageBytes }) => {
      const mb = (n: number): string => `${(n / 1_048_576).toFixed(1)} MB`;
      console.log(
        `analytics assets → ${path.relative(process.cwd(), ASSETS_DIR)}: duckdb-wasm ${manifest.version} (${mb(manifest.wasm.bytes)} in ${manifest.wasm.parts.length} parts), ` +
          `page module ${mb(pageBytes)}, notebooks ${notebooks.join(", ")} in ${Math.round(performance.now() - t0)} ms`,
      );
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
