import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { wranglerCommand } from "./dev-server";

/**
 * A deploy tried without Cloudflare: `wrangler deploy --dry-run --outdir` bundles the
 * Worker exactly as a deploy would (no network, no account), then the bundle and the
 * static assets are held to Cloudflare's limits. Run by `npm test` (test/deploy) and
 * by hand with `npm run check:deploy`.
 */

const ROOT = path.resolve(import.meta.dirname, "..");

/** Cloudflare's documented limits (Workers paid plan). */
export const LIMITS = {
  /** Worker size after compression: "10 MB" on paid plans (3 MB free); counted in decimal MB to err low. */
  workerGzipBytes: 10_000_000,
  /** Largest single static asset: 25 MiB. */
  assetBytes: 25 * 1024 * 1024,
} as const;

export interface DeploySizes {
  /** The modules wrangler would upload (source maps and its README excluded), raw and gzipped. */
  bundleBytes: number;
  bundleGzipBytes: number;
  assets: number;
  assetBytes: number;
  largestAsset: { path: string; bytes: number } | null;
  problems: string[];
}

function files(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p, base) : [path.relative(base, p)];
  });
}

/** The exact names an .assetsignore lists (the only form this project uses). */
function ignored(assetsDir: string): Set<string> {
  const file = path.join(assetsDir, ".assetsignore");
  if (!existsSync(file)) return new Set();
  return new Set(
    readFileSync(file, "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#")),
  );
}

/** Sizes of a dry-run's output directory and an assets directory, against LIMITS. */
export function measure(outdir: string, assetsDir: string): DeploySizes {
  const modules = files(outdir).filter((f) => !f.endsWith(".map") && f !== "README.md");
  let bundleBytes = 0;
  let bundleGzipBytes = 0;
  for (const m of modules) {
    const bytes = readFileSync(path.join(outdir, m));
    bundleBytes += bytes.length;
    bundleGzipBytes += gzipSync(bytes).length;
  }
  const skip = ignored(assetsDir);
  const assets = existsSync(assetsDir) ? files(assetsDir).filter((f) => !skip.has(f) && !skip.has(path.basename(f))) : [];
  let assetBytes = 0;
  let largestAsset: DeploySizes["largestAsset"] = null;
  const problems: string[] = [];
  if (modules.length === 0) problems.push(`the dry run wrote no Worker module to ${outdir}`);
  if (bundleGzipBytes > LIMITS.workerGzipBytes) problems.push(`the Worker is ${bundleGzipBytes} bytes gzipped, over Cloudflare's ${LIMITS.workerGzipBytes}`);
  for (const a of assets) {
    const bytes = statSync(path.join(assetsDir, a)).size;
    assetBytes += bytes;
    if (!largestAsset || bytes > largestAsset.bytes) largestAsset = { path: a, bytes };
    if (bytes > LIMITS.assetBytes) problems.push(`static asset ${a} is ${bytes} bytes, over Cloudflare's ${LIMITS.assetBytes} per file`);
  }
  return { bundleBytes, bundleGzipBytes, assets: assets.length, assetBytes, largestAsset, problems };
}

/** `wrangler deploy --dry-run` of the root wrangler.toml into a temporary directory, measured. */
export function dryRunDeploy(): DeploySizes {
  const outdir = mkdtempSync(path.join(tmpdir(), "handoff-deploy-"));
  try {
    const run = spawnSync(...wranglerCommand(["deploy", "--dry-run", "--outdir", outdir]), {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
    });
    if (run.status !== 0) throw new Error(`wrangler deploy --dry-run failed (${String(run.status)}):\n${run.stdout}\n${run.stderr}`);
    return measure(outdir, path.join(ROOT, "public"));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(2)} MiB`;

export function describeSizes(s: DeploySizes): string {
  return [
    `Worker bundle ${mib(s.bundleBytes)}, ${mib(s.bundleGzipBytes)} gzipped (limit ${LIMITS.workerGzipBytes / 1_000_000} MB)`,
    `${s.assets} static assets, ${mib(s.assetBytes)} in all; largest ${s.largestAsset ? `${s.largestAsset.path} ${mib(s.largestAsset.bytes)}` : "none"} (limit ${mib(LIMITS.assetBytes)} each)`,
    ...s.problems.map((p) => `PROBLEM: ${p}`),
  ].join("\n");
}

export function checkDeploy(): number {
  const sizes = dryRunDeploy();
  console.log(describeSizes(sizes));
  return sizes.problems.length === 0 ? 0 : 1;
}
