import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeSizes, dryRunDeploy, LIMITS, measure } from "../../cli/deploy-check";

/**
 * Deploys are tried on every `npm test`: wrangler bundles the Worker as `wrangler deploy`
 * would (offline, no account), and the bundle and every static asset must fit
 * Cloudflare's limits.
 */

const scratch = mkdtempSync(path.join(tmpdir(), "handoff-deploy-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("wrangler deploy --dry-run", () => {
  it("bundles the Worker within 10 MB gzipped and every asset within 25 MiB", () => {
    const sizes = dryRunDeploy();
    console.log(describeSizes(sizes));
    expect(sizes.problems).toEqual([]);
    // The engine and its static assets are really there (the analytics pages' module and duckdb-wasm).
    expect(sizes.bundleBytes).toBeGreaterThan(100_000);
    expect(sizes.assets).toBeGreaterThan(3);
    expect(sizes.largestAsset?.bytes).toBeLessThanOrEqual(LIMITS.assetBytes);
  });

  it("names an asset over the per-file limit and a bundle over the compressed limit", () => {
    const out = path.join(scratch, "out");
    const assets = path.join(scratch, "assets");
    mkdirSync(out, { recursive: true });
    mkdirSync(assets, { recursive: true });
    // Random bytes do not compress: 10.5 MB of them stay over the limit gzipped.
    writeFileSync(path.join(out, "index.js"), randomBytes(10_500_000));
    writeFileSync(path.join(assets, "huge.wasm"), Buffer.alloc(LIMITS.assetBytes + 1));
    writeFileSync(path.join(assets, ".assetsignore"), ".assetsignore\n");
    const sizes = measure(out, assets);
    expect(sizes.assets).toBe(1);
    expect(sizes.problems).toEqual([
      expect.stringContaining("the Worker is"),
      `static asset huge.wasm is ${LIMITS.assetBytes + 1} bytes, over Cloudflare's ${LIMITS.assetBytes} per file`,
    ]);
  });
});
