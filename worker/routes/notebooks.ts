import { Hono, type Context } from "hono";
import type { Notebook } from "../../analytics/engine/notebook";
import { PAGE_CSP, renderIndex, renderShell, type NotebookListing } from "../../analytics/engine/shell";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";

/**
 * /notebooks and /notebooks/:name: the analytics notebooks as pages. The
 * notebooks themselves, duckdb-wasm and the page module are static assets
 * built by `npm run build:assets` (analytics/build-assets.ts); the Worker
 * renders the page around them. Nothing here needs a key: the page asks for
 * one only to fetch the live export, from the browser.
 */

export const notebookRoutes = new Hono<AppEnv>();

/** The [assets] binding (wrangler.toml); absent when the Worker runs without its assets. */
function assets(env: object): Fetcher | null {
  const binding = (env as { ASSETS?: Fetcher }).ASSETS;
  return binding ?? null;
}

const INDEX = "/analytics/notebooks/index.json";
const NOT_BUILT = "Notebook assets are not deployed with this Worker (run `npm run build:assets`)";

async function fetchAsset(c: Context<AppEnv>, path: string): Promise<Response> {
  const binding = assets(c.env);
  if (!binding) throw new ApiError("unavailable", NOT_BUILT);
  const res = await binding.fetch(new Request(new URL(path, c.req.url)));
  if (!res.ok && res.status !== 404) throw new ApiError("unavailable", `Notebook assets answered ${res.status}`);
  return res;
}

/** A notebook JSON; a missing one is the user's typo only if the assets exist at all. */
async function asset<T>(c: Context<AppEnv>, path: string, what: string): Promise<T> {
  const res = await fetchAsset(c, path);
  if (res.ok) return (await res.json()) as T;
  await res.body?.cancel();
  if (path !== INDEX) {
    const index = await fetchAsset(c, INDEX);
    await index.body?.cancel();
    if (index.ok) throw new ApiError("not_found", `No ${what}`);
  }
  throw new ApiError("unavailable", NOT_BUILT);
}

function html(c: Context<AppEnv>, body: string): Response {
  return c.body(body, 200, {
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": PAGE_CSP,
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
  });
}

notebookRoutes.get("/notebooks", async (c) => {
  const list = await asset<NotebookListing[]>(c, INDEX, "notebooks index");
  return html(c, renderIndex(list));
});

notebookRoutes.get("/notebooks/:name", async (c) => {
  const name = c.req.param("name");
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name) || name === "index") throw new ApiError("not_found", `No notebook '${name}'`);
  const nb = await asset<Notebook>(c, `/analytics/notebooks/${name}.json`, `notebook '${name}'`);
  return html(c, renderShell(nb));
});
